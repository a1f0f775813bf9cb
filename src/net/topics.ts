// Gossipsub topics with one validator each. A route (one topic) says how to judge a message and
// what to do with an accepted one; the router installs the validator when the topic is
// subscribed, counts verdicts by reason, and hands the validated value to `deliver` without
// parsing the bytes twice; a message on a topic not subscribed is refused (`unknown-topic`).
// After a route accepts, the router asks the admission (closed federation membership, rate
// limits) once for every part; its refusals are counted under `envelopes.rejected` like the
// validators' own.
//
// Around every judgement the router keeps peers honest (src/net/flood-gate.ts): a per-peer gate
// before the validator, and each verdict noted against the peer that relayed it. Equivocation
// is the signer's fault, never the relay's: its copy is ignored (gossipsub charges no one for an
// ignore), the signing key is refused from then on on every topic, and listeners are told so the
// key's own peer can be banned.

import type { PeerId } from '@libp2p/interface'
import type { GossipSub, GossipsubMessage } from '@libp2p/gossipsub'
import type { Counters } from '../kernel/counters.ts'
import type { Logger } from '../kernel/logger.ts'
import { LruMap } from '../envelope/replay.ts'
import { formatPubkey } from '../envelope/keys.ts'
import { TokenBuckets, type BucketRate } from '../federation/token-bucket.ts'
import type { OwnPace } from './own-pace.ts'
import type { RefusedCopies } from './refused-copies.ts'
import { peekParsed } from '../envelope/parsed.ts'
import { refuseUnroutedTopics } from './unrouted-topics.ts'
import { HOST_REFUSED } from './flood-gate.ts'

export type TopicVerdict<T> =
  | { action: 'accept', value: T }
  | { action: 'reject' | 'ignore', reason: string, detail?: unknown }

export interface TopicRoute<T = any> {
  /** Judge the bytes; must not throw (a throw counts as a reject `internal`). */
  validate: (data: Uint8Array, topic: string, from: PeerId) => TopicVerdict<T> | Promise<TopicVerdict<T>>
  deliver: (value: T, topic: string, from: PeerId) => void | Promise<void>
}

export interface RejectListener { (reason: string, topic: string, from: PeerId, detail?: unknown): void }

/** Told once per signing key caught equivocating (`ed25519:<hex>`), with the peer that relayed the proof. */
export interface EquivocationListener { (pubkey: string, from: PeerId): void }

/** Per-peer traffic accounting around the judgement (FloodGate). */
export interface PeerTraffic {
  /** Before validation: ms this peer's next message on `topic` must wait (0: none), or -1: refused, HOST_REFUSED: refused for its host's pace; `own`: signed with the peer's own key. */
  admit: (peerId: string, topic: string, own?: boolean) => number
  /** After judgement: what became of one message this peer relayed (`delayed`: it waited for its pace). */
  note: (peerId: string, action: 'accept' | 'reject' | 'ignore', reason?: string, delayed?: boolean) => void
}

type Action = 'accept' | 'reject' | 'ignore'

/** The admission the router consults after a route accepts (src/federation/admission.ts). */
export interface TopicAdmission {
  judgeTopic: (topic: string, value: unknown) => { ok: true } | AdmissionRefusal
}

/** `sender`: the node whose own per-sender budget was exceeded, when that is the reason. */
interface AdmissionRefusal { ok: false, action: 'reject' | 'ignore', reason: string, detail?: unknown, sender?: string }

export class TopicRouter {
  private readonly routes = new Map<string, TopicRoute>()
  private readonly validated = new WeakMap<Uint8Array, unknown>()
  private readonly pubsub: GossipSub
  private readonly counters: Counters
  private readonly log: Logger
  private readonly rejectListeners = new Set<RejectListener>()
  private admission?: TopicAdmission
  private traffic?: PeerTraffic
  private refusedCopies?: RefusedCopies
  private ownPace?: OwnPace
  /** Per (relaying peer, signer): what an honest relay could have let through of that signer. */
  private relayBudget?: TokenBuckets
  /** A peer's key as envelopes name it (`ed25519:<hex>`), or '' for a non-Ed25519 peer. */
  private readonly peerKeys = new LruMap<string, string>(10_000)
  private readonly equivocationListeners = new Set<EquivocationListener>()
  /** Keys caught signing two versions of one id: nothing they sign is relayed any more. */
  private readonly equivocators = new LruMap<string, true>(10_000)
  private readonly onMessage = (evt: CustomEvent<GossipsubMessage>): void => { void this.dispatch(evt.detail) }
  /** The validator of every topic without one of its own (nothing here subscribes to it). */
  private readonly unrouted = (from: PeerId): 'ignore' => this.settle(from.toString(), 'ignore', 'unknown-topic') as 'ignore'
  private routeUnrouted?: () => void

  constructor (pubsub: GossipSub, counters: Counters, log: Logger) {
    this.pubsub = pubsub
    this.counters = counters
    this.log = log
  }

