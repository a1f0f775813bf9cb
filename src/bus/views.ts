// What the bus shows: the question list, one question with its channel, a channel's
// contributions for synthesis, and the live feed (`swarm watch`). Read-only over the book and
// the store, except that watching joins (and afterwards leaves) a channel as a watcher.

import type { ContributionEnvelope } from '../envelope/schemas.ts'
import { NotFoundError } from '../errors.ts'
import { isAbsent, type Channel, type ChannelEntry, type QuestionRecord, type QuestionState, type Role } from './core/index.ts'
import { now, type BusContext } from './context.ts'
import { channelEvent } from './effects.ts'
import type { ChannelEvent } from './types.ts'

const URGENCY_RANK: Record<string, number> = { critical: 3, high: 2, normal: 1, low: 0 }
const deadlineOf = (rec: QuestionRecord): number => Date.parse(rec.envelope['created-at']) + rec.envelope['ttl-sec'] * 1000

/** The channel's entries after the one with id `since` (in this node's order), or all of them. */
export function entriesAfter (ch: Channel, since: string | undefined): ChannelEntry[] {
  const all = [...ch.entries]
  if (since === undefined) return all
  const i = all.findIndex((e) => e.id === since)
  return i < 0 ? all : all.slice(i + 1)
}

export interface ViewTargets {
  resolve: (qid: string, signal?: AbortSignal) => Promise<QuestionRecord>
  join: (qid: string, role: Role) => Promise<Channel>
  leave: (qid: string) => Promise<void>
}

export class BusViews {
  private readonly ctx: BusContext
  private readonly to: ViewTargets

  constructor (ctx: BusContext, to: ViewTargets) {
    this.ctx = ctx
    this.to = to
  }

  private stateOf (rec: QuestionRecord): QuestionState {
    const ch = this.ctx.book.channels.get(rec.id)
    if (ch !== undefined) return ch.state()
    return this.ctx.book.digests.get(rec.id)?.state ?? (now() > deadlineOf(rec) ? 'expired' : 'open')
  }

  /** Shown in `swarm questions` (without --all): asked, joined, or received and eligible. */
  private listed (rec: QuestionRecord): boolean {
    return rec.eligible || rec.role !== 'receiver'
  }

  stats (): Record<string, unknown> {
    const byState: Record<string, number> = {}
    let open = 0
    for (const rec of this.ctx.book.records.values()) {
      if (!this.listed(rec)) continue
      const s = this.stateOf(rec)
      byState[s] = (byState[s] ?? 0) + 1
      if (s === 'open' || s === 'answered') open++
    }
    // channels this node is a member of (they ride the scope topics: no topic of their own)
    let channels = 0
    for (const rec of this.ctx.book.records.values()) if (rec.joined) channels++
    return { questions: { open, byState }, channels }
  }

