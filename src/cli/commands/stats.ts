import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('stats')
    .description('live numbers: peers, topics, envelopes accepted and rejected by reason, …')
    .action(async (_opts, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const stats = await ctx.withClient(async (c) => await c.call('stats'))
      ctx.out.result(stats, human)
    })
}

const list = (xs: unknown): string => Array.isArray(xs) && xs.length > 0 ? xs.join(', ') : 'none'

/** `a 1, b 2` for a flat object; nested objects and lists in brackets, empty ones left out. */
function flat (o: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined) continue
    if (Array.isArray(v)) { if (v.length > 0) parts.push(`${k} [${v.join(', ')}]`); continue }
    if (typeof v === 'object') {
      const inner = flat(v as Record<string, unknown>)
      if (inner !== '') parts.push(`${k} {${inner}}`)
      continue
    }
    parts.push(`${k} ${String(v)}`)
  }
  return parts.join(', ')
}

const mb = (n: unknown): string => typeof n === 'number' ? `${(n / 1024 / 1024).toFixed(0)} MB` : '?'

function human (s: any): string {
  const env = s.envelopes ?? {}
  const sum = (o: Record<string, number> | undefined): number => Object.values(o ?? {}).reduce((a, b) => a + b, 0)
  const byReason = (o: Record<string, number> | undefined): string => Object.keys(o ?? {}).length === 0 ? '' : ` (${flat(o ?? {})})`
  const lines = [
    `node          ${String(s.nodeId)}`,
    `peer id       ${String(s.peerId)}`,
    `federation    ${String(s.federation)}`,
    `uptime        ${String(s.uptimeSec)} s`,
    `peers         ${String(s.peers?.connected ?? 0)} connected`,
    `capabilities  ${list(s.capabilities)}`,
    `topics        ${list(s.topics)}`,
    `envelopes     accepted ${sum(env.accepted)}, rejected ${sum(env.rejected)}${byReason(env.rejected)}, ignored ${sum(env.ignored)}${byReason(env.ignored)}`,
    `memory        rss ${mb(s.memory?.rssBytes)}, heap ${mb(s.memory?.heapUsedBytes)}`
  ]
  const shown = new Set(['nodeId', 'peerId', 'federation', 'uptimeSec', 'peers', 'capabilities', 'topics', 'envelopes', 'memory'])
  for (const [k, v] of Object.entries(s)) {
    if (shown.has(k)) continue
    const text = v !== null && typeof v === 'object' && !Array.isArray(v) ? flat(v as Record<string, unknown>) : Array.isArray(v) ? list(v) : String(v)
    lines.push(`${k.padEnd(13)} ${text === '' ? '-' : text}`)
  }
  return lines.join('\n')
}
