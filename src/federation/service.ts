// The federation service: spreads what makes members checkable without the root. It publishes
// this node's certificate on `swarm/1/fed/<fed>/membership` at start and every
// `federation.announceSec`; answers `/swarm/hello/1.0.0` with every root-signed envelope it
// holds (its own certificate, the certificates it knows, rotations, revocations) and asks the
// same of each peer that connects; takes in what arrives (rotations first), and serves
// `federation.status` / `federation.reload` on the control socket.

import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_HELLO, topics as topicNames } from '../constants.ts'
import { loadConfig } from '../config/load.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import { handle } from '../control/methods/index.ts'
import type { TopicVerdict } from '../net/topics.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../net/rpc.ts'
import type { EnvelopeBase } from '../envelope/index.ts'
import { CERTIFICATE_TYPE, rootFingerprint, type FederationEnvelope } from './envelopes.ts'
import type { Membership } from './membership.ts'
import type { Admission } from './admission.ts'
import type { PeerGuard } from '../net/peer-guard.ts'
import { TokenBuckets } from './token-bucket.ts'

export type FederationComponents = Pick<SwarmComponents, 'config' | 'identity' | 'paths' | 'libp2p' | 'topics' | 'control' | 'counters' | 'log' | 'events'> & {
  membership: Membership
  admission?: Admission
  guard?: PeerGuard
}

interface HelloMessage { envelopes: unknown[] }

const HELLO_LIMIT = 2000
/** Hello bundles taken in per peer: a few on connecting, then one per 10 s (reconnect churn). */
const HELLO_RATE = { ratePerSec: 0.1, burst: 3 }
/** A hello frame's size cap (2,000 certificates of ~1.2 KiB fit). */
const HELLO_MAX_BYTES = 4 * 1024 * 1024
/** Refusals worth a warning: someone holding a root key is trying something, or a clock is wrong. */
const LOUD_REFUSALS = new Set(['competing-rotation', 'root-expired', 'outside-root-window', 'bad-countersignature'])
const encoder = new TextEncoder()

export class FederationService implements SwarmService {
  readonly name = 'federation'
  private readonly c: FederationComponents
  private readonly topic: string
  private timer?: NodeJS.Timeout
  private started = false
  private helloSent = 0
  private helloReceived = 0
  private helloLimited = 0
  private readonly helloBuckets = new TokenBuckets(HELLO_RATE, { maxKeys: 4096 })
  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => { void this.hello(evt.detail) }

  constructor (c: FederationComponents) {
    this.c = c
    this.topic = topicNames.federation(c.identity.federation)
  }

  private get m (): Membership { return this.c.membership }

