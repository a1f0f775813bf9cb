// What leaves the bus: questions on their scope's topics, channel envelopes on the channel topic
// (sealed for private channels, admitted locally first), and single envelopes pushed to one
// peer over /swarm/deliver/1.0.0. Where a publish reaches nobody, the fallback (a push to the
// acting node, else carrying on the question's topic) is the delivery policy's rule.

import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_DELIVERY } from '../constants.ts'
import type { EnvelopeBase } from '../envelope/index.ts'
import { normalizeScope } from '../envelope/schemas.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { decodeJson, request } from '../net/rpc.ts'
import { channelTopic, publishTopics, type Channel, type Scope } from './core/index.ts'
import { now, type BusContext } from './context.ts'
import { seal } from './private.ts'

const encoder = new TextEncoder()

export interface PushVerdict { ok: boolean, reason?: string }

export class Outbox {
  private readonly ctx: BusContext
  /** Admits a locally built envelope through the same path as received ones (the inbox). */
  admitOwn!: (ch: Channel, e: EnvelopeBase, wire: string) => Promise<string | undefined>

  constructor (ctx: BusContext) { this.ctx = ctx }

  /**
   * Publishes on each topic of the scope. Identical bytes are one gossipsub message, so each extra
   * topic gets the same JSON with trailing whitespace (the signature covers the parsed object).
   */
  async publishQuestion (scope: Scope, federation: string, federations: string[], wire: string): Promise<void> {
    const list = publishTopics(scope, federation, federations)
    for (let i = 0; i < list.length; i++) {
      try {
        await this.ctx.c.topics.publish(list[i], encoder.encode(wire + ' '.repeat(i)))
      } catch (err) {
        this.ctx.log.warn('question publish failed', { topic: list[i], err: (err as Error).message })
      }
    }
  }

  /** What travels for a channel envelope: sealed to the recipients for a private channel. */
  wireOf (ch: Channel, e: EnvelopeBase): string {
    return ch.private ? JSON.stringify(seal(this.ctx.c.identity, { to: ch.to, envelope: e, ttlSec: this.sealTtl(ch) })) : JSON.stringify(e)
  }

  /** Signs nothing itself: takes a built envelope, seals it for private channels, admits it locally, publishes it. */
  async publishChannel (ch: Channel, e: EnvelopeBase): Promise<{ wire: string, excluded?: string }> {
    const wire = this.wireOf(ch, e)
    this.ctx.validator.remember(e)
    const excluded = await this.admitOwn(ch, e, wire)
    const bytes = encoder.encode(wire)
    try {
      const n = await this.ctx.c.topics.publish(channelTopic(ch.questionId), bytes)
      // no channel member among our peers: hand it to the acting node directly, else let the
      // question's own topic carry it (every node there relays; only members take it)
      if (n === 0) {
        if (ch.acting === this.ctx.me) {
          // nobody else in the channel: nobody to reach (an unanswered question stays off the questions topic)
          if ([...ch.participants.values()].some((p) => p.nodeId !== this.ctx.me && p.present)) await this.carry(ch, wire)
        } else if (await this.pushTo(ch.acting, bytes) === undefined) {
          await this.carry(ch, wire)
        }
      }
    } catch (err) {
      this.ctx.log.debug('channel publish failed', { id: e.id, err: (err as Error).message })
    }
    return excluded === undefined ? { wire } : { wire, excluded }
  }

  /** A channel envelope on the question's own topic (the asker's federation, global, or the private inbox). */
  async carry (ch: Channel, wire: string): Promise<void> {
    const q = ch.question
    const scope = normalizeScope(q.delivery.scope) as Scope
    for (const topic of publishTopics(scope, q.sender['federation/id'], [])) {
      const n = await this.ctx.c.topics.publish(topic, encoder.encode(wire + ' ')).catch(() => 0)
      this.ctx.c.counters.inc('bus.carried', n > 0 ? 'sent' : 'no-peers')
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
