import type { Command } from 'commander'
import { createContext, type CliIO } from '../context.ts'
import { attachmentLines } from '../attach.ts'

const short = (id: unknown): string => typeof id !== 'string' ? '?' : id.length > 28 ? `${id.slice(0, 16)}…${id.slice(-6)}` : id

export default function register (program: Command, io: CliIO): void {
  program.command('show')
    .description('a question, its state, secretary, participants and contributions')
    .argument('<id>', 'question id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = createContext(cmd, io)
      const q = await ctx.withClient(async (c) => await c.call('show', { id }))
      ctx.out.result(q, (r) => {
        const e = r.envelope
        const lines = [
          `${r.id as string}  ${r.state as string}${r.phase !== undefined && r.phase !== r.state ? ` (${r.phase as string})` : ''}  (${e.delivery.scope as string}, ${e.question.urgency as string}, you: ${r.role as string})`,
          `  ${e.question.text as string}`,
          `  asker ${e.sender['node/id'] as string}; secretary ${r.secretary as string ?? 'none'}; expires ${r.expiresAt as string}`,
          ...attachmentLines(e.attachments),
          `  participants: ${(r.participants as any[]).map((p) => `${short(p.nodeId)} ${p.role as string}${p.present === true ? '' : ' (away)'}`).join(', ') || 'none'}`
        ]
        for (const c of r.contributions) {
          lines.push(`  - ${c.kind as string} (${String(c.confidence)}) ${c.text as string}  ${c.id as string}`)
          lines.push(...attachmentLines(c.attachments ?? c.envelope?.attachments, '      '))
        }
        for (const x of r.excluded) lines.push(`  x ${x.envelope.kind as string}: excluded (${x.reason as string}) ${x.id as string}`)
        for (const s of r.summaries ?? []) lines.push(`  = ${s.status as string} summary ${s.id as string} (uncertainty ${String(s.content.uncertainty)})`)
        if (r.close !== null) lines.push(`  closed: ${r.close.resolution as string}${r.close['handed-off-to'] !== undefined ? ` → ${r.close['handed-off-to'] as string}` : ''}${r.close.note !== undefined ? ` — ${r.close.note as string}` : ''}`)
        return lines.join('\n')
      })
    })
}
