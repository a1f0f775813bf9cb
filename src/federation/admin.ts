// Federation administration on the home's files, no daemon needed: create a root, issue and
// install certificates, rotate the root, revoke a member. What the daemon must learn goes
// where it reads it (config.json, membership.json, federation-log.json); the CLI then asks a
// running daemon to `federation.reload`.

import { readFile, rename, writeFile } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import type { HomePaths } from '../config/paths.ts'
import { loadConfig, setConfigValue } from '../config/load.ts'
import { SwarmError, UsageError } from '../errors.ts'
import { createSigner, EnvelopeValidator, formatPubkey, hexToBytes, publicKeyFromNodeId, toTimestamp, type EnvelopeBase } from '../envelope/index.ts'
import {
  bindRootKey, buildCertificate, buildRevocation, buildRotation, CERTIFICATE_TYPE, rootFingerprint,
  type CertificateEnvelope, type RevocationEnvelope, type RotationEnvelope
} from './envelopes.ts'
import { exportRootKey, loadRootKey, newRootKey, writeRootKey } from './root-key.ts'
import type { RootSpec } from './trust.ts'

export const DEFAULT_CERT_DAYS = 365
export const DEFAULT_OVERLAP_SEC = 7 * 86400
const FEDERATION_ID = /^fed:[A-Za-z0-9._-]{1,64}$/

export function federationIdArg (id: string): string {
  const fed = id.startsWith('fed:') ? id : `fed:${id}`
  if (!FEDERATION_ID.test(fed)) throw new UsageError(`a federation id looks like fed:name (letters, digits, . _ -), got '${id}'`)
  return fed
}

/** This home's node id and pubkey, read from its key file (without the libp2p key stack). */
export async function homeNode (paths: HomePaths): Promise<{ nodeId: string, pubkey: string }> {
  let file: { secretKey?: string }
  try {
    file = JSON.parse(await readFile(paths.key, 'utf8'))
  } catch {
    throw new SwarmError('no-key', `no readable key file at ${paths.key}; create the home with: swarm init`)
  }
  if (typeof file.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(file.secretKey)) throw new SwarmError('key-corrupt', `${paths.key} is not a swarmd key`)
  const s = createSigner(hexToBytes(file.secretKey))
  return { nodeId: s.nodeId, pubkey: s.pubkey }
}

async function writePrivate (path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, path)
}

async function currentConfig (paths: HomePaths): Promise<Awaited<ReturnType<typeof loadConfig>>> {
  return await loadConfig({ file: paths.config })
}

async function setRoots (paths: HomePaths, roots: RootSpec[]): Promise<void> {
  await setConfigValue(paths.config, 'federation.roots', JSON.stringify(roots))
}

async function appendLog (paths: HomePaths, e: EnvelopeBase): Promise<void> {
  let list: unknown[] = []
  try {
    const v = JSON.parse(await readFile(paths.federationLog, 'utf8'))
    if (Array.isArray(v)) list = v
  } catch {}
  list.push(e)
  await writePrivate(paths.federationLog, list)
}

export interface CreateResult {
  federation: string
  root: string
  /** What members check `federation join --trust-issuer` against. */
  fingerprint: string
  rootFile: string
  mode: 'open' | 'closed'
  certificate: string
  /** Paste into other members' config.json. */
  config: { federation: { mode: 'closed', roots: RootSpec[] } }
}

/**
 * A new federation rooted in this home: a root key (0600), the root in `federation.roots`,
 * `node.federation` set to it, mode closed (unless `open`), and a certificate for this node
 * installed, so the root holder is its first member.
 */
