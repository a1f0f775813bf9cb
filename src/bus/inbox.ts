// What reaches the bus, by any road — a question topic (questions and channel envelopes), the private inbox, a direct
// push on /swarm/deliver/1.0.0, a history page, or this node's own envelopes — goes through one
// path: verify (signature, schema, replay, scope), open if sealed, then `take`, which feeds the
// question book and runs its effects. The topic validators are synchronous verdicts.

import type { PeerId } from '@libp2p/interface'
import type { EnvelopeBase, Verdict } from '../envelope/index.ts'
import { normalizeScope, type QuestionEnvelope } from '../envelope/schemas.ts'
import type { TopicVerdict } from '../net/topics.ts'
import {
  CHANNEL_TYPES, checkChannelEnvelope, checkEligibility, checkQuestionScope, directArrival, isAppointment, takesQuestionId, topicKind,
  type Channel, type Delivery, type Outcome, type Source, type TopicKind
} from './core/index.ts'
import { now, type BusContext, type Deliverable } from './context.ts'
import type { Effects } from './effects.ts'
import { isRecipient, open, SEALED_TYPE, type SealedEnvelope } from './private.ts'
import type { CursorPage, HistoryPage } from './repository.ts'

/** A questions topic carries questions, shadow appointments and the channel envelopes of its questions (docs/channel-log.md). */
export const QUESTION_TOPIC_TYPES = ['swarm/question', ...CHANNEL_TYPES]
export const ANY_CHANNEL_TYPES = [...CHANNEL_TYPES, SEALED_TYPE]
const decoder = new TextDecoder()

/** The top-level `id` of an envelope's JSON text, unverified ('' if none): only to skip what is held. */
function idOf (text: string): string {
  try { const id = (JSON.parse(text) as { id?: unknown }).id; return typeof id === 'string' ? id : '' } catch { return '' }
}

/** What the delivery policy hears about each envelope taken (it relays what gossip would not have forwarded). */
export interface TakenListener { (d: Delivery, source: Source, out: Outcome): void }

export class Inbox {
  private readonly ctx: BusContext
  private readonly effects: Effects
  onTaken?: TakenListener

  constructor (ctx: BusContext, effects: Effects) {
    this.ctx = ctx
    this.effects = effects
  }

  // ---------------------------------------------------------------- the one path into the book

  /** Feeds one verified (and opened) envelope to the book and runs what it decided; why it was not taken or is excluded. */
  async take (d: Delivery, source: Source): Promise<string | undefined> {
    const e = d.envelope
    const qid = e.type === 'swarm/question' ? undefined : (e as { 'question/id'?: string })['question/id']
    if (source.kind === 'direct' || source.kind === 'history') {
      const why = await this.authorRefusal(e, qid)
      if (why !== undefined) return why
    }
    // a question's record may be on disk only (pruned from memory): the book must see it to
    // judge another signer's copy of its id (takesQuestionId); only such ids pay the store read
    if (e.type === 'swarm/question' && this.ctx.onDiskOnly.has(e.id)) await this.ctx.record(e.id)
    await this.ctx.ensure(qid, { memberOnly: d.carried === true })
    if (e.type === 'swarm/contribution' && qid !== undefined) d.filtered = await this.judgeIfActing(this.ctx.book.channels.get(qid), e)
    const out = this.ctx.book.ingest(d, source, now())
    await this.effects.run(out.effects)
    this.onTaken?.(d, source, out)
    return out.applied
  }

  /**
   * A closed federation's members only, for what came by a push or a history page as for gossip
   * (Admission.judgeAuthor): the envelope's author, when the question rides this federation's
   * topics or the author claims the federation.
   */
  private async authorRefusal (e: EnvelopeBase, qid: string | undefined): Promise<string | undefined> {
    const admission = this.ctx.c.admission
    if (admission === undefined) return undefined
    const q = e.type === 'swarm/question' ? e as QuestionEnvelope : qid === undefined ? undefined : (await this.ctx.record(qid))?.envelope
    const ownScope = q !== undefined && normalizeScope(q.delivery.scope) === 'federation-local' && q.sender['federation/id'] === this.ctx.c.identity.federation
    const v = admission.judgeAuthor(e, ownScope)
    if (v.ok) return undefined
    this.ctx.c.counters.inc('envelopes.rejected', v.reason)
    return v.reason
  }

