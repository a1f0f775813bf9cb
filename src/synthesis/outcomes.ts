// Reputation from outcomes (pure rules; the service applies them to the bus's ReputationBook, the
// book `responder/min-reputation` is checked against):
//   accepted contribution (close --accept)   +0.05 to its author   (applied by the bus's close)
//   upheld objection (a close accepting an objection that replies to X)   −0.10 to X's author
//   invalid message (a gossip reject attributed to the peer that sent it)  −0.02, once a second per peer

import type { CloseEnvelope, ContributionEnvelope } from '../envelope/schemas.ts'

export const UPHELD_OBJECTION_DELTA = -0.1
export const INVALID_MESSAGE_DELTA = -0.02
/** A peer is charged at most once per this interval: one bad relay burst is one offence. */
export const INVALID_MIN_INTERVAL_MS = 1000

/**
 * Reject reasons that say the sending peer misbehaved. Left out: `not-member` (a lapsed member's
 * routine traffic), `rate-limited` (ignored, not rejected), `internal` (our own fault).
 */
const INVALID_REASONS = new Set([
  'bad-json', 'too-large', 'bad-schema', 'unknown-type', 'key-mismatch', 'bad-signature', 'replay',
  'wrong-scope', 'wrong-channel', 'bad-seal', 'not-shareable', 'bad-reflection'
])

export function isInvalidMessage (reason: string): boolean {
  return INVALID_REASONS.has(reason)
}

export interface UpheldObjection { objection: string, target: string, author: string }

/**
 * The objections a close upholds: accepted contributions of kind `objection` replying to a
 * contribution of the channel. The closer's own contributions are not charged.
 */
export function upheldObjections (close: Pick<CloseEnvelope, 'accepted' | 'sender'>, contributions: readonly ContributionEnvelope[]): UpheldObjection[] {
  const byId = new Map(contributions.map((c) => [c.id, c]))
  const out: UpheldObjection[] = []
  for (const id of [...new Set(close.accepted)].sort()) {
    const o = byId.get(id)
    const targetId = o?.['in-reply-to']
    if (o === undefined || o.kind !== 'objection' || targetId === undefined) continue
    const target = byId.get(targetId)
    if (target === undefined) continue
    const author = target.sender['node/id']
    if (author === close.sender['node/id']) continue
    out.push({ objection: id, target: targetId, author })
  }
  return out
}