export async function createFederation (paths: HomePaths, id: string, opts: { force?: boolean, open?: boolean, expires?: string } = {}): Promise<CreateResult> {
  const federation = federationIdArg(id)
  const key = newRootKey(federation)
  await writeRootKey(paths.federationRoot, key, { force: opts.force })
  const cfg = await currentConfig(paths)
  const roots = [...cfg.federation.roots.filter((r) => r.pubkey !== key.signer.pubkey), { pubkey: key.signer.pubkey }]
  await setConfigValue(paths.config, 'node.federation', JSON.stringify(federation))
  await setRoots(paths, roots)
  const mode = opts.open === true ? 'open' : 'closed'
  await setConfigValue(paths.config, 'federation.mode', JSON.stringify(mode))
  const me = await homeNode(paths)
  const cert = buildCertificate(key.signer, { federation, memberNodeId: me.nodeId, memberPubkey: me.pubkey, notAfter: expiry(opts.expires) })
  await writePrivate(paths.membership, cert)
  return { federation, root: key.signer.pubkey, fingerprint: rootFingerprint(key.signer.pubkey) as string, rootFile: paths.federationRoot, mode, certificate: cert.id, config: { federation: { mode: 'closed', roots: [{ pubkey: key.signer.pubkey }] } } }
}

function expiry (expires: string | undefined): string {
  if (expires !== undefined) return toTimestamp(expires)
  return toTimestamp(Date.now() + DEFAULT_CERT_DAYS * 86400_000)
}

/** A certificate for `nodeId` signed by this home's root (the member key comes from the did:key id). */
export async function issueCertificate (paths: HomePaths, nodeId: string, opts: { expires?: string, notBefore?: string } = {}): Promise<CertificateEnvelope> {
  const raw = publicKeyFromNodeId(nodeId)
  if (raw === undefined) throw new UsageError(`not a node id (node:did:key:z6Mk…): ${nodeId}`)
  const { signer, file } = await loadRootKey(paths.federationRoot)
  const notAfter = expiry(opts.expires)
  if (Date.parse(notAfter) <= Date.now()) throw new UsageError(`--expires ${notAfter} is in the past`)
  return buildCertificate(signer, { federation: file.federation, memberNodeId: nodeId, memberPubkey: formatPubkey(raw), notBefore: opts.notBefore, notAfter })
}

export interface JoinResult {
  federation: string
  nodeId: string
  certificate: string
  issuer: string
  notAfter: string
  mode: 'closed'
  rootAdded: boolean
  /** The issuer's fingerprint (SHA256:…), as the operator should have it from the federation. */
  issuerFingerprint: string
}

/**
 * Installs a certificate as this home's `membership.json` after checking it: a signed
 * certificate envelope, for this node, of the configured federation, from a trusted root
 * (configured, learned by the running daemon through a rotation, or added by `root` or
 * `trustIssuer`, the issuer's fingerprint as the operator got it out of band). A certificate
 * never brings its own trust: an unknown issuer is refused with its fingerprint, to be checked
 * and given back. Sets the mode to closed.
 */
export async function joinFederation (paths: HomePaths, certText: string, opts: { root?: string, trustIssuer?: string, trusted?: readonly string[] } = {}): Promise<JoinResult> {
  const v = new EnvelopeValidator({ bindKey: bindRootKey, replayCacheSize: 0 }).validateSync(certText, { expectType: CERTIFICATE_TYPE })
  if (!v.ok) throw new SwarmError(v.reason, `not a valid membership certificate: ${v.detail}`)
  const cert = v.envelope as CertificateEnvelope
  const me = await homeNode(paths)
  if (cert['member/node-id'] !== me.nodeId) throw new SwarmError('wrong-node', `the certificate is for ${cert['member/node-id']}, this node is ${me.nodeId}`)
  const cfg = await currentConfig(paths)
  if (cert['federation/id'] !== cfg.node.federation) {
    throw new SwarmError('wrong-federation', `the certificate is for ${cert['federation/id']}, this node is in ${cfg.node.federation}; run: swarm config set node.federation ${cert['federation/id']}`)
  }
  const fingerprint = rootFingerprint(cert.issuer) as string
  let roots = cfg.federation.roots as RootSpec[]
  let rootAdded = false
  if (opts.root !== undefined && !roots.some((r) => r.pubkey === opts.root)) {
    if (!/^ed25519:[0-9a-f]{64}$/.test(opts.root)) throw new UsageError(`--root must be ed25519:<64 hex>, got '${opts.root}'`)
    roots = [...roots, { pubkey: opts.root }]
    rootAdded = true
  }
  const trusted = roots.some((r) => r.pubkey === cert.issuer) || opts.trusted?.includes(cert.issuer) === true
  if (!trusted && opts.trustIssuer !== undefined) {
    if (opts.trustIssuer !== fingerprint && opts.trustIssuer !== cert.issuer) {
      throw new SwarmError('fingerprint-mismatch', `the certificate's issuer has fingerprint ${fingerprint}, not ${opts.trustIssuer}: this certificate was not issued by the root you were given`)
    }
    roots = [...roots, { pubkey: cert.issuer }]
    rootAdded = true
  } else if (!trusted) {
    throw new SwarmError('unknown-issuer', `the certificate's issuer ${cert.issuer} (fingerprint ${fingerprint}) is not a root this node trusts; check that fingerprint with the federation's operator, then run again with --trust-issuer ${fingerprint}`)
  }
  if (rootAdded) await setRoots(paths, roots)
  await setConfigValue(paths.config, 'federation.mode', '"closed"')
  await writePrivate(paths.membership, cert)
  return { federation: cert['federation/id'], nodeId: me.nodeId, certificate: cert.id, issuer: cert.issuer, notAfter: cert['not-after'], mode: 'closed', rootAdded, issuerFingerprint: fingerprint }
}

