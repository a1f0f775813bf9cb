// The question bus: questions on scoped topics, response channels, presence, secretary and
// shadow, TTL, history backfill and reliable delivery to just-joined peers. Every envelope, from
// gossip, a direct push or a history page, goes through the same validation and the same
// channel state machine.

import { performance } from 'node:perf_hooks'
import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_DELIVERY, topics } from '../constants.ts'
import {
  buildClose, buildContribution, buildPresence, buildQuestion, buildSecretaryClaim, EnvelopeValidator,
  type EnvelopeBase, type QuestionInit, type Verdict
} from '../envelope/index.ts'
import type {
  CloseEnvelope, ContributionEnvelope, PresenceEnvelope, QuestionEnvelope, SecretaryClaimEnvelope, SummaryEnvelope
} from '../envelope/schemas.ts'
import { normalizeScope } from '../envelope/schemas.ts'
import { NotFoundError, SwarmError } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../net/rpc.ts'
import type { TopicVerdict } from '../net/topics.ts'
import { ReputationBook } from '../synthesis/reputation.ts'
import type { SwarmComponents, SwarmService } from '../daemon/components.ts'
import { APPOINT_PREFIX, Channel, type Applied, type ChannelEntry, type PresenceRole, type QuestionState, type Role } from './channel.ts'
import { checkEligibility } from './eligibility.ts'
import { effectiveModels } from '../config/models.ts'
import { ChannelStore, fetchHistory, serveHistory, type HistoryPage, type QuestionRecord } from './history.ts'
import { createOpener, isRecipient, open, seal, SEALED_TYPE, type Opener, type SealedEnvelope } from './private.ts'
import { claimDelayMs, isAbsent } from './secretary.ts'
import { CHANNEL_PREFIX, channelTopic, publishTopics, questionSubscriptions, topicKind, type Scope, type TopicKind } from './topics.ts'
import { CHANNEL_TYPES, checkChannelEnvelope, checkQuestionScope, directArrival } from './validator.ts'
import { registerBusMethods } from './methods.ts'

export type BusComponents = Pick<SwarmComponents, 'config' | 'identity' | 'db' | 'libp2p' | 'topics' | 'control' | 'events' | 'counters' | 'log' | 'services'>

export type ContributionKind = ContributionEnvelope['kind']

/** What the question builder takes, with the bus's own routing on top. */
export interface AskInit extends Omit<QuestionInit, 'scope' | 'createdAt' | 'responseChannelMode' | 'reward'> {
  scope?: Scope
  /** Private: recipients' node ids. */
  to?: string[]
  /** Cross-federation: the other federations. */
  federations?: string[]
  /** A node that follows the channel and takes over when the asker goes quiet. */
  shadow?: string
}

export interface ContributeInit {
  kind: ContributionKind
  text: string
  confidence: number
  sources?: string[]
  replyTo?: string
  origin?: ContributionEnvelope['origin']
  attachments?: ContributionEnvelope['attachments']
}

/** One line of a channel's live feed (`swarm watch`). */
export interface ChannelEvent {
  type: string
  questionId: string
  seq?: number
  id?: string
  from?: string
  envelope?: EnvelopeBase
  excluded?: string
  state?: QuestionState
  secretary?: string | null
}

/** What `onQuestion` listeners get: a new question this node may answer, or a clarification in a channel it is part of. */
export interface QuestionNotice {
  kind: 'question' | 'clarification-request' | 'clarification'
  question: QuestionEnvelope
  contribution?: ContributionEnvelope
  role: Role
}

type Deliverable = { envelope: EnvelopeBase, text: string }

/** A questions topic carries questions, shadow appointments, and channel envelopes as a fallback (see publishChannel). */
const QUESTION_TOPIC_TYPES = ['swarm/question', ...CHANNEL_TYPES]
const ANY_CHANNEL_TYPES = [...CHANNEL_TYPES, SEALED_TYPE]
const URGENCY_RANK: Record<string, number> = { critical: 3, high: 2, normal: 1, low: 0 }
const now = (): number => Date.now()
/** Expired questions stay in memory this long (then only in the store). */
const PRUNE_AFTER_MS = 10 * 60_000
const hrNow = (): number => performance.timeOrigin + performance.now()
/**
 * Catch-up after a (re)subscription (see catchUp): a peer newly seen subscribed to a channel is
 * pushed, this long after the subscription arrived (about one gossipsub heartbeat, so that it is
 * in the mesh by then and what this node forwarded meanwhile is included), the envelopes this
 * node stored in the window before it — its own, or all of them if it is the acting node.
 */
const CATCH_UP_DELAY_MS = 1200
const CATCH_UP_MIN_WINDOW_MS = 15_000
const CATCH_UP_MAX = 64
/** A daemon that rejoined its channels at start pulls their history once more this long after the first backfill served. */
const SETTLE_BACKFILL_MS = 2500
/** Channels backfilled at once (a restarted asker may rejoin hundreds; the history server takes 32 streams at a time). */
const BACKFILL_CONCURRENCY = 4

export class QuestionBus implements SwarmService {
  readonly name = 'bus'
  readonly reputation: ReputationBook
  readonly store: ChannelStore
  private readonly c: BusComponents
  private readonly validator: EnvelopeValidator
  /** History pages are judged without the replay memory: a page repeats what gossip brought. */
  private readonly historyValidator: EnvelopeValidator
  private readonly opener: Opener
  private readonly records = new Map<string, QuestionRecord>()
  private readonly channels = new Map<string, Channel>()
  private readonly watchers = new Map<string, Set<(e: ChannelEvent) => void>>()
  private readonly questionListeners = new Set<(n: QuestionNotice) => void>()
  /** Shadow appointments that arrived before their question. */
  private readonly pendingAppointments = new Map<string, Deliverable>()
  private readonly needsBackfill = new Set<string>()
  /** Channels rejoined at start that still owe their second ("settle") backfill. */
  private readonly settleBackfill = new Set<string>()
  /** Channels rejoined at start, until that settle backfill is done: recent envelopes from history are relayed. */
  private readonly rejoining = new Set<string>()
  /** Pending catch-up pushes, by `<peer> <question id>`. */
  private readonly catchUps = new Map<string, NodeJS.Timeout>()
  private readonly backfilling = new Map<string, Promise<void>>()
  private backfillFree = BACKFILL_CONCURRENCY
  private readonly backfillQueue: Array<() => void> = []
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>()
  private readonly claimAt = new Map<string, number>()
  private readonly lastState = new Map<string, QuestionState>()
  private readonly joinedAt = new Map<string, number>()
  private tick?: NodeJS.Timeout
  private lastPrune = 0
  private started = false
  private readonly skewMs: number
  private readonly heartbeatSec: number
  private readonly onSubscriptionChange = (evt: CustomEvent<any>): void => {
    this.reannounce(evt.detail.peerId, evt.detail.subscriptions)
    this.catchUp(evt.detail.peerId, evt.detail.subscriptions)
  }
  private readonly onPeerConnect = (): void => { this.kickBackfill() }

  constructor (c: BusComponents) {
    this.c = c
    this.skewMs = c.config.bus.clockSkewSec * 1000
    this.heartbeatSec = c.config.presence.heartbeatSec
    const opts = { clockSkewSec: c.config.bus.clockSkewSec, maxBytes: c.config.bus.maxEnvelopeBytes }
    this.validator = new EnvelopeValidator(opts)
    this.historyValidator = new EnvelopeValidator({ ...opts, replayCacheSize: 0 })
    this.opener = createOpener(c.identity.nodeId, c.identity.seed)
    this.store = new ChannelStore(c.db.bucket('questions'), c.db.bucket('channel'))
    this.reputation = new ReputationBook(c.db.bucket('reputation'), c.config.reputation.default)
  }

  private get me (): string { return this.c.identity.nodeId }
  private get catchUpWindowMs (): number { return Math.max(CATCH_UP_MIN_WINDOW_MS, 3 * this.heartbeatSec * 1000) }
  private get log (): BusComponents['log'] { return this.c.log }

  // ---------------------------------------------------------------- lifecycle

