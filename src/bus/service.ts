// The question bus façade: lifecycle, and the operations behind the control methods (ask,
// contribute, close, summary, join, leave) over the parts that do the work — the pure question
// book (core/), inbox, outbox, delivery policy, watchdog, effects, views and the channel store.

import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_DELIVERY, PROTOCOL_HISTORY } from '../constants.ts'
import { buildClose, buildContribution, buildPresence, buildQuestion, buildSecretaryClaim, type EnvelopeBase } from '../envelope/index.ts'
import type { CloseEnvelope, ContributionEnvelope, QuestionEnvelope, SummaryEnvelope } from '../envelope/schemas.ts'
import { NotFoundError, SwarmError } from '../errors.ts'
import { encodeJson, handleRequests } from '../net/rpc.ts'
import { ReputationBook } from '../reputation/index.ts'
import type { SwarmService } from '../kernel/components.ts'
import { APPOINT_PREFIX, PROTOCOL_OPEN_QUESTIONS, questionSubscriptions, topicKind, type Channel, type QuestionRecord, type QuestionState, type Role, type Scope, type TopicKind } from './core/index.ts'
import { BusContext, hrNow, now, PRUNE_AFTER_MS, type BusComponents, type Deliverable } from './context.ts'
import { DeliveryPolicy } from './delivery.ts'
import { Effects } from './effects.ts'
import { Inbox } from './inbox.ts'
import { registerBusMethods } from './methods.ts'
import { Outbox } from './outbox.ts'
import { seal, type SealedEnvelope } from './private.ts'
import { PROTOCOL_HISTORY_CURSOR, serveHistory, type ChannelStore } from './repository.ts'
import { serveOpenQuestions } from './open-questions.ts'
import type { AskInit, ChannelEvent, ContributeInit, QuestionNotice } from './types.ts'
import { BusViews } from './views.ts'
import { Watchdog } from './watchdog.ts'

export type { BusComponents } from './context.ts'
export type { AskInit, ChannelEvent, ContributeInit, ContributionKind, QuestionNotice } from './types.ts'

const STRENGTH: Record<Role, number> = { receiver: 0, watcher: 1, participant: 2, shadow: 3, secretary: 4, asker: 5 }