  /** Admits an envelope this node built (Outbox.publishChannel). */
  async admitOwn (ch: Channel, e: EnvelopeBase, wire: string, madeAt?: number): Promise<string | undefined> {
    return await this.take({ envelope: e, wire, sealed: ch.private, madeAt }, { kind: 'self' })
  }

  /** The acting node (asker or secretary) judges a contributor against the question's filters. */
  private async judgeIfActing (ch: Channel | undefined, e: EnvelopeBase): Promise<string | undefined> {
    const from = e.sender['node/id']
    if (ch === undefined || ch.has(e.id) || ch.acting !== this.ctx.me || from === this.ctx.me) return undefined
    // models and languages from the sender's signed capability advert, reputation in this node's view
    const advert = this.ctx.c.directory.get(from)
    const v = checkEligibility(ch.question.filters, {
      models: advert?.models ?? [],
      languages: advert?.languages ?? [],
      reputation: await this.ctx.reputation.score(from)
    })
    if (v.ok) return undefined
    // without an advert, models and languages are unknown: only reputation can exclude
    if (advert === undefined && !v.detail.startsWith('reputation')) return undefined
    return v.detail
  }

  // ---------------------------------------------------------------- topic validators (synchronous)

  private refuse (v: Verdict): TopicVerdict<never> {
    if (v.ok) throw new Error('not a refusal')
    return { action: v.action, reason: v.reason, detail: v.detail }
  }

  validateQuestionTopic (data: Uint8Array, topic: string): TopicVerdict<Deliverable & { at: TopicKind }> {
    const v = this.ctx.validator.validateSync(data, { expectType: QUESTION_TOPIC_TYPES })
    if (!v.ok) return this.refuse(v)
    const at = topicKind(topic)
    // a question must match the topic's scope; channel envelopes of any channel are relayed (only members keep them)
    const why = v.envelope.type === 'swarm/question' ? checkQuestionScope(v.envelope as QuestionEnvelope, at) : undefined
    if (why !== undefined) {
      this.ctx.validator.forget(v.envelope.id)
      return { action: 'reject', reason: why }
    }
    return { action: 'accept', value: { envelope: v.envelope, text: v.text ?? decoder.decode(data), at } }
  }

  validateSealed (data: Uint8Array): TopicVerdict<Deliverable> {
    const v = this.ctx.validator.validateSync(data, { expectType: SEALED_TYPE })
    if (!v.ok) return this.refuse(v)
    return { action: 'accept', value: { envelope: v.envelope, text: v.text ?? decoder.decode(data) } }
  }

  // ---------------------------------------------------------------- deliveries

  async fromQuestionTopic (v: Deliverable & { at: TopicKind }): Promise<string | undefined> {
    const e = v.envelope
    const carried = e.type !== 'swarm/question' && !(await this.asksOwnAppointment(e))
    return await this.take({ envelope: e, wire: v.text, carried }, { kind: 'gossip', at: v.at })
  }

  /**
   * An appointment travels to every node (it names its shadow), not only to members: true when
   * `e` has that shape and its signer is the question's asker, or the question is not held yet
   * (it waits, by signer, for its question). Anyone else's is an ordinary channel envelope, for
   * members only: a stranger's appointment-shaped envelopes would otherwise load and fill the
   * channel of any question a node merely holds.
   */
  private async asksOwnAppointment (e: EnvelopeBase): Promise<boolean> {
    if (!isAppointment(e)) return false
    const rec = await this.ctx.record(e['question/id'])
    return rec === undefined || rec.envelope.sender['node/id'] === e.sender['node/id']
  }

