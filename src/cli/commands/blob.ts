// `swarm blob`: attachments by content id. `get` fetches from whoever holds one (verifying every
// chunk) and writes it to a file or stdout; `put` stores a file and prints what an envelope would
// name; `ls` lists the local store.

import type { Command } from 'commander'
import { collect, createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  const blob = program.command('blob').description('attachments by content id: get, put, ls')
  blob.command('get')
    .description('fetch an attachment (every chunk checked against its id) and write it out')
    .argument('<cid>', 'content id (CIDv1, sha2-256), as `show` lists it')
    .option('-o, --output <file>', 'write it to FILE (default: stdout; with --json, print where it is stored)')
    .option('--from <peerId>', 'a holder to try first (repeatable); then the connected peers', collect)
    .addHelpText('after', '\nExamples:\n  swarm blob get bafkrei… -o report.txt\n  swarm blob get bafkrei… | less')
    .action(async (cid: string, opts: { output?: string, from?: string[] }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('blob.get', { cid, from: opts.from }, { timeoutMs: 10 * 60_000 }))
      const { copyFile } = await import('node:fs/promises')
      if (opts.output !== undefined && opts.output !== '-') {
        await copyFile(res.path, opts.output)
        ctx.out.result({ cid: res.cid, size: res.size, file: opts.output }, (r) => `wrote ${r.file as string} (${String(r.size)} B)`)
        return
      }
      if (ctx.json) { ctx.out.result(res); return }
      const { createReadStream } = await import('node:fs')
      const { pipeline } = await import('node:stream/promises')
      await pipeline(createReadStream(res.path), ctx.io.stdout, { end: false })
    })
  blob.command('put')
    .description('store a file as an attachment; prints its {cid, size, media-type, name}')
    .argument('<file>', 'the file')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const { prepareAttachments } = await import('../attach.ts')
      const [a] = await ctx.withClient(async (c) => await prepareAttachments(c, [file]) ?? [])
      ctx.out.result(a, (r) => `${r.cid as string} ${String(r.size)} B ${r['media-type'] as string}`)
    })
  blob.command('ls')
    .description('attachments this node holds')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const list = await ctx.withClient(async (c) => await c.call('blob.list'))
      ctx.out.result(list, (l: any[]) => l.length === 0 ? 'no attachments held' : l.map((b) => `${b.cid as string} ${String(b.size)} B`).join('\n'))
    })
}
