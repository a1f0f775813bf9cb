import type { Command } from 'commander'
import { collect, createContext, oneOf, type CliIO } from '../context.ts'

const RESOLUTIONS = ['accepted-answer', 'resolved', 'handed-off', 'withdrawn'] as const

export default function register (program: Command, io: CliIO): void {
  program.command('close')
    .description('close a question you asked (or act for as secretary) with a signed resolution')
    .argument('<id>', 'question id')
    .option('--resolution <r>', `${RESOLUTIONS.join(', ')} (default: accepted-answer with --accept, else resolved)`, oneOf('--resolution', RESOLUTIONS))
    .option('--accept <cid>', 'an accepted contribution (repeatable)', collect)
    .option('--note <text>', 'a note for the channel')
    .option('--handed-off-to <where>', 'where the matter went (with --resolution handed-off)')
    .action(async (id: string, opts: { resolution?: string, accept?: string[], note?: string, handedOffTo?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('close', { id, resolution: opts.resolution, accept: opts.accept, note: opts.note, handedOffTo: opts.handedOffTo }))
      ctx.out.result(res, (r) => `closed ${id}: ${r.state as string}`)
    })
}