  start (): void {
    this.pubsub.addEventListener('gossipsub:message', this.onMessage)
    // a topic nobody here subscribes to is refused, counted (src/net/unrouted-topics.ts)
    this.routeUnrouted = refuseUnroutedTopics(this.pubsub as unknown as { topicValidators: Map<string, unknown> }, this.unrouted)
  }

  stop (): void {
    this.ownPace?.stop()
    this.pubsub.removeEventListener('gossipsub:message', this.onMessage)
    this.routeUnrouted?.()
  }

  route (topic: string, route: TopicRoute): void { this.routes.set(topic, route) }
  onReject (l: RejectListener): () => void { this.rejectListeners.add(l); return () => this.rejectListeners.delete(l) }
  setAdmission (a: TopicAdmission | undefined): void { this.admission = a }
  setTraffic (t: PeerTraffic | undefined): void { this.traffic = t }
  /** Gossipsub's seen caches, from which a copy refused before judgement is removed again. */
  setRefusedCopies (r: RefusedCopies | undefined): void { this.refusedCopies = r }
  /**
   * A peer that relays another node's messages over that node's per-sender rate is not charged
   * for them while it relays no more of that node than `rate` (an honest relay forwards only what
   * its own per-sender bucket let through: the same rate, with slack); beyond it, it is.
   * Without a budget every per-sender refusal counts against the peer that sent it.
   */
  setRelayBudget (rate: BucketRate | undefined): void { this.relayBudget = rate === undefined ? undefined : new TokenBuckets(rate, { maxKeys: 10_000 }) }
  /** Paces what this node publishes as its own (src/net/own-pace.ts); stopped with the router. */
  setOwnPace (p: OwnPace | undefined): void { this.ownPace = p }
  onEquivocation (l: EquivocationListener): () => void { this.equivocationListeners.add(l); return () => this.equivocationListeners.delete(l) }
  /** True when `pubkey` was caught equivocating. */
  isEquivocator (pubkey: string): boolean { return this.equivocators.has(pubkey) }

  /** Subscribes to a routed topic, with its route's validator. */
  subscribe (topic: string): void {
    const route = this.routes.get(topic)
    if (route === undefined) throw new Error(`no route for topic ${topic}`)
    if (!this.pubsub.topicValidators.has(topic)) {
      this.pubsub.topicValidators.set(topic, async (from, msg) => await this.judge(route, topic, from, msg.data) as any)
    }
    if (!this.pubsub.getTopics().includes(topic)) this.pubsub.subscribe(topic)
  }

  unsubscribe (topic: string): void {
    this.pubsub.unsubscribe(topic)
    this.pubsub.topicValidators.delete(topic)
  }

  subscribed (topic: string): boolean { return this.pubsub.getTopics().includes(topic) }
  topics (): string[] { return this.pubsub.getTopics() }
  subscribers (topic: string): PeerId[] { return this.pubsub.getSubscribers(topic) }

  /**
   * Publishes on a topic; the peers it went to. This node's own messages wait for their slot under
   * its own pace (`spare`: only with capacity nothing else waits for); `relay` is for another
   * author's bytes (charged to that author at every receiver, not to this node), which go at once.
   */
  async publish (topic: string, data: Uint8Array, opts: { relay?: boolean, spare?: boolean, signal?: AbortSignal } = {}): Promise<number> {
    if (opts.relay !== true) await this.ownPace?.slot(opts.signal, { spare: opts.spare })
    const res = await this.pubsub.publish(topic, data)
    return res.recipients.length
  }

  private async judge (route: TopicRoute, topic: string, from: PeerId, data: Uint8Array): Promise<Action> {
    const peer = from.toString()
    // over its share: delayed to its pace, or refused before any parse or signature check
    const wait = this.traffic === undefined ? 0 : this.traffic.admit(peer, topic, this.ownMessage(from, peer, data))
    if (wait < 0) {
      // refused unjudged: another peer's copy of the same message must still be judged (refused-copies.ts)
      const reason = wait === HOST_REFUSED ? 'host-rate-limited' : 'rate-limited'
      if (this.refusedCopies?.forget(topic, data) === true) this.counters.inc('envelopes.unseen', reason)
      return this.settle(peer, 'ignore', reason)
    }
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    let verdict: TopicVerdict<unknown>
    try {
      verdict = await route.validate(data, topic, from)
    } catch (err) {
      this.log.warn('topic validator threw', { topic, err: (err as Error).message })
      verdict = { action: 'reject', reason: 'internal' }
    }
    if (verdict.action === 'accept') {
      const signer = signerOfValue(verdict.value)
      if (signer !== undefined && this.equivocators.has(signer)) return this.settle(peer, 'ignore', 'equivocation')
      // every message a peer relays for another signer counts against that pair's budget
      const inBudget = this.relayBudget !== undefined && signer !== undefined && signer !== this.keyOf(from, peer) && this.relayBudget.take(`${peer} ${signer}`)
      const admitted = this.admit(topic, verdict.value)
      if (admitted !== undefined) {
        // counted as rejected whatever the action, as before (stats readers rely on it)
        this.counters.inc('envelopes.rejected', admitted.reason)
        if (admitted.action === 'reject') for (const l of this.rejectListeners) l(admitted.reason, topic, from, admitted.detail)
        // another node's message over its own rate, relayed in good faith (within what an honest
        // relay could pass on), is its author's excess, not the relay's flood; the author's own
        // copies, and a "relay" passing on more than that, still count against the peer
        const blame = admitted.sender !== undefined && inBudget ? 'sender-rate-limited' : admitted.reason
        this.traffic?.note(peer, admitted.action, blame, wait > 0)
        return admitted.action
      }
      this.validated.set(data, verdict.value)
      this.counters.inc('envelopes.accepted', topic.split('/').slice(0, 3).join('/'))
      this.traffic?.note(peer, 'accept', undefined, wait > 0)
      return 'accept'
    }
    if (verdict.reason === 'equivocation') this.equivocation(data, from)
    if (verdict.action === 'reject') {
      for (const l of this.rejectListeners) l(verdict.reason, topic, from, verdict.detail)
    }
    return this.settle(peer, verdict.action, verdict.reason, wait > 0)
  }