  async start (): Promise<void> {
    const { topics, libp2p, control } = this.c
    this.started = true
    const fresh = await this.m.load(this.c.identity.nodeId)
    if (this.m.closed() && this.m.ownProblem !== undefined) this.c.log.warn('closed federation but this node is not a member', { problem: this.m.ownProblem })
    topics.route(this.topic, {
      validate: (data: Uint8Array) => this.judge(data),
      deliver: async (e: FederationEnvelope) => { await this.accept(e, 'gossip') }
    })
    topics.subscribe(this.topic)
    await handleRequests(libp2p, PROTOCOL_HELLO, async (req, from) => {
      this.helloReceived++
      // over its rate a peer gets nothing and gives nothing: neither side's bundle is built or read
      if (!this.helloBuckets.take(from.toString())) {
        this.helloLimited++
        this.c.counters.inc('federation.hello', 'rate-limited')
        return encodeJson({ envelopes: [] } satisfies HelloMessage)
      }
      let msg: HelloMessage | undefined
      try { msg = decodeJson(req) as HelloMessage } catch {}
      if (Array.isArray(msg?.envelopes)) await this.takeBundle(msg.envelopes.slice(0, HELLO_LIMIT), from.toString())
      return encodeJson({ envelopes: this.m.bundle(HELLO_LIMIT) } satisfies HelloMessage)
    }, { maxInboundStreams: 16, timeoutMs: 10_000, maxDataLength: HELLO_MAX_BYTES })
    libp2p.addEventListener('peer:connect', this.onPeerConnect)
    handle(control, 'federation.status', async () => this.status())
    handle(control, 'federation.reload', async () => await this.reload())
    for (const e of fresh) if (e.type !== CERTIFICATE_TYPE) void this.publish(e)
    const every = this.c.config.federation.announceSec * 1000
    this.timer = setInterval(() => { void this.announce() }, every)
    this.timer.unref()
    setTimeout(() => { void this.announce() }, 1000).unref()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.timer)
    this.c.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    await this.c.libp2p.unhandle(PROTOCOL_HELLO).catch(() => {})
  }

  stats (): Record<string, unknown> {
    // `federation` is the core stats' federation id: this goes under `membership`
    return {
      membership: {
        id: this.m.federation,
        mode: this.m.mode,
        member: this.m.own !== undefined && this.m.ownProblem === undefined,
        members: this.m.book.memberIds().filter((id) => this.m.book.isMember(id)).length,
        revoked: this.m.book.revoked().size,
        roots: this.m.book.roots().size,
        hello: { sent: this.helloSent, received: this.helloReceived, rateLimited: this.helloLimited },
        refused: this.c.counters.byLabel('federation.refused'),
        pruned: this.m.pruned
      },
      admission: { ...this.c.admission?.stats(), streamsRefused: this.c.counters.byLabel('streams.refused'), ...this.c.guard?.stats() }
    }
  }

  /** The membership topic's validator: federation envelopes only, signed by roots. */
  private judge (data: Uint8Array): TopicVerdict<FederationEnvelope> {
    // cheap refusals before any signature is verified: a flood of junk costs a JSON parse each
    const early = this.m.precheck(data)
    if (early !== undefined) return early
    const v = this.m.validate(data, true)
    if (!v.ok) return { action: v.action, reason: v.reason, detail: v.detail }
    return { action: 'accept', value: v.envelope as FederationEnvelope }
  }

  private async accept (e: FederationEnvelope, via: string): Promise<void> {
    const r = await this.m.ingest(e)
    if (!r.added && r.reason !== undefined && r.reason !== 'duplicate') {
      this.c.counters.inc('federation.refused', r.reason)
      if (LOUD_REFUSALS.has(r.reason)) this.c.log.warn('federation envelope refused', { type: e.type, id: e.id, reason: r.reason, via })
    }
    if (r.added) {
      this.c.counters.inc('federation.learned', e.type)
      if (e.type !== CERTIFICATE_TYPE) this.c.log.info('federation envelope learned', { type: e.type, id: e.id, via })
      this.c.events.emit('federation:learned', { type: e.type, id: e.id, via })
    }
  }

  private async takeBundle (list: unknown[], from: string): Promise<void> {
    const { added, refused } = await this.m.ingestAll(list)
    for (const e of added) {
      this.c.counters.inc('federation.learned', e.type)
      if (e.type !== CERTIFICATE_TYPE) this.c.log.info('federation envelope learned', { type: e.type, id: e.id, via: `hello:${from}` })
    }
    for (const r of refused) {
      this.c.counters.inc('federation.refused', r.reason)
      if (LOUD_REFUSALS.has(r.reason)) this.c.log.warn('federation envelope refused', { type: r.type, id: r.id, reason: r.reason, via: `hello:${from}` })
    }
  }

  /** Exchanges bundles with a peer that just connected (a failure is retried once). */
  private async hello (peer: PeerId, attempt = 0): Promise<void> {
    if (!this.started) return
    try {
      this.helloSent++
      const res = decodeJson(await request(this.c.libp2p, peer, PROTOCOL_HELLO, encodeJson({ envelopes: this.m.bundle(HELLO_LIMIT) } satisfies HelloMessage), { timeoutMs: 10_000, maxDataLength: HELLO_MAX_BYTES })) as HelloMessage
      // the same per-peer budget as inbound: a peer that reconnects in a loop cannot make us read its bundle each time
      if (Array.isArray(res?.envelopes) && this.helloBuckets.take(peer.toString())) await this.takeBundle(res.envelopes.slice(0, HELLO_LIMIT), peer.toString())
    } catch (err) {
      this.c.log.debug('hello failed', { peerId: peer.toString(), err: (err as Error).message })
      if (attempt === 0) setTimeout(() => { void this.hello(peer, 1) }, 1000).unref()
    }
  }

  private async announce (): Promise<void> {
    if (!this.started || this.m.own === undefined) return
    await this.publish(this.m.own)
  }

  private async publish (e: EnvelopeBase): Promise<void> {
    this.m.gossipValidator.remember(e)
    try {
      await this.c.topics.publish(this.topic, encoder.encode(JSON.stringify(e)))
    } catch (err) {
      // an unchanged certificate inside gossipsub's seen-cache window is a duplicate: fine
      this.c.log.debug('membership publish skipped', { err: (err as Error).message })
    }
  }

  /** Re-reads config.json's `federation` section, membership.json and federation-log.json. */
  private async reload (): Promise<unknown> {
    const cfg = await loadConfig({ file: this.c.paths.config, env: process.env })
    this.m.setConfig(cfg.federation)
    const fresh = await this.m.reloadFiles(this.c.identity.nodeId)
    for (const e of fresh) await this.publish(e)
    return this.status()
  }

  status (): Record<string, unknown> {
    const { book } = this.m
    const now = Date.now()
    const iso = (t: number | undefined): string | null => t === undefined ? null : new Date(t).toISOString()
    const own = this.m.own
    return {
      federation: this.m.federation,
      mode: this.m.mode,
      nodeId: this.c.identity.nodeId,
      member: own !== undefined && this.m.ownProblem === undefined,
      problem: this.m.ownProblem ?? null,
      certificate: own === undefined ? null : { id: own.id, issuer: own.issuer, notBefore: own['not-before'], notAfter: own['not-after'] },
      roots: [...book.roots().values()].map((r) => ({
        pubkey: r.pubkey,
        fingerprint: rootFingerprint(r.pubkey) ?? null,
        notBefore: iso(r.notBefore),
        notAfter: iso(r.notAfter),
        via: r.via,
        valid: (r.notBefore === undefined || now >= r.notBefore) && (r.notAfter === undefined || now <= r.notAfter)
      })),
      members: book.memberIds().map((nodeId) => {
        const cert = book.validCertificate(nodeId, now)
        return { nodeId, valid: cert !== undefined, problem: cert === undefined ? book.whyNot(nodeId, now) ?? null : null, issuer: cert?.issuer ?? null, notAfter: cert?.['not-after'] ?? null }
      }),
      revoked: [...book.revoked()],
      rotations: book.allRotations().map((r) => ({ id: r.id, oldRoot: r['old-root'], newRoot: r['new-root'], overlapUntil: r['overlap-until'] }))
    }
  }
}

export function federationService (c: FederationComponents): FederationService {
  return new FederationService(c)
}