  /** A pushed channel envelope is for members, but the node that asked or acts for the question judges every one. */
  private pushedCarried (qid: string): boolean {
    const role = this.ctx.book.records.get(qid)?.role
    return role !== 'asker' && role !== 'secretary'
  }

  /** A sealed envelope from the private inbox, a push or a history page: opened if it is for us. */
  async fromSealed (sealed: SealedEnvelope, wire: string, channel: string | undefined, source: 'gossip' | 'direct' | 'history' = 'gossip'): Promise<string | undefined> {
    if (!isRecipient(sealed, this.ctx.opener)) return 'not-recipient'
    let payload
    try {
      payload = open(sealed, this.ctx.opener)
    } catch (err) {
      this.ctx.c.counters.inc('envelopes.rejected', 'bad-seal')
      this.ctx.log.warn('sealed envelope does not open', { id: sealed.id, err: (err as Error).message })
      return 'bad-seal'
    }
    if (payload === undefined) return 'not-recipient'
    const validator = source === 'history' ? this.ctx.historyValidator : this.ctx.validator
    const inner = validator.validateSync(payload.envelope, { checkExpiry: source !== 'history' })
    if (!inner.ok) {
      if (inner.action === 'reject') this.ctx.c.counters.inc('envelopes.rejected', inner.reason)
      return inner.reason
    }
    const e = inner.envelope
    const src: Source = source === 'history' ? { kind: 'history' } : { kind: source, at: { kind: 'private' } }
    if (channel === undefined) {
      // the private inbox carries questions, shadow appointments and private channels' envelopes
      if (e.type === 'swarm/question') {
        const scope = (e as QuestionEnvelope).delivery.scope
        if (scope !== 'private' && scope !== 'private-to-swarm') {
          this.ctx.c.counters.inc('envelopes.rejected', 'wrong-scope')
          return 'wrong-scope'
        }
        return await this.take({ envelope: e, wire, to: payload.to }, src)
      }
      if (await this.asksOwnAppointment(e)) return await this.take({ envelope: e, wire, sealed: true }, src)
      if ((CHANNEL_TYPES as readonly string[]).includes(e.type)) return await this.take({ envelope: e, wire, sealed: true, carried: true }, src)
      return 'wrong-scope'
    }
    if (!(CHANNEL_TYPES as readonly string[]).includes(e.type) || checkChannelEnvelope(e, channel) !== undefined) {
      this.ctx.c.counters.inc('envelopes.rejected', 'wrong-channel')
      return 'wrong-channel'
    }
    // pushed: for members, as an open channel's pushes are (anyone can seal to this node's key)
    return await this.take({ envelope: e, wire, sealed: true, carried: source === 'direct' && this.pushedCarried(channel) }, src)
  }

  /** Direct pushes (/swarm/deliver/1.0.0): the same validation as gossip; the answer is the verdict. */
  async onDelivery (req: Uint8Array, from: PeerId): Promise<{ ok: boolean, reason?: string, detail?: string }> {
    let type: unknown
    try { type = (JSON.parse(decoder.decode(req)) as { type?: unknown }).type } catch { return { ok: false, reason: 'bad-json' } }
    const v = this.ctx.validator.validateSync(req, { expectType: [...QUESTION_TOPIC_TYPES, ...ANY_CHANNEL_TYPES] })
    if (!v.ok) {
      this.ctx.c.counters.inc(v.action === 'reject' ? 'envelopes.rejected' : 'envelopes.ignored', v.reason)
      return { ok: false, reason: v.reason, detail: v.detail }
    }
    const e = v.envelope
    const wire = v.text ?? decoder.decode(req)
    let why: string | undefined
    try {
      if (type === 'swarm/question') {
        const at = directArrival(e as QuestionEnvelope, this.ctx.listens())
        why = at === undefined ? 'wrong-scope' : checkQuestionScope(e as QuestionEnvelope, at)
        if (why === undefined) why = await this.take({ envelope: e, wire }, { kind: 'direct', at })
      } else if (type === SEALED_TYPE) {
        why = await this.fromSealedPush(e as SealedEnvelope, wire)
      } else {
        // a channel envelope is for members, as on gossip: a node that holds the question but
        // does not follow its channel answers not-member instead of loading and keeping it (a
        // stranger's push would otherwise fill the channel of any long-lived question). The node
        // that asked or acts for it judges every push (a late one is listed as late).
        const qid = (e as { 'question/id'?: string })['question/id'] ?? ''
        why = await this.take({ envelope: e, wire, carried: !(await this.asksOwnAppointment(e)) && this.pushedCarried(qid) }, { kind: 'direct' })
      }
    } finally {
      // let the gossip copy through too, so this node still forwards it to its mesh
      this.ctx.validator.forget(e.id)
    }
    if (why === 'wrong-scope' || why === 'wrong-channel') this.ctx.c.counters.inc('envelopes.rejected', why)
    this.ctx.log.debug('direct delivery', { from: from.toString(), id: e.id, verdict: why ?? 'accepted' })
    return why === undefined ? { ok: true } : { ok: false, reason: why }
  }