  /**
   * Whether the message names the relaying peer's own key as its signer, read from the parse the
   * message-id function left (src/envelope/parsed.ts): no parse of its own. A lie costs nothing
   * here: the signature is checked next, and the own lane is paced at the per-sender rate anyway.
   */
  private ownMessage (from: PeerId, peer: string, data: Uint8Array): boolean {
    const parsed = peekParsed(data)
    if (parsed === undefined) return false
    const key = this.keyOf(from, peer)
    return key !== '' && signerOfValue(parsed.value) === key
  }

  private keyOf (from: PeerId, peer: string): string {
    let key = this.peerKeys.get(peer)
    if (key === undefined) {
      key = from.publicKey?.type === 'Ed25519' ? formatPubkey(from.publicKey.raw) : ''
      this.peerKeys.set(peer, key)
    }
    return key
  }

  /** Counts a refusal and notes it against the relaying peer. */
  private settle (peer: string, action: 'reject' | 'ignore', reason: string, delayed = false): Action {
    this.counters.inc(action === 'reject' ? 'envelopes.rejected' : 'envelopes.ignored', reason)
    this.traffic?.note(peer, action, reason, delayed)
    return action
  }

  /** A validator proved equivocation: refuse the key everywhere and tell the listeners once. */
  private equivocation (data: Uint8Array, from: PeerId): void {
    const pubkey = signerOfBytes(data)
    if (pubkey === undefined || this.equivocators.has(pubkey)) return
    this.equivocators.set(pubkey, true)
    this.counters.inc('equivocation.keys')
    this.log.warn('equivocation: key signed two versions of one id', { pubkey, relayedBy: from.toString() })
    for (const l of this.equivocationListeners) {
      try { l(pubkey, from) } catch (err) { this.log.warn('equivocation listener threw', { err: (err as Error).message }) }
    }
  }

  /** The admission's refusal of an accepted value, or undefined when admitted. */
  private admit (topic: string, value: unknown): AdmissionRefusal | undefined {
    if (this.admission === undefined) return undefined
    let v
    try {
      v = this.admission.judgeTopic(topic, value)
    } catch (err) {
      this.log.warn('admission threw', { topic, err: (err as Error).message })
      return undefined
    }
    return v.ok ? undefined : v
  }

  private async dispatch (evt: GossipsubMessage): Promise<void> {
    const { msg, propagationSource: from } = evt
    const route = this.routes.get(msg.topic)
    if (route === undefined) return
    let value = this.validated.get(msg.data)
    if (value === undefined) {
      // Not seen by our validator (installed after the message arrived): judge it now.
      const verdict = await route.validate(msg.data, msg.topic, from)
      if (verdict.action !== 'accept' || this.admit(msg.topic, verdict.value) !== undefined) return
      value = verdict.value
    }
    this.validated.delete(msg.data)
    try {
      await route.deliver(value, msg.topic, from)
    } catch (err) {
      this.log.warn('topic delivery failed', { topic: msg.topic, err: (err as Error).message })
    }
  }
}

/** The signing key of a route's accepted value (an envelope or `{ envelope }`), if it names one. */
function signerOfValue (value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const v = value as { envelope?: { sender?: { pubkey?: unknown } }, sender?: { pubkey?: unknown } }
  const pubkey = v.envelope?.sender?.pubkey ?? v.sender?.pubkey
  return typeof pubkey === 'string' ? pubkey : undefined
}

/** The signing key named in envelope bytes (only after a validator proved equivocation: rare). */
function signerOfBytes (data: Uint8Array): string | undefined {
  try {
    return signerOfValue(JSON.parse(new TextDecoder().decode(data)))
  } catch {
    return undefined
  }
}
