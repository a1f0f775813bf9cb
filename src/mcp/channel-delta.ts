// What `swarm_watch` returns: the part of a response channel that lies after a cursor. Pure, so
// the cursor rule is proved by property tests: successive calls see every item exactly once.

import type { ChannelEvent } from '../client/types.ts'

export interface ContributionView {
  seq: number
  id: string
  from: string
  kind: string
  text: string
  confidence: number
  sources: string[]
  replyTo?: string
  /** Set aside by this node (filters, not-authorized …): shown, never counted. */
  excluded?: string
}

export interface SummaryView { seq: number, id: string, from: string, status: string, content: Record<string, unknown> }
export interface CloseView { seq: number, id: string, from: string, resolution: string, accepted: string[], note?: string }

export interface ChannelDelta {
  contributions: ContributionView[]
  summaries: SummaryView[]
  close?: CloseView
  /** The highest position seen: pass it back to get only what follows. */
  cursor: number
}

/** Events with a position after `cursor`, sorted into views; other events are ignored. */
export function channelDelta (events: readonly ChannelEvent[], cursor: number): ChannelDelta {
  const out: ChannelDelta = { contributions: [], summaries: [], cursor }
  const seen = new Set<number>()
  for (const e of [...events].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))) {
    const seq = e.seq
    if (seq === undefined || seq <= cursor || seen.has(seq) || e.envelope === undefined) continue
    seen.add(seq)
    out.cursor = Math.max(out.cursor, seq)
    const env = e.envelope
    const from = String(e.from ?? env.sender?.['node/id'] ?? '')
    if (e.type === 'contribution') {
      const c: ContributionView = { seq, id: env.id, from, kind: String(env.kind), text: String(env.text), confidence: Number(env.confidence), sources: Array.isArray(env.sources) ? env.sources.map(String) : [] }
      if (typeof env['in-reply-to'] === 'string') c.replyTo = env['in-reply-to']
      if (e.excluded !== undefined) c.excluded = e.excluded
      out.contributions.push(c)
    } else if (e.type === 'summary') {
      out.summaries.push({ seq, id: env.id, from, status: String(env.status), content: env.content ?? {} })
    } else if (e.type === 'close') {
      out.close = { seq, id: env.id, from, resolution: String(env.resolution), accepted: Array.isArray(env.accepted) ? env.accepted.map(String) : [], ...(typeof env.note === 'string' ? { note: env.note } : {}) }
    }
  }
  return out
}
