// The channel scenario the core's tests share: a question asked ten minutes ago and a pool of
// channel envelopes over its first two minutes (an appointed shadow, a volunteer, a participant,
// a stranger; heartbeats, claims, closes, summaries), and what a channel says of them.

import { randomBytes } from 'node:crypto'
import { buildClose, buildContribution, buildPresence, buildQuestion, buildSecretaryClaim, buildSummary, createSigner, type EnvelopeBase } from '../../../src/envelope/index.ts'
import type { Channel } from '../../../src/bus/core/index.ts'

export const signer = (fed = 'fed:a') => createSigner(randomBytes(32), fed)
export const asker = signer()
export const bob = signer() // the appointed shadow
export const eve = signer() // a volunteer
export const carol = signer() // a participant
export const mallory = signer() // a stranger
export const SKEW = 30_000
export const HB = 10
export const iso = (t: number): string => new Date(t).toISOString()

/** A question asked at t0 and a pool of channel envelopes over its first two minutes. */
export function scenario () {
  const t0 = Date.now() - 10 * 60_000
  const q = buildQuestion(asker, { text: 'who keeps the minutes?', ttlSec: 600 }, { createdAt: iso(t0) })
  const qid = q.id
  const at = (s: number) => ({ createdAt: iso(t0 + s * 1000) })
  const pool: Array<{ e: EnvelopeBase, t: number }> = []
  const add = (e: EnvelopeBase): void => { pool.push({ e, t: Date.parse(e['created-at']) }) }
  add(buildPresence(asker, { questionId: qid, event: 'join', role: 'asker' }, at(0)))
  add(buildSecretaryClaim(asker, { questionId: qid, mode: 'shadow', askerNodeId: asker.nodeId, reason: `appoint ${bob.nodeId}` }, at(0)))
  add(buildPresence(carol, { questionId: qid, event: 'join', role: 'watcher' }, at(2)))
  add(buildPresence(eve, { questionId: qid, event: 'join', role: 'watcher' }, at(3)))
  add(buildContribution(carol, { questionId: qid, kind: 'fact', text: 'a', confidence: 0.5 }, at(5)))
  add(buildPresence(asker, { questionId: qid, event: 'heartbeat', role: 'asker' }, at(10)))
  add(buildContribution(carol, { questionId: qid, kind: 'clarification-request', text: '?', confidence: 0.5 }, at(15)))
  add(buildPresence(asker, { questionId: qid, event: 'heartbeat', role: 'asker' }, at(20)))
  add(buildContribution(eve, { questionId: qid, kind: 'hypothesis', text: 'b', confidence: 0.4 }, at(40)))
  add(buildClose(mallory, { questionId: qid, resolution: 'withdrawn' }, at(50)))
  add(buildSecretaryClaim(eve, { questionId: qid, mode: 'takeover', askerNodeId: asker.nodeId }, at(60)))
  add(buildSecretaryClaim(bob, { questionId: qid, mode: 'takeover', askerNodeId: asker.nodeId }, at(62)))
  add(buildContribution(carol, { questionId: qid, kind: 'recommendation', text: 'c', confidence: 0.7 }, at(70)))
  add(buildClose(eve, { questionId: qid, resolution: 'resolved' }, at(80)))
  add(buildSummary(bob, { questionId: qid, status: 'final', uncertainty: 0.3 }, at(85)))
  add(buildSummary(carol, { questionId: qid, status: 'intermediate', uncertainty: 0.5 }, at(86)))
  add(buildPresence(asker, { questionId: qid, event: 'heartbeat', role: 'asker' }, at(90)))
  add(buildSecretaryClaim(bob, { questionId: qid, mode: 'step-back', askerNodeId: asker.nodeId }, at(95)))
  add(buildClose(bob, { questionId: qid, resolution: 'resolved' }, at(96)))
  add(buildClose(asker, { questionId: qid, resolution: 'accepted-answer' }, at(100)))
  add(buildContribution(eve, { questionId: qid, kind: 'fact', text: 'after', confidence: 0.9 }, at(110)))
  add(buildPresence(carol, { questionId: qid, event: 'leave', role: 'watcher' }, at(115)))
  return { t0, q, pool }
}

export const { t0, q, pool } = scenario()

/** What a channel says, independent of the order it was told. */
export function snapshot (ch: Channel) {
  return {
    state: ch.state(t0 + 200_000),
    secretary: ch.secretary,
    shadow: ch.shadow,
    close: ch.close?.id ?? null,
    entries: Object.fromEntries(ch.entries.map((e) => [e.id, e.excluded ?? 'ok'])),
    participants: Object.fromEntries([...ch.participants.values()].map((p) => [p.nodeId, `${p.role} ${String(p.present)} ${p.lastSeen}`]))
  }
}