  /** `all`: every stored question, ineligible and long-expired ones too; else the recent ones this node may act on. */
  async list (o: { all?: boolean, state?: string } = {}): Promise<Array<Record<string, any>>> {
    const out = []
    const records = this.ctx.book.records
    const recs = o.all === true ? (await this.ctx.store.allQuestions()).map((r) => records.get(r.id) ?? r) : [...records.values()]
    for (const rec of recs) {
      if (o.all !== true && !this.listed(rec)) continue
      const state = this.stateOf(rec)
      if (o.state !== undefined && state !== o.state) continue
      const q = rec.envelope
      const ch = this.ctx.book.channels.get(rec.id)
      out.push({
        id: rec.id,
        text: q.question.text,
        scope: q.delivery.scope,
        urgency: q.question.urgency,
        state,
        phase: ch?.phase() ?? state,
        role: rec.role,
        contributions: ch?.contributions().length ?? this.ctx.book.digests.get(rec.id)?.contributions ?? 0,
        expiresAt: new Date(deadlineOf(rec)).toISOString(),
        createdAt: q['created-at'],
        from: q.sender['node/id'],
        eligible: rec.eligible
      })
    }
    return out.sort((a, b) => (URGENCY_RANK[b.urgency] - URGENCY_RANK[a.urgency]) || (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
  }

  async show (qid: string): Promise<Record<string, unknown>> {
    const rec = await this.ctx.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const ch = await this.ctx.channel(rec)
    const t = now()
    const hb = this.ctx.heartbeatSec
    const contributions = ch.allContributions()
    return {
      id: qid,
      envelope: rec.envelope,
      state: ch.state(t),
      phase: ch.phase(t),
      role: rec.role,
      secretary: ch.secretary,
      shadow: ch.shadow,
      eligible: rec.eligible,
      ...(rec.ineligible !== undefined ? { ineligible: rec.ineligible } : {}),
      joined: rec.joined,
      expiresAt: new Date(ch.deadline).toISOString(),
      participants: [...ch.participants.values()].map((p) => ({
        nodeId: p.nodeId, role: p.role, present: p.present && !isAbsent(p.lastSeen, t, hb * (p.role === 'asker' || p.role === 'secretary' || p.role === 'shadow' ? 1 : 1e6)), lastSeen: new Date(p.lastSeen).toISOString()
      })),
      contributions: contributions.filter((e) => e.excluded === undefined).map((e) => e.envelope),
      excluded: contributions.filter((e) => e.excluded !== undefined).map((e) => ({ id: e.id, from: e.envelope.sender['node/id'], reason: e.excluded, ...(e.detail !== undefined ? { detail: e.detail } : {}), envelope: e.envelope })),
      summaries: ch.entries.filter((e) => e.type === 'swarm/summary' && e.excluded === undefined).map((e) => e.envelope),
      close: ch.close ?? null
    }
  }

  /** Every contribution of a channel in order, excluded ones marked (for synthesis). */
  async channelContributions (qid: string): Promise<Array<{ envelope: ContributionEnvelope, excluded?: string }>> {
    const rec = await this.ctx.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    // answerers read this for every question that reaches the node: a look, not a reason to keep the channel
    const ch = await this.ctx.peek(rec)
    return ch.allContributions().map((e) => e.excluded === undefined ? { envelope: e.envelope as ContributionEnvelope } : { envelope: e.envelope as ContributionEnvelope, excluded: e.excluded })
  }

  /** Whether `nodeId` stood for question `qid` at `at` (ms): its asker, or its appointed shadow while secretary (Channel.stoodFor). */
  async stoodFor (qid: string, nodeId: string, at: number): Promise<boolean> {
    const rec = await this.ctx.record(qid)
    if (rec === undefined) return false
    if (nodeId === rec.envelope.sender['node/id']) return true
    // only the appointed shadow can have stood for it: any other node is answered from a small
    // memo of each channel's shadow, without building the channel (strangers' sub-questions
    // tagged with many old parents each read a parent whole)
    const shadow = this.ctx.shadowOf(rec)
    if (shadow !== undefined && shadow !== nodeId) return false
    return (await this.ctx.peek(rec)).stoodFor(nodeId, at)
  }

  /**
   * The channel live: replays what is stored, then each new envelope and state change, until the
   * question is closed or expired, `signal` aborts, or `untilMs` passes. Joins as a watcher
   * unless this node is already in the channel, and leaves again afterwards. `since` (an envelope
   * id a previous watch printed) resumes: only what this node holds after that envelope is
   * replayed (everything, when it does not hold it).
   */
  async watch (qid: string, onEvent: (e: ChannelEvent) => void, o: { signal: AbortSignal, untilMs?: number, replay?: boolean, since?: string }): Promise<{ id: string, state: QuestionState }> {
    const rec = await this.to.resolve(qid, o.signal)
    const wasJoined = rec.joined
    const ch = rec.joined ? await this.ctx.channel(rec) : await this.to.join(qid, 'watcher')
    const done = Promise.withResolvers<void>()
    const finish = (): void => { done.resolve() }
    // an entry is in the channel a moment before its live event (the store write comes between):
    // one replayed in that moment must not be shown twice
    const shown = new Set<string>()
    const listener = (ev: ChannelEvent): void => {
      if (ev.id !== undefined) { if (shown.has(ev.id)) return; shown.add(ev.id) }
      onEvent(ev)
      if (ev.type === 'state' && ev.state !== 'open' && ev.state !== 'answered') setTimeout(finish, 50)
    }
    let set = this.ctx.watchers.get(qid)
    if (set === undefined) { set = new Set(); this.ctx.watchers.set(qid, set) }
    set.add(listener)
    if (o.replay !== false) for (const entry of entriesAfter(ch, o.since)) { shown.add(entry.id); onEvent(channelEvent(ch, entry)) }
    onEvent({ type: 'state', questionId: qid, state: ch.state(), secretary: ch.secretary })
    if (ch.closedOrExpired()) finish()
    o.signal.addEventListener('abort', finish, { once: true })
    let timer: ReturnType<typeof setTimeout> | undefined
    if (o.untilMs !== undefined) timer = setTimeout(finish, Math.max(0, o.untilMs - now()))
    const expiry = setTimeout(() => { this.ctx.checkState(ch) }, Math.max(0, ch.deadline - now()) + 100)
    try {
      await done.promise
    } finally {
      clearTimeout(timer)
      clearTimeout(expiry)
      set.delete(listener)
      if (set.size === 0) this.ctx.watchers.delete(qid)
      if (!wasJoined && rec.role === 'watcher' && !this.ctx.c.config.secretary.volunteer) await this.to.leave(qid).catch(() => {})
    }
    return { id: qid, state: ch.state() }
  }
}
