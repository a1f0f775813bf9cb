// What leaves the bus: questions on their scope's topics, channel envelopes on the same scope
// topics (sealed for private channels, admitted locally as they are sent; every node in scope relays them,
// only members keep them — docs/channel-log.md), and single envelopes pushed to one peer over
// /swarm/deliver/1.0.0 (a contributor asking the acting node for its verdict, re-announces).

import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_DELIVERY } from '../constants.ts'
import type { EnvelopeBase } from '../envelope/index.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { decodeJson, request } from '../net/rpc.ts'
import { channelTopics, publishTopics, type Channel, type Scope } from './core/index.ts'
import { now, type BusContext } from './context.ts'
import { seal } from './private.ts'

const encoder = new TextEncoder()
/** Channel envelopes held for a topic with no subscriber yet (a node restarting, or alone), at most. */
const MAX_HELD = 256
/** How often held envelopes are tried again while some are held (a subscription or a stream may come first). */
const HELD_RETRY_MS = 500

export interface PushVerdict { ok: boolean, reason?: string }

export class Outbox {
  private readonly ctx: BusContext
  /**
   * What this node published while no peer followed the topic: held and sent when one does.
   * Published to nobody, gossipsub would still remember its id for two minutes and refuse to send
   * it again, and no peer could ever fetch it from a node it is not connected to.
   */
  private readonly held: Array<{ topic: string, bytes: Uint8Array }> = []
  private heldTimer?: ReturnType<typeof setTimeout>
  /** Admits a locally built envelope through the same path as received ones (the inbox). */
  admitOwn!: (ch: Channel, e: EnvelopeBase, wire: string, madeAt?: number) => Promise<string | undefined>

  constructor (ctx: BusContext) { this.ctx = ctx }

  /**
   * Publishes on each topic of the scope. The same bytes on several topics are distinct gossipsub
   * messages: the message id covers the topic (src/envelope/msg-id.ts).
   */
  async publishQuestion (scope: Scope, federation: string, federations: string[], wire: string): Promise<void> {
    for (const topic of publishTopics(scope, federation, federations)) {
      try {
        await this.ctx.c.topics.publish(topic, encoder.encode(wire))
      } catch (err) {
        this.ctx.log.warn('question publish failed', { topic, err: (err as Error).message })
      }
    }
  }

  /** What travels for a channel envelope: sealed to the recipients for a private channel. */
  wireOf (ch: Channel, e: EnvelopeBase): string {
    return ch.private ? JSON.stringify(seal(this.ctx.c.identity, { to: ch.to, envelope: e, ttlSec: this.sealTtl(ch) })) : JSON.stringify(e)
  }

  /** Signs nothing itself: takes a built envelope, seals it for private channels, admits it locally, publishes it. */
  async publishChannel (ch: Channel, e: EnvelopeBase, opts: { spare?: boolean, madeAt?: number } = {}): Promise<{ wire: string, excluded?: string }> {
    const wire = this.wireOf(ch, e)
    this.ctx.validator.remember(e)
    // Admitted and sent together: this node's own envelope is in its channel within a few
    // microtasks (long before any peer can answer it), but its admission ends with a synced
    // store write, and the swarm need not wait for this node's disk. The caller is answered
    // only once that write is done, so what it was told was sent survives a crash.
    const admitting = this.admitOwn(ch, e, wire, opts.madeAt)
    // awaited below, after the publish (which never throws)
    admitting.catch(() => {})
    await this.publishOnScope(ch, wire, opts)
    const excluded = await admitting
    return excluded === undefined ? { wire } : { wire, excluded }
  }

  /** Publishes again a channel envelope learnt outside gossip (its author's bytes); counted. Paced
   *  when this node wrote it (`own`: receivers charge it to this node), relayed at once otherwise. */
  async republish (ch: Channel, wire: string, own: boolean): Promise<void> {
    this.ctx.c.counters.inc('bus.republished')
    await this.publishOnScope(ch, wire, { relay: !own })
  }

  /**
   * Gossipsub sends only to a subscriber it has an open outbound stream to; a subscription can
   * arrive before that stream is open (a peer that just connected).
   */
  private reachable (topic: string): boolean {
    const streams = (this.ctx.c.libp2p.services.pubsub as unknown as { streamsOutbound?: Map<string, unknown> }).streamsOutbound
    return this.ctx.c.topics.subscribers(topic).some((p) => streams === undefined || streams.has(p.toString()))
  }

  /** Sends what was held for the topics a peer can now be reached on. */
  async flushHeld (): Promise<void> {
    if (this.held.length === 0) return
    const out = this.held.filter((h) => this.reachable(h.topic))
    if (out.length > 0) {
      this.held.splice(0, this.held.length, ...this.held.filter((h) => !out.includes(h)))
      for (const h of out) {
        const n = await this.ctx.c.topics.publish(h.topic, h.bytes).catch(() => 0)
        this.ctx.c.counters.inc('bus.channel-published', n > 0 ? 'sent-held' : 'no-peers')
      }
    }
    if (this.held.length > 0) this.retryHeld()
  }

  private retryHeld (): void {
    if (this.heldTimer !== undefined || !this.ctx.started) return
    this.heldTimer = setTimeout(() => { this.heldTimer = undefined; void this.flushHeld() }, HELD_RETRY_MS)
    this.heldTimer.unref?.()
  }

  stop (): void {
    clearTimeout(this.heldTimer)
    this.heldTimer = undefined
  }

  /** A channel envelope's bytes on the topics of its question's scope (`relay`: not this node's own,
   *  so not paced; `spare`: a heartbeat, paced behind everything else). */
  async publishOnScope (ch: Channel, wire: string, opts: { relay?: boolean, spare?: boolean } = {}): Promise<void> {
    const { config, identity } = this.ctx.c
    const named = this.ctx.book.records.get(ch.questionId)?.federations ?? []
    const bytes = encoder.encode(wire)
    for (const topic of channelTopics(ch.question, { federation: identity.federation, federations: config.bus.federations }, named)) {
      if (!this.reachable(topic)) {
        if (this.held.length >= MAX_HELD) this.held.shift()
        this.held.push({ topic, bytes })
        this.ctx.c.counters.inc('bus.channel-published', 'held')
        this.retryHeld()
        continue
      }
      try {
        const n = await this.ctx.c.topics.publish(topic, bytes, opts)
        this.ctx.c.counters.inc('bus.channel-published', n > 0 ? 'sent' : 'no-peers')
      } catch (err) {
        this.ctx.log.debug('channel publish failed', { topic, err: (err as Error).message })
      }
    }
  }

  sealTtl (ch: Channel): number {
    return Math.max(60, Math.ceil((ch.deadline - now()) / 1000) + 3600)
  }

  /** Sends one envelope to a node over /swarm/deliver/1.0.0 if it is connected; its verdict, or undefined. */
  async pushTo (nodeId: string, bytes: Uint8Array): Promise<PushVerdict | undefined> {
    const conn = this.ctx.c.libp2p.getConnections().find((x) => nodeIdFromPeerId(x.remotePeer) === nodeId)
    if (conn === undefined) return undefined
    return await this.push(conn.remotePeer, bytes)
  }

  async push (peer: PeerId, bytes: Uint8Array, signal?: AbortSignal): Promise<PushVerdict | undefined> {
    try {
      return decodeJson(await request(this.ctx.c.libp2p, peer, PROTOCOL_DELIVERY, bytes, { timeoutMs: 5000, signal })) as PushVerdict
    } catch (err) {
      this.ctx.log.debug('direct delivery failed', { peer: peer.toString(), err: (err as Error).message })
      return undefined
    }
  }
}
