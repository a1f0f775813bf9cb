// The page's presence in channels and its acting for them, on the heartbeat tick: the asker's
// heartbeats (so volunteers do not take over a live page's question); an appointed shadow
// follows the channel (presence `shadow`, its own `shadow` claim), heartbeats, and claims the
// secretary role when the asker misses its heartbeats (core/secretary.ts, the daemon's rule);
// as secretary it heartbeats, may close, closes as `expired` at the deadline, and steps back
// when the asker returns (the core voids its claim).

import { APPOINT_PREFIX, isAbsent } from '../bus/core/index.ts'
import { buildClose, buildPresence, buildSecretaryClaim, LruMap } from '../envelope/index.ts'
import type { EnvelopeBase } from '../envelope/index.ts'
import type { SecretaryClaimEnvelope } from '../envelope/schemas.ts'
import type { BusClient } from './bus-client.ts'
import type { QuestionView } from './bus-types.ts'

export class PagePresence {
  private readonly bus: BusClient
  /** Appointments that came before their question, by (question, signer): a stranger's cannot displace the asker's; the newest 64 kept. */
  private readonly pending = new LruMap<string, SecretaryClaimEnvelope>(64)

  constructor (bus: BusClient) { this.bus = bus }

  /** An asker's appointment of a shadow (verified): kept in its channel, followed if it names this page. */
  async appointment (claim: SecretaryClaimEnvelope): Promise<void> {
    const qid = claim['question/id']
    const view = this.bus.questions.get(qid)
    if (view === undefined) { this.pending.set(`${qid} ${claim.sender['node/id']}`, claim); return }
    if (view.channel.get(claim.id) !== undefined) return
    this.bus.admit(qid, claim)
    const asker = view.envelope.sender['node/id']
    if (claim.reason.slice(APPOINT_PREFIX.length).trim() !== this.bus.nodeId || claim.sender['node/id'] !== asker || view.mine || view.role !== undefined) return
    view.role = 'shadow'
    view.followingSince = Date.now()
    view.joined = true
    this.bus.joinChannel(qid)
    await this.publish(view, buildPresence(this.bus.signer, { questionId: qid, event: 'join', role: 'shadow' }, this.bus.chain(view)))
    await this.publish(view, buildSecretaryClaim(this.bus.signer, { questionId: qid, mode: 'shadow', askerNodeId: asker, reason: 'following as shadow' }, this.bus.chain(view)))
  }

  /** A question arrived: an appointment that came before it applies now. */
  async question (qid: string): Promise<void> {
    const asker = this.bus.questions.get(qid)?.envelope.sender['node/id']
    const key = `${qid} ${asker ?? ''}`
    const claim = this.pending.get(key)
    if (claim === undefined) return
    this.pending.delete(key)
    await this.appointment(claim)
  }

  async tick (now = Date.now()): Promise<void> {
    const me = this.bus.nodeId
    const hb = this.bus.heartbeatSec
    for (const view of this.bus.questions.values()) {
      const ch = view.channel
      if (!view.mine && view.role === undefined) continue
      if (ch.closedOrExpired(now)) {
        // the asker's own expiry is a timer (bus-client); a secretary's is here
        if (!view.mine && ch.acting === me && ch.close === undefined) await this.publish(view, buildClose(this.bus.signer, { questionId: view.id, resolution: 'expired', note: 'ttl elapsed' }, this.bus.chain(view)))
        continue
      }
      if (view.role === 'secretary' && ch.secretary !== me) {
        view.role = 'shadow'
        await this.publish(view, buildSecretaryClaim(this.bus.signer, { questionId: view.id, mode: 'step-back', askerNodeId: ch.asker, reason: `asker ${ch.asker} is back; stepping back` }, this.bus.chain(view)))
      }
      await this.publish(view, buildPresence(this.bus.signer, { questionId: view.id, event: 'heartbeat', role: view.mine ? 'asker' : view.role! }, this.bus.chain(view)), false)
      if (view.role === 'shadow' && ch.secretary === null && ch.shadow === me &&
        isAbsent(Math.max(ch.participants.get(ch.asker)?.lastSeen ?? 0, view.followingSince ?? now), now, hb)) {
        await this.publish(view, buildSecretaryClaim(this.bus.signer, { questionId: view.id, mode: 'takeover', askerNodeId: ch.asker, reason: 'asker missed 3 heartbeats; shadow takes over' }, this.bus.chain(view)))
      }
      if (ch.secretary === me) view.role = 'secretary'
    }
  }

  /** Signs and publishes on the channel; heartbeats are presence only (not admitted as entries). */
  private async publish (view: QuestionView, e: EnvelopeBase, admit = true): Promise<void> {
    const signed = await this.bus.wire.signed(e)
    if (admit) { await this.bus.publishChannel(view, signed); return }
    this.bus.validator.remember(signed)
    for (const topic of this.bus.channelTopicsOf(view)) await this.bus.wire.publish(topic, this.bus.wireOf(view, signed), { spare: true })
  }
}
