// The browser's side of the question bus (docs/protocol.md, "Question bus"): the same topics,
// envelopes and direct deliveries as a daemon. Every channel rule — state, exclusions, who may
// act for the channel (the authority rule), secretary and close — is the daemon's own pure core
// (src/bus/core), so page and daemon judge alike. A page asks (question on its scope's topics,
// presence join and heartbeats as asker), answers (contribution pushed to the acting node, then
// gossiped on the channel) and follows channels. Private scope too (src/bus/private.ts). History
// (open questions on load, resume by cursor, serving) is page-history.ts; what survives a reload,
// channel-keep.ts and page-store.ts.
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { PROTOCOL_DELIVERY, topics as topicNames } from '../constants.ts'
import {
  buildClose, buildContribution, buildPresence, buildQuestion, createWebCryptoEd25519, EnvelopeValidator, formatPubkey, nobleEd25519, nodeIdFromPublicKey
} from '../envelope/index.ts'
import type { EnvelopeBase, Signer } from '../envelope/index.ts'
import type {
  CloseEnvelope, ContributionEnvelope, QuestionEnvelope, SummaryEnvelope
} from '../envelope/schemas.ts'
import {
  CHANNEL_TYPES, Channel, channelTopics, heads, isAppointment, checkQuestionScope, deadlineOf, publishTopics, takesQuestionId, topicKind,
  type QuestionState, type Scope, type TopicKind
} from '../bus/core/index.ts'
import { createOpener, SEALED_TYPE } from '../bus/private.ts'
import type { Opener, SealedEnvelope } from '../bus/private.ts'
import { encodeJson, handleRequests } from '../net/rpc.ts'
import { refuseUnroutedTopics } from '../net/unrouted-topics.ts'
import type { BrowserNode } from './node.ts'
import type { PeerId } from '@libp2p/interface'

import { BusError, type AnswerOptions, type AskOptions, type BusClientInit, type QuestionView } from './bus-types.ts'
import { PageWire } from './bus-wire.ts'
import { PAGE_CHANNEL_ENVELOPES, type KeptChannel } from './channel-keep.ts'
import { adoptHistory, adoptQuestion, kept, restoreKept } from './bus-restore.ts'
import { ingestSealed, onDelivery } from './bus-inbound.ts'
import { PagePresence } from './page-presence.ts'

export { BusError, type AnswerOptions, type AskOptions, type BusClientInit, type ChannelItem, type QuestionView } from './bus-types.ts'
export type { QuestionState }

const QUESTION_TOPIC_TYPES = ['swarm/question', ...CHANNEL_TYPES]
const DELIVERY_TYPES = [...QUESTION_TOPIC_TYPES, ...CHANNEL_TYPES, SEALED_TYPE]
const PRIVATE_TOPIC = topicNames.privateInbox()

