// The bus's clock: heartbeats for the channels this node speaks for, the watch on an absent
// asker (shadow and volunteers claim the secretary role in rank order), expiry (the acting
// node closes at the deadline), leaving a channel a moment after its close, and forgetting
// long-expired questions from memory.

import { buildClose, buildPresence, buildSecretaryClaim, type EnvelopeBase } from '../envelope/index.ts'
import { claimDelayMs, isAbsent, type Channel, type QuestionRecord } from './core/index.ts'
import { now, PRUNE_AFTER_MS, UNLOAD_AFTER_MS, type BusContext } from './context.ts'

/** How often finished questions are swept from disk. */
const SWEEP_EVERY_MS = 10 * 60_000

export interface WatchdogTargets {
  /** `spare`: a heartbeat, sent only with capacity nothing else is waiting for (src/net/own-pace.ts). */
  publishChannel: (ch: Channel, e: EnvelopeBase, opts?: { spare?: boolean }) => Promise<unknown>
  leave: (qid: string) => Promise<void>
}

export class Watchdog {
  private readonly ctx: BusContext
  private readonly to: WatchdogTargets
  private readonly expiryTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly lingers = new Set<ReturnType<typeof setTimeout>>()
  private readonly claimAt = new Map<string, number>()
  /** Channels whose heartbeat still waits for its slot under this node's own pace: one at a time. */
  private readonly beating = new Set<string>()
  private tick?: ReturnType<typeof setInterval>
  private lastPrune = 0
  private lastSweep = 0

  constructor (ctx: BusContext, to: WatchdogTargets) {
    this.ctx = ctx
    this.to = to
  }

  start (): void {
    this.tick = setInterval(() => { void this.onTick() }, this.ctx.heartbeatSec * 1000)
    this.tick.unref?.()
  }

  stop (): void {
    clearInterval(this.tick)
    for (const t of this.expiryTimers.values()) clearTimeout(t)
    this.expiryTimers.clear()
    for (const t of this.lingers) clearTimeout(t)
    this.lingers.clear()
  }

  scheduleExpiry (ch: Channel): void {
    if (ch.close !== undefined || this.expiryTimers.has(ch.questionId)) return
    const ms = Math.max(0, ch.deadline - now()) + 50
    const t = setTimeout(() => {
      this.expiryTimers.delete(ch.questionId)
      if (ch.acting === this.ctx.me && ch.close === undefined) void this.expire(ch)
      else this.ctx.checkState(ch)
    }, Math.min(ms, 2 ** 31 - 1))
    t.unref?.()
    this.expiryTimers.set(ch.questionId, t)
  }

  /** The channel closed: no expiry any more; linger a little so the close spreads, then leave. */
  closed (ch: Channel): void {
    const t = this.expiryTimers.get(ch.questionId)
    if (t !== undefined) { clearTimeout(t); this.expiryTimers.delete(ch.questionId) }
    const linger = setTimeout(() => {
      this.lingers.delete(linger)
      // the daemon may be stopping (its store closed): a leave that fails is only logged
      this.to.leave(ch.questionId).catch((err) => { this.ctx.log.debug('leave after close failed', { id: ch.questionId, err: (err as Error).message }) })
    }, Math.max(1000, this.ctx.heartbeatSec * 1000))
    linger.unref?.()
    this.lingers.add(linger)
  }

  private async expire (ch: Channel): Promise<void> {
    if (ch.close !== undefined) return
    await this.to.publishChannel(ch, buildClose(this.ctx.c.identity, { questionId: ch.questionId, resolution: 'expired', note: 'ttl elapsed' }, this.ctx.chain(ch.questionId))).catch((err) => {
      this.ctx.log.warn('expiry close failed', { id: ch.questionId, err: (err as Error).message })
    })
  }

  private async onTick (): Promise<void> {
    const t = now()
    if (t - this.lastPrune > PRUNE_AFTER_MS / 10) { this.lastPrune = t; this.prune(t) }
    if (t - this.lastSweep > SWEEP_EVERY_MS) { this.lastSweep = t; await this.sweep(t).catch((err) => { this.ctx.log.warn('retention sweep failed', { err: (err as Error).message }) }) }
    for (const rec of this.ctx.book.records.values()) {
      if (!rec.joined) continue
      const ch = this.ctx.book.channels.get(rec.id)
      if (ch === undefined) continue
      this.ctx.checkState(ch)
      if (ch.closedOrExpired(t)) {
        if (ch.acting === this.ctx.me && ch.close === undefined) await this.expire(ch)
        continue
      }
      try {
        // heartbeats tell the others in the channel that this node is still there; they ride the
        // scope topic to every node in scope, so a channel with nobody else present gets none
        const others = [...ch.participants.values()].some((p) => p.nodeId !== this.ctx.me && p.present)
        if (others && (rec.role === 'asker' || rec.role === 'secretary' || rec.role === 'shadow')) this.heartbeat(rec, ch)
        await this.watchAsker(rec, ch, t)
      } catch (err) {
        this.ctx.log.debug('tick failed', { id: rec.id, err: (err as Error).message })
      }
    }
  }

