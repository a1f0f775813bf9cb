// Sharing successful reflections: signed `swarm/reflection` envelopes on the federation's
// reflections topic, checked by a topic validator and imported with provenance
// `shared_from_<sender node id>`. Gossipsub can drop a publish to a peer whose subscription or
// stream is brand new, and it drops identical bytes as duplicates, so delivery is completed
// over a direct stream (/swarm/reflections/1.0.0): to the subscribed peers a publish did not
// reach, and to a peer that subscribes later (the recent shares, re-announced).
//
// In a closed federation nothing goes over gossip: anyone may subscribe to a topic, and a
// non-member that trusts the root would be sent every shared reflection. There a share is pushed
// over the direct stream to connected members only, and each member that stores it pushes it on
// to its own connected members (a flood over member links, ended by duplicates).

import type { PeerId } from '@libp2p/interface'
import type { SubscriptionChangeData } from '@libp2p/gossipsub'
import { MAX_ENVELOPE_BYTES, PROTOCOL_REFLECTIONS, topics as topicNames } from '../constants.ts'
import { SwarmError } from '../errors.ts'
import { EnvelopeValidator, type ReflectionEnvelope } from '../envelope/index.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import type { SwarmComponents } from '../kernel/components.ts'
import type { Logger } from '../kernel/logger.ts'
import type { TopicVerdict } from '../net/topics.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../net/rpc.ts'
import { TokenBuckets, type BucketRate } from '../federation/token-bucket.ts'
import { MAX_PUSH_ENVELOPES, MAX_PUSH_FRAME_BYTES, PUSH_DELAY_MS, PUSH_MAX_INBOUND_STREAMS, PUSH_TIMEOUT_MS, RECENT_SHARE_MAX_AGE_MS, RECENT_SHARES } from './constants.ts'
import { NotShareableError } from './errors.ts'
import { validateRecord, type ReflectionRecord } from './model.ts'
import type { ReflectionStore } from './store.ts'
import type { Standing } from './repository.ts'

export type SharingComponents = Pick<SwarmComponents, 'identity' | 'libp2p' | 'topics' | 'events' | 'counters' | 'log'> & {
  /** Closed-federation membership: who may be sent this federation's reflections. */
  membership?: { closed: () => boolean, whyNot: (nodeId: string) => string | undefined }
  store: ReflectionStore
  clockSkewSec: number
  maxEnvelopeBytes?: number
  /** Each author's pushed reflections, as gossip charges each sender (default 20/s, burst 60). */
  pushRate?: BucketRate
  /** Imported reflections kept at most (config `reflections.maxFromSwarm`); the lowest standing, then the earliest arrived, go first. */
  maxFromSwarm?: number
  /** An author's standing here (its reputation against the default), for the eviction order. */
  standing?: (nodeId: string) => Promise<Standing>
}

/** A reflection envelope that passed every check, ready to import. */
export interface IncomingReflection {
  record: ReflectionRecord
  /** The sender (and author): its node id becomes `shared_from_<node id>`. */
  from: string
  text: string
  /** Kept beside the record so the router's admission (membership, rates) sees the sender. */
  envelope: ReflectionEnvelope
}

export interface ShareResult {
  id: string
  shared: true
  /** Peers the gossipsub publish was handed to. */
  recipients: number
  /** Subscribed peers it missed, reached over a direct stream. */
  direct: number
}

interface Recent { id: string, author: string, text: string, at: number }

const encoder = new TextEncoder()

/** The record an accepted envelope becomes (before the store adds source and provenance). */
export function recordFromEnvelope (env: ReflectionEnvelope): ReflectionRecord {
  return validateRecord({
    id: env.id,
    category: env.category,
    description: env.description,
    outcome: env.outcome,
    recommendations: env.recommendations,
    tags: env.tags,
    createdAt: env['created-at'],
    author: env.sender['node/id'],
    signature: env.signature.value,
    envelope: env,
    source: 'swarm'
  })
}

