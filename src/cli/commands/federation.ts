// swarm federation …: roots, certificates, rotation and revocation. create/issue/join/rotate/
// revoke work on the home's files (no daemon needed) and then ask a running daemon to reload;
// status asks the daemon.

import type { Command } from 'commander'
import { createContext, numberIn, timestampIn, type CliContext, type CliIO } from '../context.ts'
import { SwarmError } from '../../errors.ts'


/** Asks a running daemon to re-read the federation files; false when none runs. */
async function reloadDaemon (ctx: CliContext): Promise<boolean> {
  let client
  try { client = await ctx.client() } catch { return false }
  try {
    await client.call('federation.reload')
    return true
  } finally {
    client.close()
  }
}

/** The roots a running daemon trusts now (it may have learned some through rotations). */
async function daemonRoots (ctx: CliContext): Promise<string[]> {
  let client
  try { client = await ctx.client() } catch { return [] }
  try {
    const s = await client.call('federation.status') as { roots: Array<{ pubkey: string, valid: boolean }> }
    return s.roots.filter((r) => r.valid).map((r) => r.pubkey)
  } catch {
    return []
  } finally {
    client.close()
  }
}

async function readText (ctx: CliContext, file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of ctx.io.stdin) chunks.push(Buffer.from(chunk as Uint8Array))
    return Buffer.concat(chunks).toString('utf8')
  }
  const { readFile } = await import('node:fs/promises')
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new SwarmError('unreadable', `cannot read ${file}: ${(err as Error).message}`)
  }
}

