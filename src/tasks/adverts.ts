// Capability adverts on `swarm/1/fed/<federation>/capabilities`: this node's signed advert is
// published at start, on every change of capabilities or load, periodically (less often in a
// large swarm: advert-pace.ts), and again when a peer subscribes or connects (gossipsub silently drops a publish made as a peer subscribes);
// peers' adverts are checked and kept in the PeerDirectory, the latest unexpired one per node.

import type { PeerId } from '@libp2p/interface'
import { buildCapabilityAdvert, EnvelopeValidator, type CapabilityAdvertEnvelope } from '../envelope/index.ts'
import { topics as topicNames } from '../constants.ts'
import { nodeIdFromPeerId, type Identity } from '../identity/index.ts'
import type { PeerDirectory, DirectoryEntry } from '../net/directory.ts'
import type { TopicRouter, TopicVerdict } from '../net/topics.ts'
import type { SwarmLibp2p } from '../net/node.ts'
import type { Logger } from '../kernel/logger.ts'
import type { Capabilities } from './capabilities.ts'
import { ADVERT_LOAD_DEBOUNCE_MS, ADVERT_MAX_TTL_SEC, ADVERT_PUSH_DELAY_MS, ADVERT_PUSH_MIN_GAP_MS } from './constants.ts'
import { ADVERT_PACE_JITTER, ADVERT_PACE_NODES, advertIntervalMs, advertTtlSec, nextRefreshMs } from './advert-pace.ts'

export interface AdvertLoad {
  queueLength: number
  running: number
}

export interface CapabilityAdvertsInit {
  libp2p: SwarmLibp2p
  topics: TopicRouter
  identity: Identity
  directory: PeerDirectory
  log: Logger
  intervalMs: number
  ttlSec: number
  clockSkewSec: number
  maxEnvelopeBytes: number
  /** What to advertise now. */
  local: () => Capabilities
  load: () => AdvertLoad
  /** Runs before each periodic advert (re-detect capabilities). */
  onTick?: () => Promise<void>
  /** A peer's advert was accepted and was news. */
  onPeerAdvert?: (entry: DirectoryEntry, isNewNode: boolean) => void
}

export class CapabilityAdverts {
  readonly topic: string
  private readonly init: CapabilityAdvertsInit
  private readonly validator: EnvelopeValidator
  private sequence = 0
  private timer?: NodeJS.Timeout
  private loadTimer?: NodeJS.Timeout
  private pushTimer?: NodeJS.Timeout
  private running = false
  private lastLoad = ''
  private lastPush = 0
  private lastPublished = 0
  /** Peers subscribed to the topic when the current advert was published (they hold it). */
  private served = new Set<string>()
  published = 0
  received = 0

