// `swarm ask --batch`: NDJSON questions on stdin, one result a line on stdout (JSON with --json,
// else `asked …` / `line N: code: message`). Exit 1 when any line failed, after all were tried.

import { createInterface } from 'node:readline'
import { askBatch, type AskParams } from '../control/ask-batch.ts'
import type { CliContext } from './context.ts'
import { questionFields, type QuestionFlags } from './question-options.ts'

export interface BatchFlags extends QuestionFlags {
  to?: string[]
  federation?: string[]
  shadow?: string
  parent?: string
  attach?: string[]
}

export async function runAskBatch (ctx: CliContext, opts: BatchFlags): Promise<void> {
  const q = questionFields(opts)
  const defaults: Partial<AskParams> = {}
  for (const [k, v] of Object.entries({ ...q, to: opts.to, federations: opts.federation, shadow: opts.shadow, parent: opts.parent, attach: opts.attach })) {
    if (v !== undefined) (defaults as Record<string, unknown>)[k] = v
  }
  const lines = createInterface({ input: ctx.io.stdin, crlfDelay: Infinity })
  let failed = 0
  await ctx.withClient(async (client) => {
    const { prepareAttachments } = await import('./attach.ts')
    const prepare = async (p: AskParams): Promise<Record<string, unknown>> => {
      const { attach, ...rest } = p
      return attach === undefined || attach.length === 0 ? rest : { ...rest, attachments: await prepareAttachments(client, attach) }
    }
    for await (const r of askBatch(client, lines, { defaults, prepare })) {
      if ('error' in r) {
        failed++
        ctx.out.event(r, (x) => `line ${String(x.line)}: ${x.error.code as string}: ${x.error.message as string}`)
      } else {
        ctx.out.event(r, (x) => `asked ${x.id as string} (${x.scope as string}, ttl ${String(x['ttl-sec'])} s)`)
      }
    }
  })
  if (failed > 0) process.exitCode = 1
}