  /**
   * One heartbeat, not awaited: with many channels open, this node's own pace spreads them out
   * (src/net/own-pace.ts) behind anything else it publishes, and a channel whose last one has not
   * left yet gets no second.
   */
  private heartbeat (rec: QuestionRecord, ch: Channel): void {
    if (this.beating.has(rec.id)) { this.ctx.c.counters.inc('bus.heartbeats', 'still-waiting'); return }
    this.beating.add(rec.id)
    this.to.publishChannel(ch, buildPresence(this.ctx.c.identity, { questionId: rec.id, event: 'heartbeat', role: this.ctx.presenceRole(rec) }, this.ctx.chain(rec.id)), { spare: true })
      .catch((err) => { this.ctx.log.debug('heartbeat failed', { id: rec.id, err: (err as Error).message }) })
      .finally(() => { this.beating.delete(rec.id) })
  }

  /** Shadow and volunteers: claim the secretary role when the asker misses its heartbeats. */
  private async watchAsker (rec: QuestionRecord, ch: Channel, t: number): Promise<void> {
    const me = this.ctx.me
    const hb = this.ctx.heartbeatSec
    if (rec.role === 'asker' || ch.secretary !== null) { this.claimAt.delete(rec.id); return }
    const isShadow = ch.shadow === me
    if (!isShadow && !this.ctx.c.config.secretary.volunteer) return
    const base = this.ctx.joinedAt.get(rec.id) ?? t
    const askerSeen = Math.max(ch.participants.get(ch.asker)?.lastSeen ?? 0, base)
    if (!isAbsent(askerSeen, t, hb)) { this.claimAt.delete(rec.id); return }
    if (!isShadow && ch.shadow !== null) {
      const shadowSeen = ch.participants.get(ch.shadow)
      if (shadowSeen?.present === true && !isAbsent(shadowSeen.lastSeen, t, hb)) return
    }
    let at = this.claimAt.get(rec.id)
    if (at === undefined) {
      const candidates = [...ch.participants.values()].filter((p) => p.present && p.nodeId !== ch.asker && p.role === 'watcher' && !isAbsent(p.lastSeen, t, hb * 10)).map((p) => p.nodeId)
      const delay = isShadow ? 0 : claimDelayMs(rec.id, me, [...candidates, me], hb) ?? 0
      at = t + delay
      this.claimAt.set(rec.id, at)
    }
    if (t < at) return
    this.claimAt.delete(rec.id)
    this.ctx.log.info('asker absent: claiming secretary', { id: rec.id, asker: ch.asker, shadow: isShadow })
    await this.to.publishChannel(ch, buildSecretaryClaim(this.ctx.c.identity, {
      questionId: rec.id, mode: 'takeover', askerNodeId: ch.asker, reason: `asker missed 3 heartbeats${isShadow ? '; shadow takes over' : '; volunteer takes over'}`
    }, this.ctx.chain(rec.id)))
  }

  /**
   * Deletes from disk what is finished and old: a question this node is not in, whose deadline
   * passed more than `bus.retentionSec` ago, with its channel; then, while more than
   * `bus.maxQuestions` are stored, the finished ones with the oldest deadlines (counted
   * `bus.deleted` by `expired` / `cap`; `bus.capped` `questions` when open ones alone exceed it).
   */
  async sweep (t = now()): Promise<void> {
    const { retentionSec, maxQuestions } = this.ctx.c.config.bus
    const deadline = (r: QuestionRecord): number => Date.parse(r.envelope['created-at']) + r.envelope['ttl-sec'] * 1000
    const all = await this.ctx.store.allQuestions()
    const finished = all.filter((r) => !r.joined && !this.ctx.watchers.has(r.id) && deadline(r) < t).sort((a, b) => deadline(a) - deadline(b))
    let stored = all.length
    for (const r of finished) {
      const old = deadline(r) + retentionSec * 1000 < t
      if (!old && stored <= maxQuestions) continue
      await this.ctx.store.deleteQuestion(r.id)
      this.ctx.onDiskOnly.delete(r.id)
      this.ctx.book.forget(r.id)
      this.ctx.lastState.delete(r.id)
      this.ctx.joinedAt.delete(r.id)
      this.ctx.c.counters.inc('bus.deleted', old ? 'expired' : 'cap')
      stored--
    }
    if (stored > maxQuestions) this.ctx.c.counters.inc('bus.capped', 'questions')
  }

  /**
   * Forgets (in memory only) questions expired more than PRUNE_AFTER_MS ago that this node no
   * longer takes part in; and puts away the channel of one closed (or past its deadline) more
   * than UNLOAD_AFTER_MS ago (one this node followed, or a reader loaded), which would otherwise
   * stay until ttl + PRUNE_AFTER_MS with every envelope in it.
   */
  prune (t = now()): void {
    for (const [id, rec] of this.ctx.book.records) {
      if (rec.joined || this.ctx.watchers.has(id)) continue
      if (t < Date.parse(rec.envelope['created-at']) + rec.envelope['ttl-sec'] * 1000 + PRUNE_AFTER_MS) {
        const ch = this.ctx.book.channels.get(id)
        const over = ch?.close !== undefined ? Date.parse(ch.close['created-at']) : ch?.deadline
        if (ch !== undefined && over !== undefined && t >= over + UNLOAD_AFTER_MS) this.ctx.book.unload(id, t)
        continue
      }
      this.ctx.book.forget(id)
      this.ctx.lastState.delete(id)
      this.ctx.joinedAt.delete(id)
      this.ctx.onDiskOnly.set(id, true)
    }
  }
}