  private readonly onSubscriptionChange = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    if (evt.detail.subscriptions.some((s) => s.subscribe && s.topic === this.topic)) this.push(evt.detail.peerId)
  }

  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => { this.push(evt.detail) }

  constructor (init: CapabilityAdvertsInit) {
    this.init = init
    this.topic = topicNames.capabilities(init.identity.federation)
    this.validator = new EnvelopeValidator({ clockSkewSec: init.clockSkewSec, maxBytes: init.maxEnvelopeBytes })
  }

  start (): void {
    const { topics, libp2p } = this.init
    topics.route(this.topic, {
      validate: async (data) => await this.judge(data),
      deliver: (entry: DirectoryEntry) => { this.accept(entry) }
    })
    topics.subscribe(this.topic)
    libp2p.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange as any)
    libp2p.addEventListener('peer:connect', this.onPeerConnect)
    this.running = true
    this.publishSoon(0)
    this.schedule()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearTimeout(this.timer)
    clearTimeout(this.loadTimer)
    clearTimeout(this.pushTimer)
    this.init.libp2p.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange as any)
    this.init.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    // A withdrawal: an advert that expires now, so peers stop choosing this node at once.
    await Promise.race([
      this.publish({ withdraw: true }).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 500))
    ])
    try { this.init.topics.unsubscribe(this.topic) } catch { /* already gone */ }
  }

  /** Capabilities changed: advertise now. */
  changed (): void { this.publishSoon(0) }

  /** Queue or running changed: advertise after a short pause (bursts coalesce). */
  loadChanged (): void {
    if (!this.running || this.loadTimer !== undefined) return
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined
      const load = this.init.load()
      const key = `${load.queueLength}/${load.running}`
      if (key !== this.lastLoad) void this.publishLogged()
    }, ADVERT_LOAD_DEBOUNCE_MS)
  }

  /**
   * A peer appeared: push the advert again (a fresh id and sequence, so it is not a duplicate).
   * The push floods the federation, so pushes are at least ADVERT_PUSH_MIN_GAP_MS apart: a node
   * linking with many peers at once, or relinking after a blip, sends one, not one per peer.
   */
  private push (peer?: PeerId): void {
    // in a large swarm (where every push costs every node) a peer that was subscribed when our
    // current advert went out has it: a relink is no news. Small swarms push anyway (a peer that
    // restarted has lost its directory and would otherwise wait for the next refresh).
    if (peer !== undefined && this.served.has(peer.toString()) && this.init.directory.size > ADVERT_PACE_NODES) return
    if (!this.running || this.pushTimer !== undefined) return
    const wait = Math.max(ADVERT_PUSH_DELAY_MS, this.lastPush + ADVERT_PUSH_MIN_GAP_MS - Date.now())
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined
      this.lastPush = Date.now()
      void this.publishLogged()
    }, wait)
  }

  /** The refresh interval now: longer in a larger swarm (src/tasks/advert-pace.ts). */
  private get intervalMs (): number { return advertIntervalMs(this.init.intervalMs, this.init.directory.size) }

  private publishSoon (ms: number): void {
    setTimeout(() => { if (this.running) void this.publishLogged() }, ms).unref?.()
  }

  /**
   * The timer ticks at the configured interval (jittered) and re-detects capabilities each time;
   * the refresh advert goes out only when the last advert of any kind (a change, a push) is older
   * than the paced interval, which grows with the swarm (advert-pace.ts).
   */
  private schedule (): void {
    this.timer = setTimeout(() => {
      void (async () => {
        try { await this.init.onTick?.() } catch (err) { this.init.log.warn('capability re-detection failed', { err: (err as Error).message }) }
        if (!this.running) return
        // (1 - jitter): in a small swarm every tick is due; in a large one the ticks jitter the refresh
        if (Date.now() - this.lastPublished >= this.intervalMs * (1 - ADVERT_PACE_JITTER)) await this.publishLogged()
        if (this.running) this.schedule()
      })()
    }, nextRefreshMs(this.init.intervalMs, Math.random()))
  }

  private async publishLogged (): Promise<void> {
    try {
      await this.publish()
    } catch (err) {
      this.init.log.debug('advert not published', { err: (err as Error).message })
    }
  }

  /** Builds, signs and publishes the current advert; returns it. */
  async publish (opts: { withdraw?: boolean } = {}): Promise<CapabilityAdvertEnvelope> {
    const { identity } = this.init
    const ttlSec = advertTtlSec(this.init.ttlSec, this.intervalMs)
    const local = this.init.local()
    const load = this.init.load()
    this.lastLoad = `${load.queueLength}/${load.running}`
    // Time-based, so a restarted node's adverts still outrank the ones it sent before.
    this.sequence = Math.max(this.sequence + 1, Date.now())
    const now = Date.now()
    const advert = buildCapabilityAdvert(identity, {
      peerId: identity.peerId.toString(),
      capabilities: opts.withdraw === true ? [] : local.capabilities,
      taskTypes: opts.withdraw === true ? [] : local.taskTypes,
      models: local.models,
      languages: local.languages,
      queueLength: load.queueLength,
      running: load.running,
      sequence: this.sequence,
      ...(opts.withdraw === true || local.isolation === undefined ? {} : { isolation: local.isolation }),
      // created-at and expires-at have second precision: round the expiry up, not down
      expiresAt: opts.withdraw === true ? now : Math.ceil((now + ttlSec * 1000) / 1000) * 1000
    })
    await this.init.topics.publish(this.topic, new TextEncoder().encode(JSON.stringify(advert)))
    this.published++
    this.lastPublished = Date.now()
    this.served = new Set(this.init.libp2p.services.pubsub.getSubscribers(this.topic).map((p) => p.toString()))
    return advert
  }

  private async judge (data: Uint8Array): Promise<TopicVerdict<DirectoryEntry>> {
    const verdict = await this.validator.validate(data, { expectType: 'swarm/capability-advert' })
    if (!verdict.ok) return { action: verdict.action, reason: verdict.reason, detail: verdict.detail }
    const e = verdict.envelope as CapabilityAdvertEnvelope
    const federation = this.init.identity.federation
    if (e.sender['federation/id'] !== federation) return { action: 'reject', reason: 'wrong-scope', detail: `advert of ${e.sender['federation/id']} on the ${federation} topic` }
    // The advertised peer id must be the sender's own key: nobody advertises for another node.
    if (nodeIdFromPeerId(e['peer/id']) !== e.sender['node/id']) return { action: 'reject', reason: 'key-mismatch', detail: 'peer/id is not the sender\'s key' }
    return { action: 'accept', value: toEntry(e, Date.now()) }
  }

  private accept (entry: DirectoryEntry): void {
    if (entry.nodeId === this.init.identity.nodeId) return
    const isNewNode = this.init.directory.get(entry.nodeId) === undefined
    if (this.init.directory.upsert(entry)) {
      this.received++
      this.init.onPeerAdvert?.(entry, isNewNode)
    }
  }
}

/**
 * The directory entry of a checked advert. Its expiry is capped at ADVERT_MAX_TTL_SEC from `now`:
 * an advert dated to expire in years must not keep a vanished (or invented) node selectable.
 */
export function toEntry (e: CapabilityAdvertEnvelope, now = Date.now()): DirectoryEntry {
  return {
    nodeId: e.sender['node/id'],
    peerId: e['peer/id'],
    federation: e.sender['federation/id'],
    capabilities: e.capabilities,
    taskTypes: e['task-types'],
    models: e.models,
    languages: e.languages,
    queueLength: e['queue-length'],
    running: e.running,
    sequence: e.sequence,
    expiresAt: Math.min(Date.parse(e['expires-at']), now + ADVERT_MAX_TTL_SEC * 1000),
    ...(e.isolation === undefined ? {} : { isolation: e.isolation }),
    advert: e as unknown as Record<string, unknown>
  }
}