export class BusClient extends EventTarget {
  readonly nodeId: string
  readonly federation: string
  readonly questions = new Map<string, QuestionView>()
  /** ms (performance.now) when the first question from another node arrived. */
  firstQuestionAt?: number
  private readonly node: BrowserNode
  // @internal members are the page bus's own parts' (bus-inbound, bus-restore, page-presence,
  // cut out of this file by job), not the page's API (that is swarm-api.ts)
  /** @internal */
  readonly signer: Signer
  /** Heartbeats, and acting for a channel as appointed shadow or secretary. */
  readonly presence = new PagePresence(this)
  /** @internal */
  readonly wire: PageWire
  /** @internal */
  readonly opener: Opener
  /** @internal */
  readonly validator: EnvelopeValidator
  /** History pages are judged at the envelopes' own times: no expiry, no replay memory. */
  /** @internal */
  readonly historyValidator: EnvelopeValidator
  /** @internal */
  readonly questionTopics: string[]
  /** @internal */
  readonly heartbeatSec: number
  /** @internal */
  readonly skewMs: number
  private readonly defaultTtlSec: number
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private tick?: ReturnType<typeof setInterval>
  private unrouted?: () => void
  private readonly onSubscriptionChange = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    this.reannounce(evt.detail.peerId, evt.detail.subscriptions)
  }

  constructor (init: BusClientInit) {
    super()
    if (init.privateKey.type !== 'Ed25519') throw new TypeError('the browser key must be Ed25519')
    this.node = init.node
    this.federation = init.federation
    this.questionTopics = init.questionTopics
    this.heartbeatSec = init.heartbeatSec ?? 10
    this.skewMs = (init.clockSkewSec ?? 30) * 1000
    this.defaultTtlSec = init.defaultTtlSec ?? 1800
    const ed = init.ed25519 ?? createWebCryptoEd25519() ?? nobleEd25519
    // libp2p keeps an Ed25519 private key as seed ‖ public key
    const seed = init.privateKey.raw.slice(0, 32)
    const publicKey = init.privateKey.publicKey.raw
    this.nodeId = nodeIdFromPublicKey(publicKey)
    // Builders sign synchronously; the browser signs asynchronously (WebCrypto), so builders get
    // a placeholder signature that PageWire.signed() replaces.
    this.signer = { nodeId: this.nodeId, federation: init.federation, publicKey, pubkey: formatPubkey(publicKey), sign: () => new Uint8Array(64) }
    this.wire = new PageWire(init.node, seed, ed, this.signer)
    this.opener = createOpener(this.nodeId, seed)
    this.validator = new EnvelopeValidator({ verifier: ed, clockSkewSec: init.clockSkewSec })
    this.historyValidator = new EnvelopeValidator({ verifier: ed, clockSkewSec: init.clockSkewSec, replayCacheSize: 0 })
  }

  async start (): Promise<void> {
    const pubsub = this.node.services.pubsub
    for (const topic of this.questionTopics) {
      pubsub.topicValidators.set(topic, async (_peer, msg) => await this.onQuestionTopic(topic, msg.data))
      pubsub.subscribe(topic)
    }
    pubsub.topicValidators.set(PRIVATE_TOPIC, async (_peer, msg) => await this.onPrivateTopic(msg.data))
    pubsub.subscribe(PRIVATE_TOPIC)
    // nothing the page does not subscribe to is kept or forwarded (src/net/unrouted-topics.ts)
    this.unrouted = refuseUnroutedTopics(pubsub as unknown as { topicValidators: Map<string, unknown> }, () => TopicValidatorResult.Ignore)
    await handleRequests(this.node, PROTOCOL_DELIVERY, async (req) => encodeJson(await onDelivery(this, req, DELIVERY_TYPES)), { maxInboundStreams: 32, timeoutMs: 10_000 })
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.tick = setInterval(() => { void this.presence.tick() }, this.heartbeatSec * 1000)
  }

  async stop (): Promise<void> {
    this.unrouted?.()
    this.wire.pace.stop()
    clearInterval(this.tick)
    for (const t of this.timers) clearTimeout(t)
    this.node.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    await this.node.unhandle(PROTOCOL_DELIVERY).catch(() => {})
  }

  // ------------------------------------------------------------------ asking and answering

  async ask (text: string, o: AskOptions = {}): Promise<QuestionEnvelope> {
    const to = [...new Set(o.to ?? [])]
    const scope = o.scope ?? (to.length > 0 ? 'private' : 'federation-local')
    if (scope === 'private' && to.length === 0) throw new BusError('usage', 'a private question needs at least one recipient (to: [nodeId])')
    if (scope !== 'private' && to.length > 0) throw new BusError('usage', '`to` is for scope private')
    const q = await this.wire.signed(buildQuestion(this.signer, {
      text,
      scope,
      ttlSec: o.ttl ?? this.defaultTtlSec,
      urgency: o.urgency,
      tags: o.tags,
      followUps: o.followUps,
      languages: o.lang === undefined ? undefined : Array.isArray(o.lang) ? o.lang : [o.lang]
    }))
    this.validator.remember(q)
    const view = this.record(q, true, 'self')
    let wire = JSON.stringify(q)
    if (scope === 'private') {
      view.to = [...new Set([...to, this.nodeId])]
      wire = view.sealedWire = this.wire.seal(view.to, q, q['ttl-sec'] + 3600)
    }
    view.joined = true
    this.joinChannel(q.id)
    const topics = publishTopics(scope, this.federation)
    // the message id covers the topic: the same bytes on each topic are distinct messages
    for (const topic of topics) await this.wire.publish(topic, wire)
    // a peer that does not (yet) show as subscribed would miss the gossip: hand it over directly
    const subscribed = new Set(topics.flatMap((t) => this.node.services.pubsub.getSubscribers(t).map(String)))
    for (const peer of this.wire.connectedPeers()) {
      if (!subscribed.has(peer.toString())) void this.wire.push(peer, wire)
    }
    // no `join` of the asker's own: its question is its first presence (bus/core/entries.ts, questionAt)
    this.scheduleExpiry(view)
    this.changed(q.id)
    return q
  }

  async answer (questionId: string, text: string, o: AnswerOptions = {}): Promise<ContributionEnvelope> {
    const view = this.questions.get(questionId)
    if (view === undefined) throw new BusError('not-found', `question ${questionId} is not known to this page`)
    const kind = o.kind ?? 'partial-answer'
    const refusal = this.refusal(view, kind, Date.now())
    if (refusal !== undefined) throw new BusError(refusal, `question ${questionId}: ${refusal}`)
    const c = await this.wire.signed(buildContribution(this.signer, {
      questionId, kind, text, confidence: o.confidence ?? 0.5, sources: o.sources, inReplyTo: o.replyTo, origin: 'human-live'
    }, this.chain(view)))
    if (!view.joined) {
      view.joined = true
      this.joinChannel(questionId)
      await this.publishChannel(view, await this.wire.signed(buildPresence(this.signer, { questionId, event: 'join', role: 'participant' }, this.chain(view))))
    }
    // the acting node's verdict counts: ask it first when connected (as a daemon does)
    const madeAt = Date.now()
    const acting = this.acting(view)
    const wire = this.wireOf(view, c)
    if (acting !== this.nodeId) {
      const verdict = await this.wire.pushToNode(acting, wire)
      if (verdict !== undefined && !verdict.ok && verdict.reason !== undefined && verdict.reason !== 'duplicate' && verdict.reason !== 'not-found') {
        throw new BusError(verdict.reason, `refused by the asker: ${verdict.reason}`)
      }
    }
    const excluded = await this.publishChannel(view, c, wire, madeAt)
    if (excluded !== undefined) throw new BusError(excluded, `question ${questionId}: ${excluded}`)
    return c
  }

  /** Closes a question this page asked (accepting contributions, or withdrawing it). */
  async close (questionId: string, o: { accept?: string[], resolution?: CloseEnvelope['resolution'], note?: string } = {}): Promise<CloseEnvelope> {
    const view = this.questions.get(questionId)
    if (view === undefined) throw new BusError('not-found', `question ${questionId} is not known to this page`)
    if (this.acting(view) !== this.nodeId) throw new BusError('not-authorized', 'only the asker may close a question')
    if (view.channel.close !== undefined) throw new BusError('closed', `question ${questionId} is already closed`)
    const accept = o.accept ?? []
    const e = await this.wire.signed(buildClose(this.signer, { questionId, resolution: o.resolution ?? (accept.length > 0 ? 'accepted-answer' : 'resolved'), accepted: accept, note: o.note }, this.chain(view)))
    await this.publishChannel(view, e)
    return e
  }

  // ------------------------------------------------------------------ views

  contributions (questionId: string): ContributionEnvelope[] {
    return (this.questions.get(questionId)?.items ?? []).filter((i) => i.type === 'swarm/contribution' && i.excluded === undefined).map((i) => i.envelope as ContributionEnvelope)
  }

  summary (questionId: string): SummaryEnvelope | undefined {
    const items = (this.questions.get(questionId)?.items ?? []).filter((i) => i.type === 'swarm/summary' && i.excluded === undefined)
    // a final summary beats intermediate ones; the latest of a kind wins
    return (items.filter((i) => (i.envelope as SummaryEnvelope).status === 'final').at(-1) ?? items.at(-1))?.envelope as SummaryEnvelope | undefined
  }

  state (view: QuestionView, now = Date.now()): QuestionState {
    return view.channel.state(now)
  }

  /** Subscribes to a question's channel without contributing (the page's "watch"). */
  async watch (questionId: string): Promise<void> {
    const view = this.questions.get(questionId)
    if (view === undefined || view.joined) return
    view.joined = true
    this.joinChannel(questionId)
    if (this.state(view) === 'open' || this.state(view) === 'answered') {
      await this.publishChannel(view, await this.wire.signed(buildPresence(this.signer, { questionId, event: 'join', role: 'watcher' }, this.chain(view))))
    }
  }

  // ------------------------------------------------------------------ history and reloads

  /** The questions topics this page listens on. */
  listenTopics (): string[] { return [...this.questionTopics] }

  /** Takes a question fetched by request (verified, held to its scope); its id if the page holds it now. */
  async adoptQuestion (wire: string, via: string): Promise<string | undefined> { return await adoptQuestion(this, wire, via) }

  /** Takes one envelope of a history page (verified, judged at its own time); its id when it was new here. */
  async adoptHistory (questionId: string, wire: string): Promise<string | undefined> { return await adoptHistory(this, questionId, wire) }

  /** Something about a channel changed outside its envelopes (a cursor): tell the listeners. */
  touch (questionId: string): void { this.changed(questionId) }

  /** A kept channel back after a reload: shown at once, judged by the core as when it was kept. */
  restoreKept (k: KeptChannel): void { restoreKept(this, k) }

  // ------------------------------------------------------------------ inbound

  private async onQuestionTopic (topic: string, data: Uint8Array): Promise<TopicValidatorResult> {
    const v = await this.validator.validate(data, { expectType: QUESTION_TOPIC_TYPES })
    if (!v.ok) return v.action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    const at = topicKind(topic)
    if (v.envelope.type === 'swarm/question') {
      if (checkQuestionScope(v.envelope as QuestionEnvelope, at) !== undefined) {
        this.validator.forget(v.envelope.id)
        return TopicValidatorResult.Reject
      }
      this.ingestQuestion(v.envelope as QuestionEnvelope, at.kind)
    } else if (isAppointment(v.envelope)) {
      // a shadow appointment: followed if it names this page
      void this.presence.appointment(v.envelope)
    } else {
      // a channel envelope rides its question's scope topic: relayed whatever it is, kept by members
      const qid = (v.envelope as { 'question/id'?: string })['question/id'] ?? ''
      if (this.questions.get(qid)?.joined === true) this.admit(qid, v.envelope)
    }
    return TopicValidatorResult.Accept
  }

  /** swarm/1/private: sealed questions (and carried channel envelopes); relayed whoever they are for. */
  private async onPrivateTopic (data: Uint8Array): Promise<TopicValidatorResult> {
    const v = await this.validator.validate(data, { expectType: SEALED_TYPE })
    if (!v.ok) return v.action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
    await this.ingestSealed(v.envelope as SealedEnvelope, undefined)
    return TopicValidatorResult.Accept
  }

  /** Opens a sealed envelope (outer signature already verified) and handles what it carries; why it was not taken, if it was not. */
  /** @internal */
  async ingestSealed (sealed: SealedEnvelope, channel: string | undefined, history = false): Promise<string | undefined> {
    return await ingestSealed(this, sealed, channel, history)
  }

  /** @internal */
  ingestQuestion (q: QuestionEnvelope, via: string, to?: string[], ownBackfill = false): void {
    const held = this.questions.get(q.id)
    // another key's copy of this id, taken before the question it copied, gives way (takesQuestionId)
    if (held !== undefined && takesQuestionId(held.envelope, q)) this.questions.delete(q.id)
    if (this.questions.has(q.id) || (q.sender['node/id'] === this.nodeId && !ownBackfill)) return
    if (!ownBackfill) this.firstQuestionAt ??= performance.now()
    const view = this.record(q, ownBackfill, via)
    if (to !== undefined) view.to = [...new Set([...to, q.sender['node/id']])]
    this.dispatchEvent(new CustomEvent('question', { detail: { id: q.id, envelope: q } }))
    void this.presence.question(q.id)
    this.changed(q.id)
  }

  /** Adds a verified channel envelope (the core judges it); returns why it is excluded or refused, if it is. */
  /** @internal */
  admit (questionId: string, e: EnvelopeBase, wire = JSON.stringify(e), arrival: { history?: boolean, madeAt?: number } = {}): string | undefined {
    const view = this.questions.get(questionId)
    if (view === undefined) return 'not-found'
    const had = view.channel.get(e.id)
    if (had !== undefined) return had.excluded
    const applied = view.channel.admit(e, wire, { now: Date.now(), skewMs: this.skewMs, ...arrival })
    if (applied.refused !== undefined) return applied.refused
    const item = applied.entry
    if (item === undefined) return undefined // a heartbeat: presence only
    this.dispatchEvent(new CustomEvent('channel', { detail: { questionId, item } }))
    this.changed(questionId)
    return item.excluded
  }

  // ------------------------------------------------------------------ helpers

  /** @internal */
  record (q: QuestionEnvelope, mine: boolean, via: string): QuestionView {
    const at = Date.now()
    const channel = new Channel(q, { self: this.nodeId, since: at, heartbeatSec: this.heartbeatSec, skewMs: this.skewMs, maxEntries: PAGE_CHANNEL_ENVELOPES, questionAt: at })
    const view: QuestionView = { id: q.id, envelope: q, wire: JSON.stringify(q), mine, via, receivedAt: at, joined: false, channel, items: channel.entries }
    this.questions.set(q.id, view)
    return view
  }

  private refusal (view: QuestionView, kind: ContributionEnvelope['kind'], now: number): string | undefined {
    return view.channel.refusal({ kind, 'created-at': new Date(now).toISOString() }, { now, skewMs: 0 })
  }

  /** @internal Who acts for the asker: the standing secretary, else the asker (the core's authority rule). */
  acting (view: QuestionView): string {
    return view.channel.acting
  }

  /** @internal Channel envelopes ride the question's scope topics, which the page already follows: joining subscribes to nothing. */
  joinChannel (_questionId: string): void {}

  /** @internal The question's scope topics, where its channel envelopes travel (the core's rule, as the daemon). */
  channelTopicsOf (view: QuestionView): string[] {
    return channelTopics(view.envelope, { federation: this.federation })
  }

  /** @internal The channel log's chain: the latest envelopes this page holds (`previous`). */
  chain (view: QuestionView): { previous: string[] } {
    return { previous: heads(view.channel.entries) }
  }

  /** @internal Admits locally, then gossips on the scope topics; falls back to a direct push to the acting node when no peer is subscribed yet. */
  async publishChannel (view: QuestionView, e: EnvelopeBase, wire = this.wireOf(view, e), madeAt?: number): Promise<string | undefined> {
    this.validator.remember(e)
    const excluded = this.admit(view.id, e, undefined, { madeAt })
    let n = 0
    for (const topic of this.channelTopicsOf(view)) n += await this.wire.publish(topic, wire)
    if (n === 0 && this.acting(view) !== this.nodeId) await this.wire.pushToNode(this.acting(view), wire)
    return excluded
  }

  /** @internal */
  scheduleExpiry (view: QuestionView): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (view.channel.close !== undefined) return
      void this.wire.signed(buildClose(this.signer, { questionId: view.id, resolution: 'expired', note: 'ttl elapsed' }, this.chain(view)))
        .then(async (e) => await this.publishChannel(view, e)).then(() => { this.changed(view.id) })
    }, Math.min(Math.max(0, deadlineOf(view.envelope) - Date.now()) + 50, 2 ** 31 - 1))
    this.timers.add(t)
  }

  /** A peer just subscribed to a question topic: hand it this page's open questions directly (a publish in that instant can be lost). */
  private reannounce (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    const topics = new Set(subs.filter((s) => s.subscribe).map((s) => s.topic))
    if (topics.size === 0) return
    const now = Date.now()
    for (const view of this.questions.values()) {
      if (!view.mine) continue
      const s = this.state(view, now)
      if (s !== 'open' && s !== 'answered') continue
      const on = publishTopics(view.envelope.delivery.scope as Scope, this.federation)
      if (on.some((t) => topics.has(t))) void this.wire.push(peer, view.sealedWire ?? JSON.stringify(view.envelope))
    }
  }

  /** What goes on the wire for a channel envelope: sealed to the recipients for a private question. */
  /** @internal */
  wireOf (view: QuestionView, e: EnvelopeBase): string {
    if (view.to === undefined) return JSON.stringify(e)
    return this.wire.seal(view.to, e, Math.max(60, Math.ceil((deadlineOf(view.envelope) - Date.now()) / 1000) + 3600))
  }

  /** @internal */
  changed (questionId: string): void {
    this.dispatchEvent(new CustomEvent('change', { detail: { questionId } }))
  }
}

export { deadlineOf, kept, type TopicKind }
