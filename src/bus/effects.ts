// Carries out what the question book decided: stores records and entries, counts, announces
// events, feeds watchers and answerers, and asks the façade, outbox and watchdog for the
// follow-up actions (join a channel, follow as shadow, step back, leave after a close).

import { buildSecretaryClaim } from '../envelope/index.ts'
import type { Channel, ChannelEntry, Effect, Role } from './core/index.ts'
import { hrNow, type BusContext } from './context.ts'

/** The other parts the effects call on. */
export interface EffectTargets {
  join: (qid: string, role: Role) => Promise<Channel>
  publishChannel: (ch: Channel, e: import('../envelope/index.ts').EnvelopeBase) => Promise<unknown>
  scheduleExpiry: (ch: Channel) => void
  closed: (ch: Channel) => void
}

export class Effects {
  private readonly ctx: BusContext
  private readonly to: EffectTargets

  constructor (ctx: BusContext, to: EffectTargets) {
    this.ctx = ctx
    this.to = to
  }

  async run (effects: readonly Effect[]): Promise<void> {
    for (const fx of effects) await this.one(fx)
  }

  private async one (fx: Effect): Promise<void> {
    const { c, me } = this.ctx
    switch (fx.type) {
      case 'replaced': {
        this.ctx.forgetQuestion(fx.questionId)
        await this.ctx.store.deleteQuestion(fx.questionId)
        this.ctx.c.counters.inc('bus.questions', 'id-taken-back')
        return
      }
      case 'question': {
        const rec = fx.record
        const q = rec.envelope
        // announced as soon as it is validated and recorded in memory; the store write follows
        c.counters.inc('bus.questions', rec.eligible ? 'received' : 'filtered-out')
        c.events.emit('question:received', {
          id: q.id, from: q.sender['node/id'], scope: q.delivery.scope, urgency: q.question.urgency,
          eligible: rec.eligible, via: fx.via, t: hrNow(), attachments: q.attachments
        })
        await this.ctx.store.putQuestion(rec)
        if (rec.eligible) this.ctx.notify({ kind: 'question', question: q, role: rec.role })
        return
      }
      case 'join':
        await this.to.join(fx.questionId, fx.role)
        return
      case 'follow-as-shadow': {
        const rec = this.ctx.book.records.get(fx.questionId)
        const ch = this.ctx.book.channels.get(fx.questionId)
        if (rec === undefined || ch === undefined) return
        await this.to.publishChannel(ch, buildSecretaryClaim(c.identity, { questionId: fx.questionId, mode: 'shadow', askerNodeId: rec.envelope.sender['node/id'], reason: 'following as shadow' }, this.ctx.chain(fx.questionId)))
        return
      }
      case 'entry':
        await this.entry(fx.channel, fx.entry)
        return
      case 'stored':
        await this.ctx.store.putEntry(fx.channel.questionId, fx.entry)
        return
      case 'clarification':
        this.ctx.notify({ kind: fx.contribution.kind as 'clarification' | 'clarification-request', question: fx.channel.question, contribution: fx.contribution, role: fx.role })
        return
      case 'secretary': {
        const ch = fx.channel
        c.events.emit('secretary:changed', { id: ch.questionId, secretary: ch.secretary })
        this.ctx.emit(ch, { type: 'secretary', questionId: ch.questionId, secretary: ch.secretary })
        const rec = this.ctx.book.records.get(ch.questionId)
        if (rec !== undefined && (ch.secretary === me || fx.previous === me)) this.ctx.store.putQuestion(rec).catch((err) => { this.ctx.log.debug('secretary record not stored', { id: rec.id, err: (err as Error).message }) })
        if (ch.secretary === me) this.to.scheduleExpiry(ch)
        return
      }
      case 'step-back': {
        // the asker is back: hand the role back and say so in the channel
        const ch = fx.channel
        this.to.publishChannel(ch, buildSecretaryClaim(c.identity, { questionId: ch.questionId, mode: 'step-back', askerNodeId: ch.asker, reason: `asker ${ch.asker} is back; stepping back` }, this.ctx.chain(ch.questionId)))
          .catch((err) => { this.ctx.log.debug('step-back not published', { id: ch.questionId, err: (err as Error).message }) })
        return
      }
      case 'state':
        this.ctx.checkState(fx.channel)
        return
      case 'closed':
        this.to.closed(fx.channel)
        return
      case 'refused':
        c.counters.inc('envelopes.rejected', fx.reason)
        if (fx.reason === 'channel-full') c.counters.inc('bus.capped', 'channel-full')
        this.ctx.log.debug('channel envelope refused', { reason: fx.reason, detail: fx.detail })
    }
  }

  private async entry (ch: Channel, entry: ChannelEntry): Promise<void> {
    const { c } = this.ctx
    const e = entry.envelope
    // this node's own answer, close or summary is acknowledged to its operator: synced to disk
    // first; another's is announced as soon as it is in the channel (as a question is), the
    // store write following
    const own = e.sender['node/id'] === this.ctx.me && e.type !== 'swarm/presence'
    const put = this.ctx.store.putEntry(ch.questionId, entry, own)
    // awaited below; marked handled now so a failure while this runs is never an unhandled one
    put.catch(() => {})
    if (own) await put
    if (entry.type === 'swarm/contribution') {
      c.counters.inc('bus.contributions', entry.excluded ?? 'accepted')
      c.events.emit('contribution', { questionId: ch.questionId, id: e.id, kind: (e as { kind?: string }).kind, from: e.sender['node/id'], excluded: entry.excluded ?? null, attachments: (e as { attachments?: unknown }).attachments })
    } else if (entry.type === 'swarm/summary' && entry.excluded === undefined) {
      // channel members fetch what a summary names, as they do for questions and contributions
      const sm = e as { status?: string, attachments?: unknown }
      c.events.emit('summary:received', { questionId: ch.questionId, id: e.id, status: sm.status, from: e.sender['node/id'], attachments: sm.attachments })
    } else if (entry.excluded === 'not-authorized') {
      // a close, final summary or claim from someone who may not act for the channel
      c.counters.inc('envelopes.rejected', 'not-authorized')
    }
    emitEntry(this.ctx, ch, entry)
    await put
  }
}

export function channelEvent (ch: Channel, entry: ChannelEntry): import('./types.ts').ChannelEvent {
  const type = entry.type === 'swarm/secretary-claim' ? 'secretary-claim' : entry.type.replace(/^swarm\//, '')
  const ev: import('./types.ts').ChannelEvent = { type, questionId: ch.questionId, seq: entry.seq, id: entry.id, from: entry.envelope.sender['node/id'], envelope: entry.envelope }
  if (entry.excluded !== undefined) ev.excluded = entry.excluded
  return ev
}

export function emitEntry (ctx: BusContext, ch: Channel, entry: ChannelEntry): void {
  ctx.emit(ch, channelEvent(ch, entry))
}
