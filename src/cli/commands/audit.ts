import type { Command } from 'commander'
import { createContext, numberIn, type CliIO } from '../context.ts'

export default function register (program: Command, io: CliIO): void {
  program.command('audit')
    .description('the hash-chained audit log (tasks, consensus, …) and whether its chain is intact')
    .option('--limit <n>', 'latest entries to list', numberIn('--limit', 1, 100000, true), 100)
    .option('--kind <kind>', 'only entries of this kind, e.g. task.received')
    .option('--correlation <id>', 'only entries of this correlation id (a task:… id)')
    .action(async (opts: { limit: number, kind?: string, correlation?: string }, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const res = await ctx.withClient(async (c) => await c.call('audit', { limit: opts.limit, kind: opts.kind, correlationId: opts.correlation }, { timeoutMs: 300_000 }))
      ctx.out.result(res, (r) => {
        const rows = (r.log as any[]).map((e) => `${String(e.seq).padStart(6)}  ${String(e.at)}  ${String(e.kind).padEnd(18)} ${String(e.correlationId ?? '-').padEnd(34)} ${summary(e.detail)}`)
        const verdict = r.intact === true
          ? `chain intact: ${String(r.entries)} entries verified`
          : `chain BROKEN at entry ${String(r.brokenAt)} (${String(r.reason ?? 'unknown')}); ${String(r.entries)} entries before it verify`
        return [rows.length === 0 ? 'the audit log is empty' : `   seq  at                        kind               correlation                        detail`, ...rows, verdict].join('\n')
      })
      if (res.intact !== true) process.exitCode = 1
    })
}

function summary (detail: unknown): string {
  if (detail === null || typeof detail !== 'object') return String(detail ?? '')
  return Object.entries(detail as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 160)
}
