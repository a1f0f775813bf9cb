import type { Command } from 'commander'
import type { ControlClient } from '../../control/client.ts'
import { SwarmClient } from '../../client/swarm-client.ts'
import { createContext, numberIn, type CliContext, type CliIO } from '../context.ts'

const short = (id: string | undefined): string => id === undefined ? '?' : id.length > 28 ? `${id.slice(0, 16)}…${id.slice(-6)}` : id

/** One channel event as a human line, or '' to skip it (heartbeats, echoes). */
export function humanChannelEvent (e: any): string {
  const env = e.envelope ?? {}
  const who = short(e.from)
  const excluded = e.excluded !== undefined ? ` [excluded: ${String(e.excluded)}]` : ''
  switch (e.type) {
    case 'contribution': return `${env.kind as string} (${String(env.confidence)}) from ${who}: ${env.text as string}${(env.sources ?? []).length > 0 ? `  [${(env.sources as string[]).join(', ')}]` : ''}${excluded}  ${env.id as string}`
    case 'presence': return `${who} ${env.event as string}s as ${env.role as string}`
    case 'secretary-claim': return `${who}: secretary ${env.mode as string}${env.reason !== '' ? ` (${env.reason as string})` : ''}`
    case 'secretary': return e.secretary === null ? 'the asker acts again' : `secretary is now ${short(e.secretary)}`
    case 'summary': return `summary (${env.status as string}) from ${who}`
    case 'close': return `closed by ${who}: ${env.resolution as string}${env.note !== undefined ? ` — ${env.note as string}` : ''}${excluded}`
    case 'state': return `state: ${e.state as string}`
    default: return ''
  }
}

/** The closing human line of a followed channel: its state and what was seen. */
export function channelEnd (id: string, res: any): string {
  const n = Number(res?.contributions ?? 0)
  const x = Number(res?.excluded ?? 0)
  return `${id}: ${String(res?.state)}, ${n} contribution${n === 1 ? '' : 's'}${x > 0 ? ` (${x} excluded)` : ''} seen`
}

/** Streams a channel: NDJSON with --json; human lines plus a spinner with counts otherwise.
 *  Resolves with the daemon's answer ({id, state}) and the contributions counted on the way. */
export async function followChannel (ctx: CliContext, c: ControlClient, id: string, o: { timeoutSec?: number, replay: boolean, since?: string, human: (e: any) => string }): Promise<any> {
  let contributions = 0
  let excluded = 0
  let state = 'open'
  const spin = setInterval(() => { ctx.out.progress(`${state}: ${contributions} contribution${contributions === 1 ? '' : 's'}${excluded > 0 ? `, ${excluded} excluded` : ''}`) }, 120)
  try {
    // the typed client library's watch: the same stream a program gets from `swarm.watch(id)`
    const stream = new SwarmClient(c).watch(id, { timeoutSec: o.timeoutSec, replay: o.replay, since: o.since })
    for await (const e of stream) {
      if (e.type === 'contribution') { if (e.excluded !== undefined) excluded++; else contributions++ }
      if (e.type === 'state') state = e.state ?? state
      if (ctx.json) { ctx.out.event(e); continue }
      if (e.type === 'presence' && e.envelope?.event === 'heartbeat') continue
      const line = o.human(e)
      if (line !== '') ctx.out.event(e, () => line)
    }
    const res = await stream.end
    return { ...(res ?? {}), contributions, excluded }
  } finally {
    clearInterval(spin)
    ctx.out.done()
  }
}

export default function register (program: Command, io: CliIO): void {
  program.command('watch')
    .description('follow a question\'s response channel live until it is closed or expires')
    .argument('<id>', 'question id')
    .option('--timeout <sec>', 'stop after SEC seconds', numberIn('--timeout', 0, 30 * 86400))
    .option('--no-replay', 'only new envelopes, not what the channel already holds')
    .option('--since <cursor>', 'resume after this envelope id (the last `id` a watch printed): replay only what came after it')
    .action(async (id: string, opts: { timeout?: number, replay: boolean, since?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      await ctx.withClient(async (c) => {
        const res = await followChannel(ctx, c, id, { timeoutSec: opts.timeout, replay: opts.replay, since: opts.since, human: humanChannelEvent })
        ctx.out.line(channelEnd(id, res))
      })
    })
}