  /** A sealed push: a question (no channel known) or a channel envelope of a private question we hold. */
  private async fromSealedPush (sealed: SealedEnvelope, wire: string): Promise<string | undefined> {
    if (!isRecipient(sealed, this.ctx.opener)) return 'not-recipient'
    const payload = open(sealed, this.ctx.opener)
    const qid = (payload?.envelope as { 'question/id'?: string } | undefined)?.['question/id']
    return await this.fromSealed(sealed, wire, payload?.envelope.type === 'swarm/question' || qid === undefined ? undefined : qid, 'direct')
  }

  /** One page of a channel's history: the question (if this node lacks it, held to its scope), then every envelope, verified. */
  async fromHistoryPage (qid: string, page: HistoryPage | CursorPage): Promise<void> {
    const held = await this.ctx.record(qid)
    // a page's question is taken when this node lacks it, or when it holds another signer's copy
    // of its id that the page's (bound) question takes the id from (takesQuestionId)
    if (typeof page.question === 'string' && (held === undefined || page.question !== held.wire)) {
      const v = this.ctx.historyValidator.validateSync(page.question, { checkExpiry: false })
      if (held !== undefined && !(v.ok && v.envelope.type === 'swarm/question' && takesQuestionId(held.envelope, v.envelope as QuestionEnvelope))) {
        // the page's question says nothing this node does not hold
      } else if (v.ok && v.envelope.id === qid && v.envelope.type === 'swarm/question') {
        // a question fetched by id is still held to its scope: this node must listen where it was published
        const at = directArrival(v.envelope as QuestionEnvelope, this.ctx.listens())
        if (at === undefined || checkQuestionScope(v.envelope as QuestionEnvelope, at) !== undefined) return
        await this.take({ envelope: v.envelope, wire: page.question }, { kind: 'history' })
      } else if (v.ok && v.envelope.type === SEALED_TYPE) {
        await this.fromSealed(v.envelope as SealedEnvelope, page.question, undefined, 'history')
      }
    }
    const rec = await this.ctx.record(qid)
    if (rec === undefined) return
    const ch = await this.ctx.channel(rec)
    for (const text of page.envelopes) {
      if (typeof text !== 'string') continue
      // one this node holds is dropped before any signature check (a page repeats much of what gossip brought)
      if (ch.has(idOf(text))) continue
      const v = this.ctx.historyValidator.validateSync(text, { expectType: ANY_CHANNEL_TYPES, checkExpiry: false })
      if (!v.ok) { this.ctx.c.counters.inc('bus.history-rejected', v.reason); continue }
      if (v.envelope.type === SEALED_TYPE) await this.fromSealed(v.envelope as SealedEnvelope, text, qid, 'history')
      else if (checkChannelEnvelope(v.envelope, qid) === undefined && !ch.has(v.envelope.id)) {
        // remember it so the same envelope from gossip later is a duplicate, not news
        this.ctx.validator.remember(v.envelope)
        await this.take({ envelope: v.envelope, wire: text }, { kind: 'history' })
      }
    }
  }
}