  async start (): Promise<void> {
    const { topics, config, identity, libp2p } = this.c
    this.started = true
    const questionRoute = {
      validate: (data: Uint8Array, topic: string) => this.validateQuestionTopic(data, topic),
      // gossipsub forwards right after delivering, in the same tick: let it forward first
      deliver: async (v: Deliverable & { at: TopicKind }) => { await null; await this.ingestQuestionTopic(v.envelope, v.text, v.at) }
    }
    for (const topic of questionSubscriptions({ federation: identity.federation, federations: config.bus.federations, global: config.bus.global })) {
      if (topicKind(topic).kind === 'private') {
        topics.route(topic, {
          validate: (data: Uint8Array) => this.validateSealed(data),
          deliver: async (v: Deliverable) => { await null; await this.ingestSealed(v.envelope as SealedEnvelope, v.text, undefined) }
        })
      } else {
        topics.route(topic, questionRoute)
      }
      topics.subscribe(topic)
    }
    topics.routePrefix(CHANNEL_PREFIX, {
      validate: (data: Uint8Array, topic: string) => this.validateChannelTopic(data, topic),
      deliver: async (v: Deliverable, topic: string) => { await null; await this.ingestChannelWire(topicKind(topic) as { kind: 'channel', questionId: string }, v.envelope, v.text, 'gossip') }
    })
    await handleRequests(libp2p, PROTOCOL_DELIVERY, async (req, from) => encodeJson(await this.onDelivery(req, from)), { maxInboundStreams: 64, timeoutMs: 10_000 })
    await serveHistory(libp2p, this.store)
    libp2p.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    libp2p.addEventListener('peer:connect', this.onPeerConnect)
    registerBusMethods(this.c.control, this)
    await this.restore()
    this.tick = setInterval(() => { void this.onTick() }, this.heartbeatSec * 1000)
    this.tick.unref()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.tick)
    for (const t of this.expiryTimers.values()) clearTimeout(t)
    this.expiryTimers.clear()
    for (const t of this.catchUps.values()) clearTimeout(t)
    this.catchUps.clear()
    this.c.libp2p.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.c.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    await this.c.libp2p.unhandle(PROTOCOL_DELIVERY).catch(() => {})
    await this.c.libp2p.unhandle('/swarm/history/1.0.0').catch(() => {})
  }

  stats (): Record<string, unknown> {
    const byState: Record<string, number> = {}
    let open = 0
    for (const rec of this.records.values()) {
      if (!this.listed(rec)) continue
      const s = this.stateOf(rec)
      byState[s] = (byState[s] ?? 0) + 1
      if (s === 'open' || s === 'answered') open++
    }
    const channels = this.c.topics.topics().filter((t) => t.startsWith(CHANNEL_PREFIX)).length
    return { questions: { open, byState }, channels }
  }

  /** Called for each new question this node may answer, and each clarification in a channel it takes part in. */
  onQuestion (listener: (n: QuestionNotice) => void): () => void {
    this.questionListeners.add(listener)
    return () => { this.questionListeners.delete(listener) }
  }

  /** Reloads questions and channels after a restart, rejoins the open ones and asks peers for what was missed. */
  private async restore (): Promise<void> {
    const t = now()
    for (const rec of await this.store.allQuestions()) {
      if (!rec.joined && t > this.deadlineOf(rec.envelope) + PRUNE_AFTER_MS) continue
      this.records.set(rec.id, rec)
      if (!rec.joined) continue
      const ch = await this.loadChannel(rec)
      if (ch.closedOrExpired() && ch.close !== undefined) { rec.joined = false; continue }
      if (!rec.joined) continue
      this.subscribeChannel(rec.id)
      this.joinedAt.set(rec.id, now())
      this.needsBackfill.add(rec.id)
      this.settleBackfill.add(rec.id)
      this.rejoining.add(rec.id)
      if (!ch.closedOrExpired()) {
        await this.publishChannel(ch, buildPresence(this.c.identity, { questionId: rec.id, event: 'join', role: this.presenceRole(rec) }))
        if (rec.role === 'asker' && ch.secretary !== null) await this.publishChannel(ch, buildSecretaryClaim(this.c.identity, { questionId: rec.id, mode: 'resume', askerNodeId: this.me, reason: 'asker restarted; resuming' }))
      }
      this.scheduleExpiry(ch)
    }
  }

  // ---------------------------------------------------------------- topic validators (pure-ish, synchronous)

  private verdictToTopic (v: Verdict): TopicVerdict<never> | undefined {
    if (v.ok) return undefined
    return { action: v.action, reason: v.reason, detail: v.detail }
  }

  private validateQuestionTopic (data: Uint8Array, topic: string): TopicVerdict<Deliverable & { at: TopicKind }> {
    const v = this.validator.validateSync(data, { expectType: QUESTION_TOPIC_TYPES })
    if (!v.ok) return this.verdictToTopic(v) as TopicVerdict<never>
    const at = topicKind(topic)
    const why = this.judgeQuestionTopicEnvelope(v.envelope, at)
    if (why !== undefined) {
      this.validator.forget(v.envelope.id)
      return { action: 'reject', reason: why }
    }
    return { action: 'accept', value: { envelope: v.envelope, text: v.text ?? new TextDecoder().decode(data), at } }
  }

  /** A question must match the topic's scope; channel envelopes ride along as a fallback carrier. */
  private judgeQuestionTopicEnvelope (e: EnvelopeBase, at: TopicKind): string | undefined {
    if (e.type === 'swarm/question') return checkQuestionScope(e as QuestionEnvelope, at)
    return (CHANNEL_TYPES as readonly string[]).includes(e.type) ? undefined : 'wrong-scope'
  }

  private validateSealed (data: Uint8Array): TopicVerdict<Deliverable> {
    const v = this.validator.validateSync(data, { expectType: SEALED_TYPE })
    if (!v.ok) return this.verdictToTopic(v) as TopicVerdict<never>
    return { action: 'accept', value: { envelope: v.envelope, text: v.text ?? new TextDecoder().decode(data) } }
  }

  private validateChannelTopic (data: Uint8Array, topic: string): TopicVerdict<Deliverable> {
    const v = this.validator.validateSync(data, { expectType: ANY_CHANNEL_TYPES, checkExpiry: true })
    if (!v.ok) return this.verdictToTopic(v) as TopicVerdict<never>
    const at = topicKind(topic)
    if (at.kind !== 'channel') return { action: 'reject', reason: 'wrong-channel' }
    if (v.envelope.type !== SEALED_TYPE && checkChannelEnvelope(v.envelope, at.questionId) !== undefined) {
      this.validator.forget(v.envelope.id)
      return { action: 'reject', reason: 'wrong-channel' }
    }
    return { action: 'accept', value: { envelope: v.envelope, text: v.text ?? new TextDecoder().decode(data) } }
  }

  // ---------------------------------------------------------------- ingest

  private async ingestQuestionTopic (e: EnvelopeBase, text: string, at: TopicKind): Promise<string | undefined> {
    if (e.type === 'swarm/question') return await this.ingestQuestion(e as QuestionEnvelope, text, at)
    if (isAppointment(e)) return await this.ingestAppointment(e, text)
    return await this.ingestCarried(e, text, false)
  }

  /** A channel envelope that came on a questions topic (its sender knew no channel peer): taken only by channel members. */
  private async ingestCarried (e: EnvelopeBase, wire: string, sealed: boolean): Promise<string | undefined> {
    const qid = (e as { 'question/id'?: string })['question/id']
    const rec = qid === undefined ? undefined : this.records.get(qid)
    if (qid === undefined || rec === undefined || !rec.joined) return 'not-member'
    return await this.ingestChannel(qid, e, wire, 'gossip', sealed)
  }

  private async ingestQuestion (q: QuestionEnvelope, wire: string, at: TopicKind | undefined, to?: string[]): Promise<string | undefined> {
    if (this.records.has(q.id)) return 'duplicate'
    if (q.sender['node/id'] === this.me) return 'duplicate'
    const { config } = this.c
    const elig = checkEligibility(q.filters, { models: effectiveModels(config), languages: config.node.languages, reputation: config.reputation.default })
    const rec: QuestionRecord = {
      id: q.id,
      envelope: q,
      wire,
      role: 'receiver',
      eligible: elig.ok,
      joined: false,
      receivedAt: now()
    }
    if (!elig.ok) rec.ineligible = elig.detail
    if (to !== undefined) rec.to = to
    this.records.set(q.id, rec)
    // announced as soon as it is validated and recorded in memory; the store write follows
    this.c.counters.inc('bus.questions', elig.ok ? 'received' : 'filtered-out')
    this.c.events.emit('question:received', {
      id: q.id, from: q.sender['node/id'], scope: q.delivery.scope, urgency: q.question.urgency, text: q.question.text,
      eligible: elig.ok, via: at?.kind ?? 'history', t: hrNow(), attachments: q.attachments
    })
    await this.store.putQuestion(rec)
    if (!elig.ok) return undefined
    this.notify({ kind: 'question', question: q, role: rec.role })
    const appointment = this.pendingAppointments.get(q.id)
    if (appointment !== undefined) {
      this.pendingAppointments.delete(q.id)
      await this.ingestAppointment(appointment.envelope as SecretaryClaimEnvelope, appointment.text)
    } else if (config.secretary.volunteer && this.deadlineOf(q) > now()) {
      await this.join(q.id, 'watcher')
    }
    return undefined
  }

  private async ingestAppointment (claim: SecretaryClaimEnvelope, wire: string): Promise<string | undefined> {
    const qid = claim['question/id']
    const rec = await this.record(qid)
    if (rec === undefined) {
      this.pendingAppointments.set(qid, { envelope: claim, text: wire })
      return undefined
    }
    const ch = this.channels.get(qid)
    if (ch !== undefined) await this.admitLocal(ch, claim, wire, { source: 'gossip' })
    const shadow = claim.reason.slice(APPOINT_PREFIX.length).trim()
    if (shadow === this.me && rec.role !== 'asker' && rec.role !== 'secretary') {
      rec.role = 'shadow'
      await this.join(qid, 'shadow')
      const joined = this.channels.get(qid)
      if (joined !== undefined) {
        await this.admitLocal(joined, claim, wire, { source: 'gossip' })
        await this.publishChannel(joined, buildSecretaryClaim(this.c.identity, { questionId: qid, mode: 'shadow', askerNodeId: rec.envelope.sender['node/id'], reason: 'following as shadow' }))
      }
    }
    return undefined
  }

  /** A sealed envelope from the private inbox, a channel or a direct push: open it if it is for us. */
  private async ingestSealed (sealed: SealedEnvelope, wire: string, channel: string | undefined, source: 'gossip' | 'direct' | 'history' = 'gossip'): Promise<string | undefined> {
    if (!isRecipient(sealed, this.opener)) return 'not-recipient'
    let payload
    try {
      payload = open(sealed, this.opener)
    } catch (err) {
      this.c.counters.inc('envelopes.rejected', 'bad-seal')
      this.log.warn('sealed envelope does not open', { id: sealed.id, err: (err as Error).message })
      return 'bad-seal'
    }
    if (payload === undefined) return 'not-recipient'
    const validator = source === 'history' ? this.historyValidator : this.validator
    const inner = validator.validateSync(payload.envelope, { checkExpiry: source !== 'history' })
    if (!inner.ok) {
      if (inner.action === 'reject') this.c.counters.inc('envelopes.rejected', inner.reason)
      return inner.reason
    }
    const e = inner.envelope
    if (channel === undefined) {
      // the private inbox carries questions and shadow appointments
      if (e.type === 'swarm/question') {
        if ((e as QuestionEnvelope).delivery.scope !== 'private' && (e as QuestionEnvelope).delivery.scope !== 'private-to-swarm') {
          this.c.counters.inc('envelopes.rejected', 'wrong-scope')
          return 'wrong-scope'
        }
        return await this.ingestQuestion(e as QuestionEnvelope, wire, { kind: 'private' }, payload.to)
      }
      if (isAppointment(e)) return await this.ingestAppointment(e, wire)
      if ((CHANNEL_TYPES as readonly string[]).includes(e.type)) return await this.ingestCarried(e, wire, true)
      return 'wrong-scope'
    }
    if (!(CHANNEL_TYPES as readonly string[]).includes(e.type) || checkChannelEnvelope(e, channel) !== undefined) {
      this.c.counters.inc('envelopes.rejected', 'wrong-channel')
      return 'wrong-channel'
    }
    return await this.ingestChannel(channel, e, wire, source, true)
  }

  private async ingestChannelWire (at: { kind: 'channel', questionId: string }, e: EnvelopeBase, wire: string, source: 'gossip' | 'direct' | 'history'): Promise<string | undefined> {
    if (e.type === SEALED_TYPE) return await this.ingestSealed(e as SealedEnvelope, wire, at.questionId, source)
    return await this.ingestChannel(at.questionId, e, wire, source, false)
  }

  /** A verified channel envelope (opened if it was sealed). Returns why it is excluded, if it is. */
  private async ingestChannel (qid: string, e: EnvelopeBase, wire: string, source: 'gossip' | 'direct' | 'history', sealed: boolean): Promise<string | undefined> {
    const rec = await this.record(qid)
    if (rec === undefined) return 'not-found'
    const ch = await this.loadChannel(rec)
    return await this.admitLocal(ch, e, wire, { source, sealed })
  }

  /** Judges, stores and announces one channel envelope; then reacts (secretary changes, clarifications, close). */
  private async admitLocal (ch: Channel, e: EnvelopeBase, wire: string, o: { source: 'gossip' | 'direct' | 'history' | 'self', sealed?: boolean }): Promise<string | undefined> {
    if (ch.has(e.id)) return ch.entries.find((x) => x.id === e.id)?.excluded
    const judgeNow = o.source === 'history' ? Math.min(now(), Date.parse(e['created-at'])) : now()
    let filtered: string | undefined
    if (e.type === 'swarm/contribution' && ch.acting === this.me && e.sender['node/id'] !== this.me) filtered = await this.judgeContributor(ch.question, e.sender['node/id'])
    const applied = ch.admit(e, wire, { now: judgeNow, skewMs: this.skewMs, filtered: filtered === undefined ? undefined : 'filtered-out' })
    if (applied.duplicate === true || applied.entry === undefined) {
      if (e.type === 'swarm/presence') this.afterApplied(ch, applied)
      return undefined
    }
    const entry = applied.entry
    if (filtered !== undefined && entry.excluded === 'filtered-out') entry.detail = filtered
    if (o.sealed === true) entry.sealed = true
    await this.store.putEntry(ch.questionId, entry)
    if (entry.type === 'swarm/contribution') {
      const c = e as ContributionEnvelope
      this.c.counters.inc('bus.contributions', entry.excluded ?? 'accepted')
      this.c.events.emit('contribution', { questionId: ch.questionId, id: e.id, kind: c.kind, from: e.sender['node/id'], excluded: entry.excluded ?? null, attachments: c.attachments })
      const rec = this.records.get(ch.questionId)
      if (entry.excluded === undefined && rec !== undefined && (c.kind === 'clarification-request' || c.kind === 'clarification') && e.sender['node/id'] !== this.me) {
        this.notify({ kind: c.kind, question: ch.question, contribution: c, role: rec.role })
      }
    }
    this.emitEntry(ch, entry)
    this.afterApplied(ch, applied)
    // an excluded envelope (refused by the acting node: filtered-out, late, closed) is not spread
    if (entry.excluded === undefined && (o.source === 'direct' || (o.source === 'history' && this.rejoining.has(ch.questionId) && Date.parse(e['created-at']) >= now() - this.catchUpWindowMs))) this.relay(ch.questionId, wire)
    return entry.excluded
  }

  /**
   * A member that learns a channel envelope outside gossip — pushed to it (a catch-up, or a
   * contribution handed to the acting node), or, while it rejoins after a restart, a recent one
   * from a history page — publishes it on the channel topic, as gossip would have forwarded it:
   * its author's own publish may have reached nobody, and this node may be the only path to the
   * others. The bytes are the author's, so peers that have it drop it as a gossipsub duplicate.
   */
  private relay (qid: string, wire: string): void {
    if (this.records.get(qid)?.joined !== true) return
    this.c.topics.publish(channelTopic(qid), new TextEncoder().encode(wire)).then(
      (n) => { this.c.counters.inc('bus.relayed', n > 0 ? 'sent' : 'no-peers') },
      // PublishError.Duplicate: the gossip copy got here first and was forwarded then
      (err) => { this.log.debug('relay skipped', { qid, err: (err as Error).message }) }
    )
  }

  /**
   * A question pushed to this node (a re-announce to a just-subscribed peer) never passed through
   * gossipsub here, so gossipsub will not forward it: publish the same bytes on the topic it
   * arrived for, as gossip would have. In a sparse mesh this node may be the only way on to the
   * nodes behind it; peers that already have it drop the bytes as a duplicate.
   */
  private relayQuestion (at: TopicKind, wire: string): void {
    const topic = at.kind === 'global' ? topics.globalQuestions() : at.kind === 'federation' ? topics.questions(at.federation) : undefined
    if (topic === undefined || !this.c.topics.subscribed(topic)) return
    this.c.topics.publish(topic, new TextEncoder().encode(wire)).then(
      (n) => { this.c.counters.inc('bus.relayed', n > 0 ? 'question-sent' : 'question-no-peers') },
      (err) => { this.log.debug('question relay skipped', { err: (err as Error).message }) }
    )
  }

  private afterApplied (ch: Channel, a: Applied): void {
    const rec = this.records.get(ch.questionId)
    if (rec === undefined) return
    if (a.secretaryChanged === true) {
      this.c.events.emit('secretary:changed', { id: ch.questionId, secretary: ch.secretary })
      this.emit(ch, { type: 'secretary', questionId: ch.questionId, secretary: ch.secretary })
      if (ch.secretary === this.me) {
        rec.role = 'secretary'
        void this.store.putQuestion(rec)
        this.scheduleExpiry(ch)
      } else if (rec.role === 'secretary') {
        rec.role = ch.shadow === this.me ? 'shadow' : 'watcher'
        void this.store.putQuestion(rec)
      }
    }
    if (a.askerReturned === true && ch.secretary === this.me) {
      // the asker is back: hand the role back and say so in the channel
      void this.publishChannel(ch, buildSecretaryClaim(this.c.identity, { questionId: ch.questionId, mode: 'step-back', askerNodeId: ch.asker, reason: `asker ${ch.asker} is back; stepping back` }))
    }
    this.checkState(ch)
    if (a.closed === true) {
      const t = this.expiryTimers.get(ch.questionId)
      if (t !== undefined) { clearTimeout(t); this.expiryTimers.delete(ch.questionId) }
      // linger a little so the close spreads, then leave the channel
      setTimeout(() => { void this.leave(ch.questionId) }, Math.max(1000, this.heartbeatSec * 1000)).unref()
    }
  }

  /** The asker's (or secretary's) filter check of a contributor: reputation in this node's view, models and languages from its capability advert when known. */
  private async judgeContributor (q: QuestionEnvelope, nodeId: string): Promise<string | undefined> {
    const advert = this.lookupAdvert(nodeId)
    const v = checkEligibility(q.filters, {
      models: advert?.models ?? [],
      languages: advert?.languages ?? [],
      reputation: await this.reputation.score(nodeId)
    })
    if (v.ok) return undefined
    // without an advert, models and languages are unknown: only reputation can exclude
    if (advert === undefined && !v.detail.startsWith('reputation')) return undefined
    return v.detail
  }

  private lookupAdvert (nodeId: string): { models: string[], languages: string[] } | undefined {
    for (const svc of this.c.services.values()) {
      const dir = (svc as { directory?: { get?: (id: string) => { models: string[], languages: string[] } | undefined } }).directory
      if (typeof dir?.get === 'function') return dir.get(nodeId)
    }
    return undefined
  }

  /** Direct pushes (/swarm/deliver/1.0.0): the same validation as gossip; the answer is the verdict. */
  private async onDelivery (req: Uint8Array, from: PeerId): Promise<{ ok: boolean, reason?: string, detail?: string }> {
    let type: unknown
    try { type = (JSON.parse(new TextDecoder().decode(req)) as { type?: unknown }).type } catch { return { ok: false, reason: 'bad-json' } }
    const allowed = [...QUESTION_TOPIC_TYPES, ...ANY_CHANNEL_TYPES]
    const v = this.validator.validateSync(req, { expectType: allowed })
    if (!v.ok) {
      this.c.counters.inc(v.action === 'reject' ? 'envelopes.rejected' : 'envelopes.ignored', v.reason)
      return { ok: false, reason: v.reason, detail: v.detail }
    }
    const e = v.envelope
    const wire = v.text ?? new TextDecoder().decode(req)
    let why: string | undefined
    try {
      if (type === 'swarm/question') {
        const at = directArrival(e as QuestionEnvelope, this.listens())
        why = at === undefined ? 'wrong-scope' : checkQuestionScope(e as QuestionEnvelope, at)
        if (why === undefined) why = await this.ingestQuestion(e as QuestionEnvelope, wire, at)
        if (why === undefined && at !== undefined) this.relayQuestion(at, wire)
      } else if (isAppointment(e)) {
        why = await this.ingestAppointment(e, wire)
      } else if (type === SEALED_TYPE) {
        why = await this.ingestSealedDirect(e as SealedEnvelope, wire)
      } else {
        const qid = (e as { 'question/id'?: string })['question/id'] ?? ''
        why = await this.ingestChannel(qid, e, wire, 'direct', false)
      }
    } finally {
      // let the gossip copy through too, so this node still forwards it to its mesh
      this.validator.forget(e.id)
    }
    if (why === 'wrong-scope' || why === 'wrong-channel') this.c.counters.inc('envelopes.rejected', why)
    this.log.debug('direct delivery', { from: from.toString(), id: e.id, verdict: why ?? 'accepted' })
    return why === undefined ? { ok: true } : { ok: false, reason: why }
  }

  /** A sealed push: a question (no channel known) or a channel envelope of a private question we hold. */
  private async ingestSealedDirect (sealed: SealedEnvelope, wire: string): Promise<string | undefined> {
    if (!isRecipient(sealed, this.opener)) return 'not-recipient'
    const payload = open(sealed, this.opener)
    const qid = (payload?.envelope as { 'question/id'?: string } | undefined)?.['question/id']
    return await this.ingestSealed(sealed, wire, payload?.envelope.type === 'swarm/question' || qid === undefined ? undefined : qid, 'direct')
  }

  private listens (): { federations: string[], global: boolean } {
    const { config, identity } = this.c
    return { federations: [...new Set([identity.federation, ...config.bus.federations])], global: config.bus.global }
  }

  // ---------------------------------------------------------------- channels

  private async loadChannel (rec: QuestionRecord): Promise<Channel> {
    let ch = this.channels.get(rec.id)
    if (ch !== undefined) return ch
    ch = new Channel(rec.envelope)
    if (rec.to !== undefined) ch.to = rec.to
    for (const entry of await this.store.entries(rec.id)) ch.restore(entry)
    // another call may have loaded it while we read
    const raced = this.channels.get(rec.id)
    if (raced !== undefined) return raced
    this.channels.set(rec.id, ch)
    this.lastState.set(rec.id, ch.state())
    return ch
  }

  private subscribeChannel (qid: string): void {
    const topic = channelTopic(qid)
    if (!this.c.topics.subscribed(topic)) this.c.topics.subscribe(topic)
  }

  private presenceRole (rec: QuestionRecord): PresenceRole {
    switch (rec.role) {
      case 'asker': return 'asker'
      case 'secretary': return 'secretary'
      case 'shadow': return 'shadow'
      case 'participant': return 'participant'
      default: return 'watcher'
    }
  }

  /** Joins a question's channel in `role` (no-op if already in it with a stronger role). */
  async join (qid: string, role: Role): Promise<Channel> {
    const rec = await this.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const ch = await this.loadChannel(rec)
    const strength: Record<Role, number> = { receiver: 0, watcher: 1, participant: 2, shadow: 3, secretary: 4, asker: 5 }
    const promote = strength[role] > strength[rec.role]
    if (promote) rec.role = role
    if (rec.joined && !promote) return ch
    const wasJoined = rec.joined
    rec.joined = true
    await this.store.putQuestion(rec)
    this.subscribeChannel(qid)
    if (!wasJoined) this.joinedAt.set(qid, now())
    if (!ch.closedOrExpired()) await this.publishChannel(ch, buildPresence(this.c.identity, { questionId: qid, event: 'join', role: this.presenceRole(rec) }))
    if (!wasJoined && rec.role !== 'asker') {
      this.needsBackfill.add(qid)
      void this.backfill(qid)
    }
    return ch
  }

  /** Leaves a channel (presence leave, unsubscribe); the history stays in the store. */
  async leave (qid: string): Promise<void> {
    const rec = this.records.get(qid)
    if (rec === undefined || !rec.joined || !this.started) return
    const ch = this.channels.get(qid)
    if (ch !== undefined) await this.publishChannel(ch, buildPresence(this.c.identity, { questionId: qid, event: 'leave', role: this.presenceRole(rec) })).catch(() => {})
    rec.joined = false
    await this.store.putQuestion(rec)
    const topic = channelTopic(qid)
    if (this.c.topics.subscribed(topic)) this.c.topics.unsubscribe(topic)
    this.needsBackfill.delete(qid)
    this.settleBackfill.delete(qid)
    this.rejoining.delete(qid)
  }

  /** Signs nothing itself: takes a built envelope, seals it for private channels, admits it locally, publishes it. */
  private async publishChannel (ch: Channel, e: EnvelopeBase): Promise<{ wire: string, excluded?: string }> {
    const wire = ch.private ? JSON.stringify(seal(this.c.identity, { to: ch.to, envelope: e, ttlSec: this.sealTtl(ch) })) : JSON.stringify(e)
    this.validator.remember(e)
    const excluded = await this.admitLocal(ch, e, wire, { source: 'self', sealed: ch.private })
    const bytes = new TextEncoder().encode(wire)
    try {
      const n = await this.c.topics.publish(channelTopic(ch.questionId), bytes)
      // no channel member among our peers: hand it to the acting node directly, else let the
      // question's own topic carry it (every node there relays; only members take it)
      if (n === 0) {
        if (ch.acting === this.me) {
          // nobody else in the channel: nobody to reach (an unanswered question stays off the questions topic)
          if ([...ch.participants.values()].some((p) => p.nodeId !== this.me && p.present)) await this.carry(ch, wire)
        } else if (await this.pushTo(ch.acting, bytes) === undefined) {
          await this.carry(ch, wire)
        }
      }
    } catch (err) {
      this.log.debug('channel publish failed', { id: e.id, err: (err as Error).message })
    }
    return excluded === undefined ? { wire } : { wire, excluded }
  }

  private async carry (ch: Channel, wire: string): Promise<void> {
    const q = ch.question
    const scope = normalizeScope(q.delivery.scope) as Scope
    // the asker's federation topic (it always listens there), the global topic or the private inbox
    for (const topic of publishTopics(scope, q.sender['federation/id'], [])) {
      const n = await this.c.topics.publish(topic, new TextEncoder().encode(wire + ' ')).catch(() => 0)
      this.c.counters.inc('bus.carried', n > 0 ? 'sent' : 'no-peers')
    }
  }

  private sealTtl (ch: Channel): number {
    return Math.max(60, Math.ceil((ch.deadline - now()) / 1000) + 3600)
  }

  /** Sends one envelope to a node over /swarm/deliver/1.0.0 if it is connected; its verdict, or undefined. */
  private async pushTo (nodeId: string, bytes: Uint8Array): Promise<{ ok: boolean, reason?: string } | undefined> {
    const conn = this.c.libp2p.getConnections().find((x) => nodeIdFromPeerId(x.remotePeer) === nodeId)
    if (conn === undefined) return undefined
    return await this.push(conn.remotePeer, bytes)
  }

  private async push (peer: PeerId, bytes: Uint8Array): Promise<{ ok: boolean, reason?: string } | undefined> {
    try {
      return decodeJson(await request(this.c.libp2p, peer, PROTOCOL_DELIVERY, bytes, { timeoutMs: 5000 })) as { ok: boolean, reason?: string }
    } catch (err) {
      this.log.debug('direct delivery failed', { peer: peer.toString(), err: (err as Error).message })
      return undefined
    }
  }

  private emitEntry (ch: Channel, entry: ChannelEntry): void {
    const type = entry.type === 'swarm/secretary-claim' ? 'secretary-claim' : entry.type.replace(/^swarm\//, '')
    const ev: ChannelEvent = { type, questionId: ch.questionId, seq: entry.seq, id: entry.id, from: entry.envelope.sender['node/id'], envelope: entry.envelope }
    if (entry.excluded !== undefined) ev.excluded = entry.excluded
    this.emit(ch, ev)
  }

  private emit (ch: Channel, ev: ChannelEvent): void {
    const set = this.watchers.get(ch.questionId)
    if (set === undefined) return
    for (const w of set) { try { w(ev) } catch {} }
  }

  private checkState (ch: Channel): void {
    const s = ch.state()
    if (this.lastState.get(ch.questionId) === s) return
    this.lastState.set(ch.questionId, s)
    this.c.events.emit('question:state', { id: ch.questionId, state: s })
    this.emit(ch, { type: 'state', questionId: ch.questionId, state: s })
  }

  private notify (n: QuestionNotice): void {
    for (const l of this.questionListeners) { try { l(n) } catch (err) { this.log.warn('question listener failed', { err: (err as Error).message }) } }
  }

  // ---------------------------------------------------------------- history backfill

  private kickBackfill (): void {
    for (const qid of this.needsBackfill) void this.backfill(qid)
  }

  /** Pulls the channel's history from peers in the channel (else any connected peer), verifying each envelope. */
  backfill (qid: string): Promise<void> {
    const running = this.backfilling.get(qid)
    if (running !== undefined) return running
    const p = (async () => {
      if (this.backfillFree > 0) this.backfillFree--
      else await new Promise<void>((resolve) => { this.backfillQueue.push(resolve) })
      try {
        await this.backfillFrom(qid)
      } finally {
        const next = this.backfillQueue.shift()
        if (next !== undefined) next()
        else this.backfillFree++
      }
    })().finally(() => { this.backfilling.delete(qid) })
    this.backfilling.set(qid, p)
    return p
  }

  private async backfillFrom (qid: string): Promise<void> {
    if (!this.started || this.records.get(qid)?.joined !== true) return
    const topic = channelTopic(qid)
    const subs = this.c.topics.subscribers(topic).map((p) => p.toString())
    const conns = this.c.libp2p.getConnections().map((x) => x.remotePeer)
    const peers = [...new Map(conns.map((p) => [p.toString(), p])).values()].sort((a, b) => Number(subs.includes(b.toString())) - Number(subs.includes(a.toString())))
    let served = 0
    for (const peer of peers.slice(0, 6)) {
      try {
        // only a peer that holds the channel counts (a member always holds at least the asker's join);
        // one that merely received the question serves it with an empty channel
        let had = false
        await fetchHistory(this.c.libp2p, peer, qid, async (page) => { if (page.envelopes.length > 0) had = true; await this.ingestHistoryPage(qid, page) })
        if (had) served++
      } catch (err) {
        this.log.debug('history fetch failed', { qid, peer: peer.toString(), err: (err as Error).message })
      }
      if (served >= 2) break
    }
    if (served > 0) {
      this.needsBackfill.delete(qid)
      // a rejoin after a restart backfills at the first connection, before any peer knows this
      // node is subscribed again: pull once more after the subscription has spread and the mesh
      // has formed, for what was forwarded in between (catch-up pushes cover the authors' own)
      if (this.settleBackfill.delete(qid)) setTimeout(() => { void this.backfill(qid).finally(() => { this.rejoining.delete(qid) }) }, SETTLE_BACKFILL_MS).unref()
    }
  }

  private async ingestHistoryPage (qid: string, page: HistoryPage): Promise<void> {
    if ((await this.record(qid)) === undefined && typeof page.question === 'string') {
      const v = this.historyValidator.validateSync(page.question, { checkExpiry: false })
      if (v.ok && v.envelope.id === qid && v.envelope.type === 'swarm/question') {
        // a question fetched by id is still held to its scope: this node must listen where it was published
        const at = directArrival(v.envelope as QuestionEnvelope, this.listens())
        if (at === undefined || checkQuestionScope(v.envelope as QuestionEnvelope, at) !== undefined) return
        await this.ingestQuestion(v.envelope as QuestionEnvelope, page.question, undefined)
      } else if (v.ok && v.envelope.type === SEALED_TYPE) {
        await this.ingestSealed(v.envelope as SealedEnvelope, page.question, undefined, 'history')
      }
    }
    const rec = await this.record(qid)
    if (rec === undefined) return
    const ch = await this.loadChannel(rec)
    for (const text of page.envelopes) {
      if (typeof text !== 'string') continue
      const v = this.historyValidator.validateSync(text, { expectType: ANY_CHANNEL_TYPES, checkExpiry: false })
      if (!v.ok) { this.c.counters.inc('bus.history-rejected', v.reason); continue }
      if (v.envelope.type === SEALED_TYPE) await this.ingestSealed(v.envelope as SealedEnvelope, text, qid, 'history')
      else if (checkChannelEnvelope(v.envelope, qid) === undefined && !ch.has(v.envelope.id)) {
        // remember it so the same envelope from gossip later is a duplicate, not news
        this.validator.remember(v.envelope)
        await this.admitLocal(ch, v.envelope, text, { source: 'history' })
      }
    }
  }

  /** A question record from memory, else from the store (records of long-expired questions are pruned from memory). */
  private async record (qid: string): Promise<QuestionRecord | undefined> {
    const rec = this.records.get(qid)
    if (rec !== undefined) return rec
    const stored = await this.store.getQuestion(qid).catch(() => undefined)
    if (stored !== undefined && !this.records.has(qid)) this.records.set(qid, stored)
    return this.records.get(qid)
  }

  /** Forgets (in memory only) questions expired more than PRUNE_AFTER_MS ago that this node no longer takes part in. */
  private prune (t: number): void {
    for (const [id, rec] of this.records) {
      if (rec.joined || this.watchers.has(id) || t < this.deadlineOf(rec.envelope) + PRUNE_AFTER_MS) continue
      this.records.delete(id)
      this.channels.delete(id)
      this.lastState.delete(id)
      this.joinedAt.delete(id)
    }
  }

  /** The question record, fetched from peers' history when this node never received it. */
  async resolve (qid: string, signal?: AbortSignal): Promise<QuestionRecord> {
    let rec = await this.record(qid)
    if (rec !== undefined) return rec
    if (!/^question:[0-9A-HJKMNP-TV-Z]{26}$/.test(qid)) throw new SwarmError('bad-id', `not a question id: ${qid}`, { exitCode: 2 })
    const peers = [...new Map(this.c.libp2p.getConnections().map((x) => [x.remotePeer.toString(), x.remotePeer])).values()].slice(0, 4)
    for (const peer of peers) {
      if (signal?.aborted === true) break
      try {
        await fetchHistory(this.c.libp2p, peer, qid, async (page) => { await this.ingestHistoryPage(qid, page) }, signal)
      } catch {}
      rec = this.records.get(qid)
      if (rec !== undefined) return rec
    }
    throw new NotFoundError('question', qid)
  }

  // ---------------------------------------------------------------- re-announce to just-joined subscribers

  private reannounce (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    const topics = new Set(subs.filter((s) => s.subscribe && topicKind(s.topic).kind !== 'channel' && topicKind(s.topic).kind !== 'other').map((s) => s.topic))
    if (topics.size === 0) return
    const peerNode = nodeIdFromPeerId(peer)
    const t = now()
    const out: string[] = []
    for (const rec of this.records.values()) {
      const ch = this.channels.get(rec.id)
      if (ch === undefined || ch.acting !== this.me || ch.closedOrExpired(t)) continue
      const q = rec.envelope
      const scope = normalizeScope(q.delivery.scope) as Scope
      const on = publishTopics(scope, q.sender['federation/id'], rec.federations ?? [])
      if (!on.some((x) => topics.has(x))) continue
      if (scope === 'private' && (peerNode === undefined || !(rec.to ?? []).includes(peerNode))) continue
      out.push(rec.wire)
      const appointment = ch.entries.find((e) => e.type === 'swarm/secretary-claim' && (e.envelope as SecretaryClaimEnvelope).reason.startsWith(APPOINT_PREFIX))
      if (appointment !== undefined) out.push(appointment.wire)
    }
    if (out.length === 0) return
    void (async () => {
      for (const wire of out) {
        const res = await this.push(peer, new TextEncoder().encode(wire))
        this.c.counters.inc('bus.reannounced', res?.ok === true ? 'accepted' : res?.reason ?? 'failed')
      }
    })()
  }

  // ---------------------------------------------------------------- catch-up for peers newly subscribed to a channel

  /**
   * A peer's subscription to a channel this node is in has just arrived (it joined, connected,
   * or restarted and resubscribed). Anything this node published or forwarded before it knew of
   * that subscription, or before the peer entered its mesh, did not reach the peer, and gossipsub
   * never retransmits it (identical bytes are a duplicate, IHAVE skips mesh peers). So after one
   * gossipsub heartbeat, push the peer the envelopes this node stored in the window before: its
   * own (each author covers its envelopes), or all of them from the acting node (which holds
   * everything accepted). Duplicates cost the receiver one replay-cache lookup.
   */
  private catchUp (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    if (!this.started) return
    const since = now() - this.catchUpWindowMs
    for (const s of subs) {
      if (!s.subscribe) continue
      const at = topicKind(s.topic)
      if (at.kind !== 'channel') continue
      const qid = at.questionId
      if (this.records.get(qid)?.joined !== true || !this.channels.has(qid)) continue
      const key = `${peer.toString()} ${qid}`
      if (this.catchUps.has(key)) continue
      const timer = setTimeout(() => {
        this.catchUps.delete(key)
        void this.pushRecent(peer, qid, since).catch((err) => { this.log.debug('catch-up failed', { qid, err: (err as Error).message }) })
      }, CATCH_UP_DELAY_MS)
      timer.unref()
      this.catchUps.set(key, timer)
    }
  }

  private async pushRecent (peer: PeerId, qid: string, since: number): Promise<void> {
    const ch = this.channels.get(qid)
    if (!this.started || ch === undefined || this.records.get(qid)?.joined !== true) return
    if (this.c.libp2p.getConnections(peer).length === 0) return
    const peerNode = nodeIdFromPeerId(peer)
    if (ch.private && (peerNode === undefined || !ch.to.includes(peerNode))) return
    const acting = ch.acting === this.me
    const out = ch.entries.filter((e) => {
      const from = e.envelope.sender['node/id']
      return e.at >= since && from !== peerNode && (acting || from === this.me)
    }).slice(-CATCH_UP_MAX)
    for (const e of out) {
      const res = await this.push(peer, new TextEncoder().encode(e.wire))
      this.c.counters.inc('bus.caught-up', res?.ok === true ? 'accepted' : res?.reason ?? 'failed')
    }
    if (out.length > 0) this.log.debug('catch-up pushed', { qid, peer: peer.toString(), envelopes: out.length })
  }

  // ---------------------------------------------------------------- heartbeats, absence, expiry

  private async onTick (): Promise<void> {
    const t = now()
    if (t - this.lastPrune > PRUNE_AFTER_MS / 10) { this.lastPrune = t; this.prune(t) }
    for (const rec of this.records.values()) {
      if (!rec.joined) continue
      const ch = this.channels.get(rec.id)
      if (ch === undefined) continue
      this.checkState(ch)
      if (ch.closedOrExpired(t)) {
        if (ch.acting === this.me && ch.close === undefined) await this.expire(ch)
        continue
      }
      try {
        if (rec.role === 'asker' || rec.role === 'secretary' || rec.role === 'shadow') {
          await this.publishChannel(ch, buildPresence(this.c.identity, { questionId: rec.id, event: 'heartbeat', role: this.presenceRole(rec) }))
        }
        await this.watchAsker(rec, ch, t)
      } catch (err) {
        this.log.debug('tick failed', { id: rec.id, err: (err as Error).message })
      }
    }
  }

  /** Shadow and volunteers: claim the secretary role when the asker misses its heartbeats. */
  private async watchAsker (rec: QuestionRecord, ch: Channel, t: number): Promise<void> {
    if (rec.role === 'asker' || ch.secretary !== null) { this.claimAt.delete(rec.id); return }
    const isShadow = ch.shadow === this.me
    if (!isShadow && !this.c.config.secretary.volunteer) return
    const base = this.joinedAt.get(rec.id) ?? t
    const askerSeen = Math.max(ch.participants.get(ch.asker)?.lastSeen ?? 0, base)
    if (!isAbsent(askerSeen, t, this.heartbeatSec)) { this.claimAt.delete(rec.id); return }
    if (!isShadow && ch.shadow !== null) {
      const shadowSeen = ch.participants.get(ch.shadow)
      if (shadowSeen?.present === true && !isAbsent(shadowSeen.lastSeen, t, this.heartbeatSec)) return
    }
    let at = this.claimAt.get(rec.id)
    if (at === undefined) {
      const candidates = [...ch.participants.values()].filter((p) => p.present && p.nodeId !== ch.asker && p.role === 'watcher' && !isAbsent(p.lastSeen, t, this.heartbeatSec * 10)).map((p) => p.nodeId)
      const delay = isShadow ? 0 : claimDelayMs(rec.id, this.me, [...candidates, this.me], this.heartbeatSec) ?? 0
      at = t + delay
      this.claimAt.set(rec.id, at)
    }
    if (t < at) return
    this.claimAt.delete(rec.id)
    this.log.info('asker absent: claiming secretary', { id: rec.id, asker: ch.asker, shadow: isShadow })
    await this.publishChannel(ch, buildSecretaryClaim(this.c.identity, {
      questionId: rec.id, mode: 'takeover', askerNodeId: ch.asker, reason: `asker missed 3 heartbeats${isShadow ? '; shadow takes over' : '; volunteer takes over'}`
    }))
  }

  private scheduleExpiry (ch: Channel): void {
    if (ch.close !== undefined || this.expiryTimers.has(ch.questionId)) return
    const ms = Math.max(0, ch.deadline - now()) + 50
    const t = setTimeout(() => {
      this.expiryTimers.delete(ch.questionId)
      if (ch.acting === this.me && ch.close === undefined) void this.expire(ch)
      else this.checkState(ch)
    }, Math.min(ms, 2 ** 31 - 1))
    t.unref()
    this.expiryTimers.set(ch.questionId, t)
  }

  private async expire (ch: Channel): Promise<void> {
    if (ch.close !== undefined) return
    await this.publishChannel(ch, buildClose(this.c.identity, { questionId: ch.questionId, resolution: 'expired', note: 'ttl elapsed' })).catch((err) => {
      this.log.warn('expiry close failed', { id: ch.questionId, err: (err as Error).message })
    })
  }

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
    this.validator.remember(q)
    const federations = scope === 'cross-federation' ? [...new Set(a.federations ?? [])] : []
    let wire = JSON.stringify(q)
    if (scope === 'private') {
      wire = JSON.stringify(seal(identity, { to, envelope: q, ttlSec: q['ttl-sec'] + 3600 }))
    }
    const rec: QuestionRecord = { id: q.id, envelope: q, wire, role: 'asker', eligible: true, joined: true, receivedAt: now() }
    if (scope === 'private') rec.to = [...new Set([...to, this.me])]
    if (federations.length > 0) rec.federations = federations
    this.records.set(q.id, rec)
    await this.store.putQuestion(rec)
    const ch = await this.loadChannel(rec)
    let appointment: string | undefined
    if (a.shadow !== undefined) {
      const claim = buildSecretaryClaim(identity, { questionId: q.id, mode: 'shadow', askerNodeId: this.me, reason: `${APPOINT_PREFIX}${a.shadow}` })
      this.validator.remember(claim)
      await this.admitLocal(ch, claim, JSON.stringify(claim), { source: 'self' })
      appointment = scope === 'private' ? JSON.stringify(seal(identity, { to, envelope: claim, ttlSec: q['ttl-sec'] + 3600 })) : JSON.stringify(claim)
      const entry = ch.entries.find((e) => e.id === claim.id)
      if (entry !== undefined) { entry.wire = appointment; entry.sealed = scope === 'private'; await this.store.putEntry(q.id, entry) }
    }
    const t = hrNow()
    await this.publishQuestion(scope, q.sender['federation/id'], federations, wire)
    if (appointment !== undefined) await this.publishQuestion(scope, q.sender['federation/id'], federations, appointment)
    // join the channel after the question is out: nothing can answer before it arrives, and the
    // subscription gossip then does not queue ahead of the question on every link
    await new Promise((resolve) => setImmediate(resolve))
    this.subscribeChannel(q.id)
    this.joinedAt.set(q.id, now())
    await this.publishChannel(ch, buildPresence(identity, { questionId: q.id, event: 'join', role: 'asker' }))
    this.scheduleExpiry(ch)
    this.c.counters.inc('bus.questions', 'asked')
    this.c.events.emit('question:asked', { id: q.id, scope, urgency: q.question.urgency, text: q.question.text, t })
    return { id: q.id, envelope: q }
  }

  /** Publishes on each topic of the scope; identical bytes are one gossipsub message, so each extra topic gets the same JSON with trailing whitespace. */
  private async publishQuestion (scope: Scope, federation: string, federations: string[], wire: string): Promise<void> {
    const list = publishTopics(scope, federation, federations)
    for (let i = 0; i < list.length; i++) {
      try {
        await this.c.topics.publish(list[i], new TextEncoder().encode(wire + ' '.repeat(i)))
      } catch (err) {
        this.log.warn('question publish failed', { topic: list[i], err: (err as Error).message })
      }
    }
  }

  /** Posts a contribution (the CLI's `answer`, and answerers later). Throws late, closed, filtered-out, no-follow-ups. */
  async contribute (qid: string, c: ContributeInit, signal?: AbortSignal): Promise<{ id: string, envelope: ContributionEnvelope }> {
    const rec = await this.resolve(qid, signal)
    if (!rec.eligible) throw new SwarmError('filtered-out', `this node is filtered out by the question's filters: ${rec.ineligible ?? ''}`, { detail: { id: qid } })
    const ch = await this.loadChannel(rec)
    const refusal = ch.refusal({ kind: c.kind, 'created-at': new Date().toISOString() }, { now: now(), skewMs: 0 })
    if (refusal !== undefined) throw refusalError(refusal, qid)
    if (c.replyTo !== undefined && !ch.has(c.replyTo)) this.log.debug('reply to an unknown contribution', { id: c.replyTo })
    await this.join(qid, 'participant')
    const e = buildContribution(this.c.identity, {
      questionId: qid, kind: c.kind, text: c.text, confidence: c.confidence, sources: c.sources, inReplyTo: c.replyTo, origin: c.origin, attachments: c.attachments
    })
    // ask the acting node (asker or secretary) first when it is connected: its verdict is the one that counts
    if (ch.acting !== this.me) {
      const wire = ch.private ? JSON.stringify(seal(this.c.identity, { to: ch.to, envelope: e, ttlSec: this.sealTtl(ch) })) : JSON.stringify(e)
      const verdict = await this.pushTo(ch.acting, new TextEncoder().encode(wire))
      if (verdict !== undefined && !verdict.ok && verdict.reason !== undefined && verdict.reason !== 'duplicate' && verdict.reason !== 'not-found') {
        throw refusalError(verdict.reason, qid)
      }
    }
    const res = await this.publishChannel(ch, e)
    if (res.excluded !== undefined) throw refusalError(res.excluded, qid)
    this.c.counters.inc('bus.contributions', 'sent')
    return { id: e.id, envelope: e }
  }

  async close (qid: string, o: { resolution?: CloseEnvelope['resolution'], accept?: string[], note?: string, handedOffTo?: string }): Promise<{ id: string, state: QuestionState, envelope: CloseEnvelope }> {
    const rec = await this.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const ch = await this.loadChannel(rec)
    if (ch.close !== undefined) throw new SwarmError('closed', `question ${qid} is already closed (${ch.close.resolution})`, { detail: { id: qid } })
    if (ch.acting !== this.me) throw new SwarmError('not-authorized', `only the asker or the acting secretary may close ${qid} (acting: ${ch.acting})`, { detail: { id: qid, acting: ch.acting } })
    const accept = o.accept ?? []
    for (const cid of accept) {
      const entry = ch.entries.find((x) => x.id === cid)
      if (entry === undefined || entry.type !== 'swarm/contribution') throw new NotFoundError('contribution', cid)
    }
    const resolution = o.resolution ?? (accept.length > 0 ? 'accepted-answer' : 'resolved')
    if (resolution === 'handed-off' && o.handedOffTo === undefined) throw new SwarmError('usage', 'a handed-off close needs --handed-off-to WHERE', { exitCode: 2 })
    const e = buildClose(this.c.identity, { questionId: qid, resolution, accepted: accept, handedOffTo: o.handedOffTo, note: o.note })
    await this.publishChannel(ch, e)
    for (const cid of accept) {
      const entry = ch.entries.find((x) => x.id === cid)
      if (entry !== undefined && entry.envelope.sender['node/id'] !== this.me) await this.reputation.adjust(entry.envelope.sender['node/id'], 0.05, `accepted ${cid}`, { accepted: true })
    }
    return { id: e.id, state: ch.state(), envelope: e }
  }

  // ---------------------------------------------------------------- views

  private deadlineOf (q: QuestionEnvelope): number {
    return Date.parse(q['created-at']) + q['ttl-sec'] * 1000
  }

  private stateOf (rec: QuestionRecord): QuestionState {
    const ch = this.channels.get(rec.id)
    if (ch !== undefined) return ch.state()
    return now() > this.deadlineOf(rec.envelope) ? 'expired' : 'open'
  }

  /** Shown in `swarm questions` (without --all): asked, joined, or received and eligible. */
  private listed (rec: QuestionRecord): boolean {
    return rec.eligible || rec.role !== 'receiver'
  }

  /** `all`: every stored question, ineligible and long-expired ones too; else the recent ones this node may act on. */
  async list (o: { all?: boolean, state?: string } = {}): Promise<Array<Record<string, any>>> {
    const out = []
    const recs = o.all === true ? (await this.store.allQuestions()).map((r) => this.records.get(r.id) ?? r) : [...this.records.values()]
    for (const rec of recs) {
      if (o.all !== true && !this.listed(rec)) continue
      const state = this.stateOf(rec)
      if (o.state !== undefined && state !== o.state) continue
      const q = rec.envelope
      out.push({
        id: rec.id,
        text: q.question.text,
        scope: q.delivery.scope,
        urgency: q.question.urgency,
        state,
        phase: this.channels.get(rec.id)?.phase() ?? state,
        role: rec.role,
        contributions: this.channels.get(rec.id)?.contributions().length ?? 0,
        expiresAt: new Date(this.deadlineOf(q)).toISOString(),
        createdAt: q['created-at'],
        from: q.sender['node/id'],
        eligible: rec.eligible
      })
    }
    return out.sort((a, b) => (URGENCY_RANK[b.urgency] - URGENCY_RANK[a.urgency]) || (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
  }

  async show (qid: string): Promise<Record<string, unknown>> {
    const rec = await this.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const ch = await this.loadChannel(rec)
    const t = now()
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
        nodeId: p.nodeId, role: p.role, present: p.present && !isAbsent(p.lastSeen, t, this.heartbeatSec * (p.role === 'asker' || p.role === 'secretary' || p.role === 'shadow' ? 1 : 1e6)), lastSeen: new Date(p.lastSeen).toISOString()
      })),
      contributions: contributions.filter((e) => e.excluded === undefined).map((e) => e.envelope),
      excluded: contributions.filter((e) => e.excluded !== undefined).map((e) => ({ id: e.id, from: e.envelope.sender['node/id'], reason: e.excluded, ...(e.detail !== undefined ? { detail: e.detail } : {}), envelope: e.envelope })),
      summaries: ch.entries.filter((e) => e.type === 'swarm/summary').map((e) => e.envelope),
      close: ch.close ?? null
    }
  }

  /**
   * Publishes a summary built and signed elsewhere (the synthesis part) in the channel, joining it
   * as a participant first if this node is not in it. Who may publish a final one is the caller's
   * rule; the channel stores every summary.
   */
  async publishSummary (qid: string, e: SummaryEnvelope, signal?: AbortSignal): Promise<void> {
    if (e['question/id'] !== qid) throw new SwarmError('wrong-channel', `summary ${e.id} is for ${e['question/id']}, not ${qid}`)
    await this.resolve(qid, signal)
    const ch = await this.join(qid, 'participant')
    await this.publishChannel(ch, e)
  }

  /** Every contribution of a channel in order, excluded ones marked (for synthesis). */
  async channelContributions (qid: string): Promise<Array<{ envelope: ContributionEnvelope, excluded?: string }>> {
    const rec = await this.record(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const ch = await this.loadChannel(rec)
    return ch.allContributions().map((e) => e.excluded === undefined ? { envelope: e.envelope as ContributionEnvelope } : { envelope: e.envelope as ContributionEnvelope, excluded: e.excluded })
  }

  /**
   * The channel live: replays what is stored, then each new envelope and state change, until the
   * question is closed or expired, `signal` aborts, or `untilMs` passes. Joins as a watcher
   * unless this node is already in the channel, and leaves again afterwards.
   */
  async watch (qid: string, onEvent: (e: ChannelEvent) => void, o: { signal: AbortSignal, untilMs?: number, replay?: boolean }): Promise<{ id: string, state: QuestionState }> {
    const rec = await this.resolve(qid, o.signal)
    const wasJoined = rec.joined
    const ch = rec.joined ? await this.loadChannel(rec) : await this.join(qid, 'watcher')
    const done = Promise.withResolvers<void>()
    const finish = (): void => { done.resolve() }
    const listener = (ev: ChannelEvent): void => {
      onEvent(ev)
      if (ev.type === 'state' && ev.state !== 'open' && ev.state !== 'answered') setTimeout(finish, 50)
    }
    let set = this.watchers.get(qid)
    if (set === undefined) { set = new Set(); this.watchers.set(qid, set) }
    set.add(listener)
    if (o.replay !== false) for (const entry of [...ch.entries]) this.emitEntryTo(ch, entry, onEvent)
    onEvent({ type: 'state', questionId: qid, state: ch.state(), secretary: ch.secretary })
    if (ch.closedOrExpired()) finish()
    o.signal.addEventListener('abort', finish, { once: true })
    let timer: NodeJS.Timeout | undefined
    if (o.untilMs !== undefined) timer = setTimeout(finish, Math.max(0, o.untilMs - now()))
    const expiry = setTimeout(() => { this.checkState(ch) }, Math.max(0, ch.deadline - now()) + 100)
    try {
      await done.promise
    } finally {
      clearTimeout(timer)
      clearTimeout(expiry)
      set.delete(listener)
      if (set.size === 0) this.watchers.delete(qid)
      if (!wasJoined && rec.role === 'watcher' && !this.c.config.secretary.volunteer) await this.leave(qid).catch(() => {})
    }
    return { id: qid, state: ch.state() }
  }

  private emitEntryTo (ch: Channel, entry: ChannelEntry, onEvent: (e: ChannelEvent) => void): void {
    const type = entry.type === 'swarm/secretary-claim' ? 'secretary-claim' : entry.type.replace(/^swarm\//, '')
    const ev: ChannelEvent = { type, questionId: ch.questionId, seq: entry.seq, id: entry.id, from: entry.envelope.sender['node/id'], envelope: entry.envelope }
    if (entry.excluded !== undefined) ev.excluded = entry.excluded
    onEvent(ev)
  }

  // ---------------------------------------------------------------- benchmark hooks (SWARM_BENCH=1 only)

  /** Publishes `n` questions as fast as the node can (benchmark only). */
  async burst (n: number, scope: Scope, text: string): Promise<{ ids: string[], ms: number }> {
    const ids: string[] = []
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      const q = buildQuestion(this.c.identity, { text, scope, ttlSec: 600 })
      this.validator.remember(q)
      ids.push(q.id)
      await this.c.topics.publish(publishTopics(scope, this.c.identity.federation)[0], new TextEncoder().encode(JSON.stringify(q)))
    }
    return { ids, ms: performance.now() - t0 }
  }

  /** Routes and subscribes the benchmark's raw topic: accepted unchecked, receipt announced as `bench:raw`. */
  rawSubscribe (topic: string): void {
    if (this.c.topics.subscribed(topic)) return
    const decoder = new TextDecoder()
    this.c.topics.route(topic, {
      validate: (data: Uint8Array) => ({ action: 'accept', value: data }),
      deliver: async (data: Uint8Array) => {
        await null
        const m = /"id":"([^"]+)"/.exec(decoder.decode(data.subarray(0, 200)))
        this.c.events.emit('bench:raw', { id: m?.[1] ?? null, t: hrNow() })
      }
    })
    this.c.topics.subscribe(topic)
  }

  async rawPublish (topic: string, bytes: Uint8Array): Promise<void> {
    await this.c.topics.publish(topic, bytes)
  }

  /** A raw gossipsub message carrying a fresh question's bytes, not validated (benchmark baseline). */
  rawQuestionBytes (text: string): { id: string, bytes: Uint8Array } {
    const q = buildQuestion(this.c.identity, { text, scope: 'global', ttlSec: 600 })
    return { id: q.id, bytes: new TextEncoder().encode(JSON.stringify(q)) }
  }
}

function isAppointment (e: EnvelopeBase): e is SecretaryClaimEnvelope {
  const c = e as SecretaryClaimEnvelope
  return e.type === 'swarm/secretary-claim' && c.mode === 'shadow' && c.sender['node/id'] === c['asker/node-id'] && c.reason.startsWith(APPOINT_PREFIX)
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
