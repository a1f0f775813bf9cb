// Who acts for an absent asker. The asker is absent after MISSED_HEARTBEATS heartbeat periods
// without any presence from it. A named shadow takes over first; without a live shadow, the
// volunteers among the channel members claim in rank order (lowest sha256(questionId + nodeId)
// first, each waiting one heartbeat period per rank), and when several claims cross anyway,
// every node keeps the same one: earliest created-at, then lowest rank hash. Pure and isomorphic
// (noble's sha256, not node:crypto), so the page runs the same code.

import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'

export const MISSED_HEARTBEATS = 3

export function rankHash (questionId: string, nodeId: string): string {
  return bytesToHex(sha256(utf8ToBytes(`${questionId}\n${nodeId}`)))
}

/** Candidates sorted by the deterministic tie-break (best first). */
export function rankCandidates (questionId: string, nodeIds: Iterable<string>): string[] {
  return [...new Set(nodeIds)].map((n) => [rankHash(questionId, n), n] as const).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0).map(([, n]) => n)
}

/** True when a member last heard at `lastSeenMs` counts as absent at `nowMs`. */
export function isAbsent (lastSeenMs: number | undefined, nowMs: number, heartbeatSec: number): boolean {
  if (lastSeenMs === undefined) return true
  return nowMs - lastSeenMs > MISSED_HEARTBEATS * heartbeatSec * 1000 + 250
}

export interface ClaimRef {
  nodeId: string
  createdAt: string
}

/** Of two competing takeover claims, the one that stands (the same answer on every node). */
export function preferClaim (questionId: string, a: ClaimRef, b: ClaimRef): ClaimRef {
  const ta = Date.parse(a.createdAt)
  const tb = Date.parse(b.createdAt)
  if (ta !== tb) return ta < tb ? a : b
  return rankHash(questionId, a.nodeId) <= rankHash(questionId, b.nodeId) ? a : b
}

/**
 * How long a volunteer waits, once the asker is absent, before claiming: its rank among the
 * candidates times one heartbeat period (rank 0 claims at once). Undefined: not a candidate.
 */
export function claimDelayMs (questionId: string, self: string, candidates: Iterable<string>, heartbeatSec: number): number | undefined {
  const ranked = rankCandidates(questionId, candidates)
  const i = ranked.indexOf(self)
  return i < 0 ? undefined : i * heartbeatSec * 1000
}