export default function register (program: Command, io: CliIO): void {
  const fed = program.command('federation').description('federation roots, membership certificates, rotation and revocation')

  fed.command('create')
    .description('make a federation root key (0600, federation-root in the home), trust it, close the federation and certify this node')
    .argument('<id>', 'federation id, fed:name')
    .option('--force', 'replace an existing root key')
    .option('--open', 'keep federation.mode open (certificates are then only informative)')
    .option('--expires <time>', 'this node\'s certificate expiry (RFC 3339; default one year)', timestampIn('--expires'))
    .addHelpText('after', '\nExample:\n  swarm federation create fed:orbiplex-pl\n  swarm federation issue node:did:key:z6Mk… > member.cert.json')
    .action(async (id: string, opts: { force?: boolean, open?: boolean, expires?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { createFederation } = await import('../../federation/admin.ts')
      const res = await createFederation(ctx.paths, id, opts)
      const running = await reloadDaemon(ctx).catch(() => false)
      ctx.out.result({ ...res, daemonRunning: running }, (r) => [
        `federation ${r.federation as string} created (mode ${r.mode as string})`,
        `  root      ${r.root as string}`,
        `  fingerprint ${r.fingerprint as string} (members check it: swarm federation join CERT --trust-issuer ${r.fingerprint as string})`,
        `  key file  ${r.rootFile as string} (0600; keep it safe, offline if you can)`,
        `  this node is a member (certificate ${r.certificate as string})`,
        'members trust the root with this in their config.json:',
        `  ${JSON.stringify(r.config)}`,
        ...(running ? ['a daemon is running on this home: restart it so node.federation takes effect'] : [])
      ].join('\n'))
    })

  fed.command('issue')
    .description('print a membership certificate for NODE_ID, signed by this home\'s root')
    .argument('<node-id>', 'the member\'s node id (node:did:key:z6Mk…; swarm id shows it)')
    .option('--expires <time>', 'not-after (RFC 3339; default one year)', timestampIn('--expires'))
    .option('--not-before <time>', 'not-before (RFC 3339; default now)', timestampIn('--not-before'))
    .action(async (nodeId: string, opts: { expires?: string, notBefore?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { issueCertificate } = await import('../../federation/admin.ts')
      const cert = await issueCertificate(ctx.paths, nodeId, opts)
      // the certificate itself, in both modes: it is meant to be saved to a file
      ctx.io.stdout.write(JSON.stringify(cert, null, 2) + '\n')
    })

  fed.command('join')
    .description('verify and install a membership certificate (membership.json); sets federation.mode closed')
    .argument('<cert-file>', 'the certificate (- for stdin)')
    .option('--root <pubkey>', 'trust this root (ed25519:<hex>) too; check it with the federation\'s operator')
    .option('--trust-issuer <fingerprint>', 'trust the certificate\'s issuer if its fingerprint is this (SHA256:…, from the federation\'s operator)')
    .addHelpText('after', '\nA certificate from a root this node does not trust is refused, with the issuer\'s fingerprint:\ncheck it with the federation\'s operator, then run again with --trust-issuer SHA256:…')
    .action(async (file: string, opts: { root?: string, trustIssuer?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { joinFederation } = await import('../../federation/admin.ts')
      const res = await joinFederation(ctx.paths, await readText(ctx, file), { ...opts, trusted: await daemonRoots(ctx) })
      const reloaded = await reloadDaemon(ctx)
      ctx.out.result({ ...res, reloaded }, (r) => `joined ${r.federation as string} as ${r.nodeId as string}\n  certificate ${r.certificate as string}, valid until ${r.notAfter as string}\n  issuer ${r.issuer as string} (${r.issuerFingerprint as string})${r.rootAdded === true ? ', now a trusted root' : ''}${r.reloaded === true ? '\n  the running daemon reloaded it' : ''}`)
    })

  fed.command('rotate')
    .description('replace this home\'s root: the new root is signed by the old one, both validate until the overlap ends')
    .option('--overlap <sec>', 'overlap window in seconds (default 7 days)', numberIn('--overlap', 1, 365 * 86400))
    .option('--overlap-until <time>', 'end of the overlap (RFC 3339)', timestampIn('--overlap-until'))
    .option('--export-old <path>', 'move the old root key to PATH (outside the home, 0600, never overwritten)')
    .option('--destroy-old', 'delete the old root key')
    .addHelpText('after', '\nThe old root key leaves the home: one of --export-old PATH or --destroy-old is required.\nExample:\n  swarm federation rotate --overlap 604800 --export-old /media/offline/root-2026.key')
    .action(async (opts: { overlap?: number, overlapUntil?: string, exportOld?: string, destroyOld?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { rotateRoot } = await import('../../federation/admin.ts')
      const res = await rotateRoot(ctx.paths, { overlapSec: opts.overlap, overlapUntil: opts.overlapUntil, exportOld: opts.exportOld, destroyOld: opts.destroyOld })
      const published = await reloadDaemon(ctx)
      ctx.out.result({ id: res.rotation.id, oldRoot: res.oldRoot, newRoot: res.newRoot, overlapUntil: res.overlapUntil, exported: res.exported, destroyed: res.exported === null, published, envelope: res.rotation }, (r) => [
        `root rotated: ${r.id as string}`,
        `  old root  ${r.oldRoot as string} (valid until ${r.overlapUntil as string}; key ${r.exported === null ? 'destroyed' : `moved to ${r.exported as string}`})`,
        `  new root  ${r.newRoot as string}`,
        r.published === true ? '  published by the running daemon' : '  the daemon publishes it when it starts',
        're-issue members\' certificates with the new root before the overlap ends'
      ].join('\n'))
    })

  fed.command('revoke')
    .description('revoke a member: a signed revocation every member honours')
    .argument('<node-id>', 'the member\'s node id')
    .option('--reason <text>', 'why (kept in the revocation)', '')
    .action(async (nodeId: string, opts: { reason: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { revokeMember } = await import('../../federation/admin.ts')
      const rev = await revokeMember(ctx.paths, nodeId, opts.reason)
      const published = await reloadDaemon(ctx)
      ctx.out.result({ id: rev.id, nodeId, published, envelope: rev }, (r) => `revoked ${r.nodeId as string} (${r.id as string})${r.published === true ? '; published' : '; the daemon publishes it when it starts'}`)
    })

  fed.command('status')
    .description('this node\'s federation: mode, membership, roots, known members, revocations')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const s = await ctx.withClient(async (c) => await c.call('federation.status'))
      ctx.out.result(s, (r) => [
        `federation ${r.federation as string} (${r.mode as string})`,
        `  this node ${r.member === true ? 'is a member' : `is not a member${r.problem !== null ? ` (${r.problem as string})` : ''}`}`,
        '  roots:', ...(r.roots as any[]).map((x) => `    ${x.pubkey as string} ${x.valid === true ? 'valid' : 'not valid now'}${x.notAfter !== null ? ` until ${x.notAfter as string}` : ''} (${x.via as string})`),
        `  members: ${(r.members as any[]).filter((m) => m.valid === true).length} valid of ${(r.members as any[]).length} known`,
        `  revoked: ${(r.revoked as string[]).length}`
      ].join('\n'))
    })
}