export class ReflectionSharing {
  readonly topic: string
  readonly numbers = { shared: 0, integrated: 0, duplicates: 0, pushed: 0, pushFailed: 0, evicted: 0 }
  private readonly c: SharingComponents
  private readonly log: Logger
  private readonly validator: EnvelopeValidator
  /** A push carries up to MAX_PUSH_ENVELOPES: without a charge per author it bypassed the per-sender rate gossip applies. */
  private readonly pushedBy: TokenBuckets
  private readonly maxBytes: number
  /** Recently shared or integrated envelopes (oldest first), re-announced to late subscribers. */
  private recent: Recent[] = []
  private readonly pushTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private running = false
  private handling = false

  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (evt.detail.subscriptions.some((s) => s.subscribe && s.topic === this.topic)) this.schedulePush(evt.detail.peerId)
  }

  constructor (c: SharingComponents) {
    this.c = c
    this.log = c.log.child('reflections')
    this.topic = topicNames.reflections(c.identity.federation)
    this.maxBytes = Math.min(c.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES, MAX_ENVELOPE_BYTES)
    this.validator = new EnvelopeValidator({ clockSkewSec: c.clockSkewSec, maxBytes: this.maxBytes })
    this.pushedBy = new TokenBuckets(c.pushRate ?? { ratePerSec: 20, burst: 60 })
  }

  async start (): Promise<void> {
    const { topics, libp2p } = this.c
    topics.route(this.topic, {
      validate: async (data) => await this.judge(data),
      deliver: async (value: IncomingReflection) => { await this.integrate(value) }
    })
    topics.subscribe(this.topic)
    libp2p.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    await handleRequests(libp2p, PROTOCOL_REFLECTIONS, async (req, from) => encodeJson(await this.onPush(req, from.toString())), {
      maxDataLength: MAX_PUSH_FRAME_BYTES,
      timeoutMs: PUSH_TIMEOUT_MS,
      maxInboundStreams: PUSH_MAX_INBOUND_STREAMS
    })
    this.handling = true
    this.running = true
    // once per database: imports from before arrivals were kept join the eviction order; then a
    // cap lowered since the last run applies at once (in the background: not on the start path)
    if (this.c.maxFromSwarm !== undefined) {
      this.c.store.repository.backfillArrivals()
        .then(async () => { await this.evict() })
        .catch((err: unknown) => { this.log.warn('eviction of imported reflections failed', { err: (err as Error).message }) })
    }
  }

  async stop (): Promise<void> {
    this.running = false
    for (const t of this.pushTimers.values()) clearTimeout(t)
    this.pushTimers.clear()
    this.c.libp2p.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    if (this.handling) await this.c.libp2p.unhandle(PROTOCOL_REFLECTIONS).catch(() => {})
    this.handling = false
    try { this.c.topics.unsubscribe(this.topic) } catch { /* not subscribed */ }
  }

  /**
   * Publishes a stored reflection's signed envelope, then pushes it directly to the subscribed
   * peers the publish did not reach. Sharing again sends the same bytes: receivers that have it
   * ignore it (`duplicate`), the others store it.
   */
  async share (record: ReflectionRecord, signal?: AbortSignal): Promise<ShareResult> {
    if (record.outcome !== 'success') {
      throw new NotShareableError(record.id, 'only successful reflections are shared, and this one is a failure', { outcome: record.outcome })
    }
    if (record.envelope === undefined) {
      throw new NotShareableError(record.id, 'it has no signed envelope (it was too large to fit one)')
    }
    const env = record.envelope as ReflectionEnvelope
    const text = JSON.stringify(env)
    const bytes = encoder.encode(text)
    if (bytes.length > this.maxBytes) throw new NotShareableError(record.id, `its envelope is ${bytes.length} bytes, over the ${this.maxBytes}-byte cap`)
    // Our own envelope coming back (a peer's re-announce, gossip) is then a duplicate.
    this.validator.remember(env)
    if (this.closed()) {
      this.remember(record.id, env.sender['node/id'], text)
      const members = this.memberPeers().filter((p) => nodeIdFromPeerId(p) !== env.sender['node/id'])
      const pushed = await Promise.all(members.map(async (p) => await this.push(p, [text], signal)))
      this.numbers.shared++
      this.log.info('reflection shared with members', { id: record.id, direct: pushed.filter(Boolean).length })
      return { id: record.id, shared: true, recipients: 0, direct: pushed.filter(Boolean).length }
    }
    let recipients: PeerId[]
    try {
      // Identical bytes are a duplicate to gossipsub (content-hash id): it returns no recipients
      // and the direct push below does the re-send.
      // (the GossipSub class takes publish options; the exported interface does not list them)
      const pubsub = this.c.libp2p.services.pubsub as unknown as { publish: (t: string, d: Uint8Array, o: { ignoreDuplicatePublishError?: boolean }) => Promise<{ recipients: PeerId[] }> }
      const res = await pubsub.publish(this.topic, bytes, { ignoreDuplicatePublishError: true })
      recipients = res.recipients
    } catch (err) {
      throw new SwarmError('publish-failed', `could not publish reflection ${record.id}: ${(err as Error).message}`, { cause: err })
    }
    this.remember(record.id, env.sender['node/id'], text)
    const reached = new Set(recipients.map(String))
    const missed = this.subscribedPeers().filter((p) => !reached.has(p.toString()) && nodeIdFromPeerId(p) !== env.sender['node/id'])
    const pushed = await Promise.all(missed.map(async (p) => await this.push(p, [text], signal)))
    this.numbers.shared++
    this.log.info('reflection shared', { id: record.id, recipients: reached.size, direct: pushed.filter(Boolean).length })
    return { id: record.id, shared: true, recipients: reached.size, direct: pushed.filter(Boolean).length }
  }

  /** The topic validator: envelope checks, then the reflection's own rules. Never throws. */
  async judge (data: Uint8Array | string): Promise<TopicVerdict<IncomingReflection>> {
    const verdict = await this.validator.validate(data, { expectType: 'swarm/reflection', checkExpiry: false })
    if (!verdict.ok) return { action: verdict.action, reason: verdict.reason, detail: verdict.detail }
    const env = verdict.envelope as ReflectionEnvelope
    const sender = env.sender['node/id']
    if (env.sender['federation/id'] !== this.c.identity.federation) {
      return { action: 'reject', reason: 'wrong-scope', detail: `reflection of ${env.sender['federation/id']} on the ${this.c.identity.federation} topic` }
    }
    // A node never re-imports its own reflection (a peer's re-announce may carry it back).
    if (sender === this.c.identity.nodeId) return { action: 'ignore', reason: 'own' }
    if (env.outcome !== 'success') return { action: 'reject', reason: 'not-shareable', detail: 'only successful reflections are shared' }
    let record: ReflectionRecord
    try {
      record = recordFromEnvelope(env)
    } catch (err) {
      return { action: 'reject', reason: 'bad-reflection', detail: (err as Error).message }
    }
    return { action: 'accept', value: { record, from: sender, text: verdict.text ?? JSON.stringify(env), envelope: env } }
  }

  /** Stores an accepted reflection once; a known id is a duplicate (no event). */
  async integrate (value: IncomingReflection): Promise<boolean> {
    // shared into the sender's federation (the topic's: judge refused any other), it stays there
    const standing = await this.standingOf(value.from)
    const { stored, reflection } = await this.c.store.import(value.record, { from: value.from, federation: value.envelope.sender['federation/id'], standing })
    if (!stored) {
      this.numbers.duplicates++
      return false
    }
    this.numbers.integrated++
    await this.evict()
    this.remember(reflection.id, value.from, value.text)
    this.c.events.emit('reflection:integrated', { id: reflection.id, from: value.from })
    this.log.info('reflection integrated', { id: reflection.id, from: value.from })
    if (this.closed() && this.running) {
      // no gossip here: pass it on to the members this node is connected to
      const on = this.memberPeers().filter((p) => nodeIdFromPeerId(p) !== value.from)
      for (const p of on) void this.push(p, [value.text])
    }
    return true
  }

  /**
   * Where an author's import joins the eviction order. A trusted author keeps its standing for at
   * most a hundredth of the cap (at least 100): beyond that its imports stand with strangers', so
   * one trusted key cannot fill the kept tier and push out every other author's.
   */
  private async standingOf (author: string): Promise<Standing | undefined> {
    const standing = await this.c.standing?.(author).catch(() => undefined)
    if (standing !== 2 || this.c.maxFromSwarm === undefined) return standing
    const held = await this.c.store.importsFrom(author).catch(() => 0)
    return held >= Math.max(100, Math.floor(this.c.maxFromSwarm / 100)) ? 1 : 2
  }

  /** Keeps the imports within `maxFromSwarm`: every peer's shares cost this node disk. */
  private async evict (): Promise<void> {
    const max = this.c.maxFromSwarm
    if (max === undefined) return
    try {
      const n = await this.c.store.repository.evictImports(max)
      if (n === 0) return
      this.numbers.evicted += n
      this.c.counters.inc('reflections.evicted', 'max-from-swarm', n)
      this.log.debug('imported reflections evicted', { evicted: n, max })
    } catch (err) {
      this.log.warn('eviction of imported reflections failed', { err: (err as Error).message })
    }
  }

  private closed (): boolean {
    return this.c.membership?.closed() === true
  }

  /** Connected peers that are members now, once each (closed federations). */
  private memberPeers (): PeerId[] {
    const out = new Map<string, PeerId>()
    for (const conn of this.c.libp2p.getConnections()) {
      const nodeId = nodeIdFromPeerId(conn.remotePeer)
      if (nodeId === undefined || nodeId === this.c.identity.nodeId || this.c.membership?.whyNot(nodeId) !== undefined) continue
      out.set(conn.remotePeer.toString(), conn.remotePeer)
    }
    return [...out.values()]
  }

  private remember (id: string, author: string, text: string): void {
    const now = Date.now()
    this.recent = this.recent.filter((r) => r.id !== id && now - r.at <= RECENT_SHARE_MAX_AGE_MS)
    this.recent.push({ id, author, text, at: now })
    if (this.recent.length > RECENT_SHARES) this.recent.splice(0, this.recent.length - RECENT_SHARES)
  }

  /** Connected peers subscribed to the reflections topic, once each. */
  private subscribedPeers (): PeerId[] {
    const connected = new Set(this.c.libp2p.getConnections().map((x) => x.remotePeer.toString()))
    return this.c.topics.subscribers(this.topic).filter((p) => connected.has(p.toString()))
  }

  /** A peer subscribed: after a short pause, push it what was shared recently. */
  private schedulePush (peer: PeerId): void {
    const key = peer.toString()
    if (!this.running || this.pushTimers.has(key)) return
    const timer = setTimeout(() => {
      this.pushTimers.delete(key)
      if (!this.running) return
      const now = Date.now()
      const peerNode = nodeIdFromPeerId(peer)
      // a closed federation's reflections go to its members only
      if (this.closed() && (peerNode === undefined || this.c.membership?.whyNot(peerNode) !== undefined)) return
      const texts = this.recent.filter((r) => now - r.at <= RECENT_SHARE_MAX_AGE_MS && r.author !== peerNode).map((r) => r.text)
      if (texts.length === 0) return
      void this.push(peer, texts)
    }, PUSH_DELAY_MS)
    timer.unref?.()
    this.pushTimers.set(key, timer)
  }

  /** Sends envelopes to one peer over /swarm/reflections/1.0.0; resolves whether it answered. */
  private async push (peer: PeerId, texts: string[], signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await request(this.c.libp2p, peer, PROTOCOL_REFLECTIONS, encodeJson({ envelopes: texts.slice(-MAX_PUSH_ENVELOPES) }), {
        signal,
        timeoutMs: PUSH_TIMEOUT_MS,
        maxDataLength: 64 * 1024
      })
      this.numbers.pushed++
      this.log.debug('reflections pushed', { peer: peer.toString(), count: texts.length, answer: decodeJson(res) })
      return true
    } catch (err) {
      this.numbers.pushFailed++
      this.log.debug('reflections push failed', { peer: peer.toString(), err: (err as Error).message })
      return false
    }
  }

  /** Inbound push: each envelope goes through the same checks as a gossipsub message. */
  private async onPush (req: Uint8Array, peer = 'unknown'): Promise<{ accepted: number, stored: number, ignored: number, rejected: number }> {
    const body = decodeJson(req) as { envelopes?: unknown }
    const list = body?.envelopes
    if (!Array.isArray(list) || list.length > MAX_PUSH_ENVELOPES || !list.every((t) => typeof t === 'string')) {
      throw new SwarmError('bad-request', `a push is {"envelopes": [up to ${MAX_PUSH_ENVELOPES} envelope texts]}`)
    }
    const out = { accepted: 0, stored: 0, ignored: 0, rejected: 0 }
    for (const text of list as string[]) {
      const verdict = await this.judge(text)
      if (verdict.action !== 'accept') {
        out[verdict.action === 'reject' ? 'rejected' : 'ignored']++
        this.c.counters.inc(verdict.action === 'reject' ? 'envelopes.rejected' : 'envelopes.ignored', verdict.reason)
        continue
      }
      // charged to its author and to the peer that pushed it (which may sign with fresh keys)
      if (!this.pushedBy.take(`peer ${peer}`) || !this.pushedBy.take(verdict.value.from)) {
        out.ignored++
        this.c.counters.inc('envelopes.ignored', 'rate-limited')
        continue
      }
      out.accepted++
      this.c.counters.inc('envelopes.accepted', 'swarm/reflection')
      if (await this.integrate(verdict.value)) out.stored++
    }
    return out
  }
}