export class QuestionBus implements SwarmService {
  readonly name = 'bus'
  readonly reputation: ReputationBook
  readonly store: ChannelStore
  /** Shared state of the parts (exposed for the benchmark hooks and tests). */
  readonly ctx: BusContext
  private readonly inbox: Inbox
  private readonly outbox: Outbox
  private readonly policy: DeliveryPolicy
  private readonly watchdog: Watchdog
  private readonly views: BusViews
  private readonly onSubscriptionChange = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    this.policy.onSubscriptionChange(evt.detail.peerId, evt.detail.subscriptions)
  }

  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => { this.policy.onPeerConnect(evt.detail) }

  constructor (c: BusComponents) {
    this.reputation = c.reputation ?? new ReputationBook(c.db.bucket('reputation'), c.config.reputation.default)
    this.ctx = new BusContext(c, this.reputation)
    this.store = this.ctx.store
    this.outbox = new Outbox(this.ctx)
    this.watchdog = new Watchdog(this.ctx, { publishChannel: async (ch, e, opts) => await this.outbox.publishChannel(ch, e, opts), leave: async (qid) => { await this.leave(qid) } })
    const effects = new Effects(this.ctx, {
      join: async (qid, role) => await this.join(qid, role),
      publishChannel: async (ch, e) => await this.outbox.publishChannel(ch, e),
      scheduleExpiry: (ch) => { this.watchdog.scheduleExpiry(ch) },
      closed: (ch) => { this.watchdog.closed(ch) }
    })
    this.inbox = new Inbox(this.ctx, effects)
    this.outbox.admitOwn = async (ch, e, wire, madeAt) => await this.inbox.admitOwn(ch, e, wire, madeAt)
    this.policy = new DeliveryPolicy(this.ctx, this.inbox, this.outbox)
    this.policy.onBrowserQuestion = async (qid) => await this.join(qid, 'watcher').catch(() => undefined)
    this.views = new BusViews(this.ctx, { resolve: async (qid, s) => await this.resolve(qid, s), join: async (qid, role) => await this.join(qid, role), leave: async (qid) => { await this.leave(qid) } })
  }

  private get c (): BusComponents { return this.ctx.c }
  private get me (): string { return this.ctx.me }

  // ---------------------------------------------------------------- lifecycle

  async start (): Promise<void> {
    const { topics, config, identity, libp2p } = this.c
    this.ctx.started = true
    const inbox = this.inbox
    for (const topic of questionSubscriptions({ federation: identity.federation, federations: config.bus.federations, global: config.bus.global })) {
      if (topicKind(topic).kind === 'private') {
        topics.route(topic, {
          validate: (data: Uint8Array) => inbox.validateSealed(data),
          // gossipsub forwards right after delivering, in the same tick: let it forward first
          deliver: async (v: Deliverable) => { await null; if (this.ctx.started) await inbox.fromSealed(v.envelope as SealedEnvelope, v.text, undefined) }
        })
      } else {
        topics.route(topic, {
          validate: (data: Uint8Array, t: string) => inbox.validateQuestionTopic(data, t),
          // nothing more is taken in once the bus has stopped (its last writes are flushed then)
          deliver: async (v: Deliverable & { at: TopicKind }) => { await null; if (this.ctx.started) await inbox.fromQuestionTopic(v) }
        })
      }
      topics.subscribe(topic)
    }
    // a push is one envelope: frames past its size cap (slack for the validator to name it
    // too-large) end the stream unread instead of being buffered and parsed up to 4 MiB
    await handleRequests(libp2p, PROTOCOL_DELIVERY, async (req, from) => encodeJson(await inbox.onDelivery(req, from)), { maxInboundStreams: 64, timeoutMs: 10_000, maxDataLength: this.c.config.bus.maxEnvelopeBytes + 1024 })
    await serveHistory(libp2p, this.store, this.ctx.relayed, async (qid, ids, hops, from, signal) => await this.policy.forwardIds(qid, ids, hops, from, signal))
    await serveOpenQuestions(libp2p, this.ctx.book, now)
    libp2p.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    libp2p.addEventListener('peer:connect', this.onPeerConnect)
    registerBusMethods(this.c.control, this)
    await this.restore()
    this.watchdog.start()
  }

  async stop (): Promise<void> {
    if (!this.ctx.started) return
    this.ctx.started = false
    this.watchdog.stop()
    this.policy.stop()
    this.outbox.stop()
    this.c.libp2p.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.c.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    await this.c.libp2p.unhandle(PROTOCOL_DELIVERY).catch(() => {})
    await this.c.libp2p.unhandle(PROTOCOL_HISTORY).catch(() => {})
    await this.c.libp2p.unhandle(PROTOCOL_HISTORY_CURSOR).catch(() => {})
    await this.c.libp2p.unhandle(PROTOCOL_OPEN_QUESTIONS).catch(() => {})
    await this.store.flush().catch(() => {}) // the last group of writes, before the database closes
  }

  stats (): Record<string, unknown> { return this.views.stats() }

  /** Called for each new question this node may answer, and each clarification in a channel it takes part in. */
  onQuestion (listener: (n: QuestionNotice) => void): () => void {
    this.ctx.questionListeners.add(listener)
    return () => { this.ctx.questionListeners.delete(listener) }
  }

  /** Reloads questions and channels after a restart, rejoins the open ones and asks peers for what was missed. */
  private async restore (): Promise<void> {
    const t = now()
    for (const rec of await this.store.allQuestions()) {
      if (!rec.joined && t > Date.parse(rec.envelope['created-at']) + rec.envelope['ttl-sec'] * 1000 + PRUNE_AFTER_MS) { this.ctx.onDiskOnly.set(rec.id, true); continue }
      this.ctx.book.records.set(rec.id, rec)
      if (!rec.joined) continue
      const ch = await this.ctx.channel(rec)
      if (ch.closedOrExpired() && ch.close !== undefined) { rec.joined = false; continue }
      this.ctx.following(rec.id)
      this.policy.joined(rec.id, true)
      if (!ch.closedOrExpired()) {
        await this.outbox.publishChannel(ch, buildPresence(this.c.identity, { questionId: rec.id, event: 'join', role: this.ctx.presenceRole(rec) }, this.ctx.chain(rec.id)))
        if (rec.role === 'asker' && ch.secretary !== null) await this.outbox.publishChannel(ch, buildSecretaryClaim(this.c.identity, { questionId: rec.id, mode: 'resume', askerNodeId: this.me, reason: 'asker restarted; resuming' }, this.ctx.chain(rec.id)))
      }
      this.watchdog.scheduleExpiry(ch)
    }
  }

  // ---------------------------------------------------------------- channels

  /** Joins a question's channel in `role` (no-op if already in it with a stronger role). */
  async join (qid: string, role: Role): Promise<Channel> {
    const rec = await this.ctx.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const ch = await this.ctx.channel(rec)
    const promote = STRENGTH[role] > STRENGTH[rec.role]
    if (promote) rec.role = role
    if (rec.joined && !promote) return ch
    const wasJoined = rec.joined
    rec.joined = true
    await this.store.putQuestion(rec)
    if (!wasJoined) this.ctx.following(qid)
    if (!ch.closedOrExpired()) await this.outbox.publishChannel(ch, buildPresence(this.c.identity, { questionId: qid, event: 'join', role: this.ctx.presenceRole(rec) }, this.ctx.chain(qid)))
    if (!wasJoined && rec.role !== 'asker') this.policy.joined(qid, false)
    return ch
  }

  /** Leaves a channel (presence leave; its envelopes are relayed, no longer kept); the history stays in the store. */
  async leave (qid: string): Promise<void> {
    const rec = this.ctx.book.records.get(qid)
    if (rec === undefined || !rec.joined || !this.ctx.started) return
    const ch = this.ctx.book.channels.get(qid)
    if (ch !== undefined) await this.outbox.publishChannel(ch, buildPresence(this.c.identity, { questionId: qid, event: 'leave', role: this.ctx.presenceRole(rec) }, this.ctx.chain(qid))).catch(() => {})
    rec.joined = false
    await this.store.putQuestion(rec)
    this.policy.left(qid)
  }

  /** The question record, fetched from peers' history when this node never received it. */
  async resolve (qid: string, signal?: AbortSignal): Promise<QuestionRecord> {
    return await this.policy.resolve(qid, signal)
  }

  /** Deletes finished questions past their retention, and the oldest beyond the cap, from disk now. */
  async sweep (): Promise<void> { await this.watchdog.sweep() }

  /** Forgets expired questions and puts away finished channels this node does not follow, from memory now (as of `t`). */
  prune (t?: number): void { this.watchdog.prune(t) }

  /** The channel log's open gaps and the ids given up on (tests, stats). */
  gapState (qid: string): { missing: number, givenUp: number } { return this.policy.gapState(qid) }

  /** Pulls a channel's history from its members now. */
  async backfill (qid: string): Promise<void> { await this.policy.backfill(qid) }

  // ---------------------------------------------------------------- the operations behind the control methods

  async ask (a: AskInit): Promise<{ id: string, envelope: QuestionEnvelope }> {
    const { identity, config } = this.c
    const scope: Scope = a.scope ?? 'federation-local'
    const to = [...new Set(a.to ?? [])]
    if (scope === 'private' && to.length === 0) throw new SwarmError('usage', 'a private question needs at least one --to NODE_ID', { exitCode: 2 })
    if (scope !== 'private' && to.length > 0) throw new SwarmError('usage', '--to is for --scope private', { exitCode: 2 })
    if (a.shadow !== undefined && scope === 'private' && !to.includes(a.shadow)) to.push(a.shadow)
    const q = buildQuestion(identity, {
      text: a.text,
      scope,
      ttlSec: a.ttlSec ?? config.bus.defaultTtlSec,
      urgency: a.urgency,
      tags: a.tags,
      followUps: a.followUps,
      requireModels: a.requireModels,
      excludeModels: a.excludeModels,
      minReputation: a.minReputation,
      languages: a.languages,
      attachments: a.attachments
    })
    this.ctx.validator.remember(q)
    const federations = scope === 'cross-federation' ? [...new Set(a.federations ?? [])] : []
    const wire = scope === 'private' ? JSON.stringify(seal(identity, { to, envelope: q, ttlSec: q['ttl-sec'] + 3600 })) : JSON.stringify(q)
    const rec: QuestionRecord = { id: q.id, envelope: q, wire, role: 'asker', eligible: true, joined: true, receivedAt: now() }
    if (scope === 'private') rec.to = [...new Set([...to, this.me])]
    if (federations.length > 0) rec.federations = federations
    this.ctx.book.records.set(q.id, rec)
    await this.store.putQuestion(rec, true) // acknowledged to the asker: survives a crash
    const ch = await this.ctx.channel(rec)
    this.ctx.following(q.id)
    let appointment: string | undefined
    if (a.shadow !== undefined) {
      const claim = buildSecretaryClaim(identity, { questionId: q.id, mode: 'shadow', askerNodeId: this.me, reason: `${APPOINT_PREFIX}${a.shadow}` })
      this.ctx.validator.remember(claim)
      appointment = scope === 'private' ? JSON.stringify(seal(identity, { to, envelope: claim, ttlSec: q['ttl-sec'] + 3600 })) : JSON.stringify(claim)
      await this.inbox.take({ envelope: claim, wire: appointment, sealed: scope === 'private' }, { kind: 'self' })
    }
    const t = hrNow()
    await this.outbox.publishQuestion(scope, q.sender['federation/id'], federations, wire)
    if (appointment !== undefined) await this.outbox.publishQuestion(scope, q.sender['federation/id'], federations, appointment)
    // no `join` of the asker's own: its question is its first presence (core/entries.ts, questionAt)
    this.watchdog.scheduleExpiry(ch)
    this.c.counters.inc('bus.questions', 'asked')
    this.c.events.emit('question:asked', { id: q.id, scope, urgency: q.question.urgency, t })
    return { id: q.id, envelope: q }
  }

  /** Posts a contribution (the CLI's `answer`, and answerers later). Throws late, closed, filtered-out, no-follow-ups. */
  async contribute (qid: string, c: ContributeInit, signal?: AbortSignal): Promise<{ id: string, envelope: ContributionEnvelope }> {
    const rec = await this.resolve(qid, signal)
    if (!rec.eligible) throw new SwarmError('filtered-out', `this node is filtered out by the question's filters: ${rec.ineligible ?? ''}`, { detail: { id: qid } })
    const ch = await this.ctx.channel(rec)
    const refusal = ch.refusal({ kind: c.kind, 'created-at': new Date().toISOString() }, { now: now(), skewMs: 0 })
    if (refusal !== undefined) throw refusalError(refusal, qid)
    if (c.replyTo !== undefined && !ch.has(c.replyTo)) this.ctx.log.debug('reply to an unknown contribution', { id: c.replyTo })
    await this.join(qid, 'participant')
    const e = buildContribution(this.c.identity, {
      questionId: qid, kind: c.kind, text: c.text, confidence: c.confidence, sources: c.sources, inReplyTo: c.replyTo, origin: c.origin, attachments: c.attachments
    }, this.ctx.chain(qid))
    const madeAt = now()
    // ask the acting node (asker or secretary) first when it is connected: its verdict is the one that counts
    if (ch.acting !== this.me) {
      const verdict = await this.outbox.pushTo(ch.acting, new TextEncoder().encode(this.outbox.wireOf(ch, e)))
      if (verdict !== undefined && !verdict.ok && verdict.reason !== undefined && verdict.reason !== 'duplicate' && verdict.reason !== 'not-found') {
        throw refusalError(verdict.reason, qid)
      }
    }
    const res = await this.outbox.publishChannel(ch, e, { madeAt })
    if (res.excluded !== undefined) throw refusalError(res.excluded, qid)
    this.c.counters.inc('bus.contributions', 'sent')
    return { id: e.id, envelope: e }
  }

  async close (qid: string, o: { resolution?: CloseEnvelope['resolution'], accept?: string[], note?: string, handedOffTo?: string }): Promise<{ id: string, state: QuestionState, envelope: CloseEnvelope }> {
    const rec = await this.ctx.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const ch = await this.ctx.channel(rec)
    if (ch.close !== undefined) throw new SwarmError('closed', `question ${qid} is already closed (${ch.close.resolution})`, { detail: { id: qid } })
    if (ch.acting !== this.me) throw new SwarmError('not-authorized', `only the asker or the acting secretary may close ${qid} (acting: ${ch.acting})`, { detail: { id: qid, acting: ch.acting } })
    const accept = o.accept ?? []
    for (const cid of accept) {
      const entry = ch.get(cid)
      if (entry === undefined || entry.type !== 'swarm/contribution') throw new NotFoundError('contribution', cid)
    }
    const resolution = o.resolution ?? (accept.length > 0 ? 'accepted-answer' : 'resolved')
    if (resolution === 'handed-off' && o.handedOffTo === undefined) throw new SwarmError('usage', 'a handed-off close needs --handed-off-to WHERE', { exitCode: 2 })
    const e = buildClose(this.c.identity, { questionId: qid, resolution, accepted: accept, handedOffTo: o.handedOffTo, note: o.note }, this.ctx.chain(qid))
    await this.outbox.publishChannel(ch, e)
    for (const cid of accept) {
      const entry = ch.get(cid)
      if (entry !== undefined && entry.envelope.sender['node/id'] !== this.me) await this.reputation.adjust(entry.envelope.sender['node/id'], 0.05, `accepted ${cid}`, { accepted: true })
    }
    return { id: e.id, state: ch.state(), envelope: e }
  }

  /**
   * Publishes a summary built and signed elsewhere (the synthesis part) in the channel, joining it
   * as a participant first if this node is not in it. A final one counts only from the asker or
   * the standing secretary (the channel's authority rule); the caller checks that first.
   */
  async publishSummary (qid: string, e: SummaryEnvelope, signal?: AbortSignal): Promise<void> {
    if (e['question/id'] !== qid) throw new SwarmError('wrong-channel', `summary ${e.id} is for ${e['question/id']}, not ${qid}`)
    await this.resolve(qid, signal)
    const ch = await this.join(qid, 'participant')
    await this.outbox.publishChannel(ch, e)
  }

  // ---------------------------------------------------------------- views

  async list (o: { all?: boolean, state?: string } = {}): Promise<Array<Record<string, any>>> { return await this.views.list(o) }
  async show (qid: string): Promise<Record<string, unknown>> { return await this.views.show(qid) }
  async channelContributions (qid: string): Promise<Array<{ envelope: ContributionEnvelope, excluded?: string }>> { return await this.views.channelContributions(qid) }
  async stoodFor (qid: string, nodeId: string, at: number): Promise<boolean> { return await this.views.stoodFor(qid, nodeId, at) }
  async watch (qid: string, onEvent: (e: ChannelEvent) => void, o: { signal: AbortSignal, untilMs?: number, replay?: boolean, since?: string }): Promise<{ id: string, state: QuestionState }> {
    return await this.views.watch(qid, onEvent, o)
  }

  /** Publishes an envelope this node built in a channel it holds (benchmark and tests). */
  async publishIn (qid: string, e: EnvelopeBase): Promise<{ wire: string, excluded?: string }> {
    const rec = await this.ctx.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    return await this.outbox.publishChannel(await this.ctx.channel(rec), e)
  }
}

function refusalError (reason: string, qid: string): SwarmError {
  const messages: Record<string, string> = {
    late: `question ${qid} has expired: the asker no longer accepts contributions`,
    closed: `question ${qid} is closed`,
    'filtered-out': `this node is filtered out by question ${qid}'s filters`,
    'no-follow-ups': `question ${qid} does not allow follow-ups (clarification requests)`,
    'not-authorized': `not authorized on question ${qid}`
  }
  return new SwarmError(reason, messages[reason] ?? `refused by the asker: ${reason}`, { detail: { id: qid } })
}