export interface RotateResult {
  rotation: RotationEnvelope
  oldRoot: string
  newRoot: string
  overlapUntil: string
  /** Where the old root key went (`--export-old`), or null when it was destroyed. */
  exported: string | null
}

/**
 * A new root for this home's federation: signed over by the old root (which also gets
 * countersigned by the new one), config roots updated (the old root valid until the overlap
 * ends), and the rotation left in federation-log.json for the daemon to spread. The old key
 * leaves the home: exported to `exportOld` (outside the home, 0600, never overwriting) or
 * destroyed; one of the two must be chosen, since a key left beside the new one can still sign.
 */
export async function rotateRoot (paths: HomePaths, opts: { overlapUntil?: string, overlapSec?: number, exportOld?: string, destroyOld?: boolean } = {}): Promise<RotateResult> {
  if ((opts.exportOld === undefined) === (opts.destroyOld !== true)) throw new UsageError('say where the old root key goes: --export-old PATH (outside the home) or --destroy-old')
  let exportTo: string | undefined
  if (opts.exportOld !== undefined) {
    exportTo = resolve(opts.exportOld)
    const rel = relative(resolve(paths.home), exportTo)
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) throw new UsageError(`--export-old ${opts.exportOld} is inside the home; the old key must leave it`)
  }
  const old = await loadRootKey(paths.federationRoot)
  const overlapUntil = opts.overlapUntil !== undefined ? toTimestamp(opts.overlapUntil) : toTimestamp(Date.now() + (opts.overlapSec ?? DEFAULT_OVERLAP_SEC) * 1000)
  if (Date.parse(overlapUntil) <= Date.now()) throw new UsageError(`the overlap must end in the future, got ${overlapUntil}`)
  const next = newRootKey(old.file.federation)
  const rotation = buildRotation(old.signer, next.signer, overlapUntil)
  // the old key is safe elsewhere before anything in the home changes
  if (exportTo !== undefined) await exportRootKey(exportTo, old)
  await writeRootKey(paths.federationRoot, next, { force: true })
  const cfg = await currentConfig(paths)
  const roots: RootSpec[] = cfg.federation.roots.map((r) => r.pubkey === old.signer.pubkey ? { ...r, notAfter: overlapUntil } : r)
  if (!roots.some((r) => r.pubkey === old.signer.pubkey)) roots.push({ pubkey: old.signer.pubkey, notAfter: overlapUntil })
  roots.push({ pubkey: next.signer.pubkey })
  await setRoots(paths, roots)
  await appendLog(paths, rotation)
  return { rotation, oldRoot: old.signer.pubkey, newRoot: next.signer.pubkey, overlapUntil, exported: exportTo ?? null }
}

export async function revokeMember (paths: HomePaths, nodeId: string, reason = ''): Promise<RevocationEnvelope> {
  if (publicKeyFromNodeId(nodeId) === undefined) throw new UsageError(`not a node id (node:did:key:z6Mk…): ${nodeId}`)
  const { signer } = await loadRootKey(paths.federationRoot)
  const revocation = buildRevocation(signer, nodeId, reason)
  await appendLog(paths, revocation)
  return revocation
}
