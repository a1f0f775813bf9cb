// Who may act for a channel (DESIGN.md "Who may act for a channel", docs/protocol.md "Channel
// authority"): pure verdicts over what a node has seen of a channel, the same in daemon and page.
//
// - The asker is the authority while present. A takeover claim is admissible only from the
//   shadow the asker appointed (an appointment the asker itself signed), or when this node itself
//   saw no presence from the asker for MISSED_HEARTBEATS heartbeat intervals before the claim
//   arrived (a claim read from a history page: before the claim's time, and only where this node
//   was following the channel then); a claim dated outside the clock-skew allowance of its
//   arrival is refused outright. The asker's own node admits only its shadow's claim.
// - Any envelope from the asker (presence other than leave, a resume, a contribution …) dated
//   after a claim voids it: the asker's presence overrides.
// - A close or final summary counts only from the asker, or from the secretary standing at the
//   envelope's own time (its claim not voided by a later asker presence).

import { MISSED_HEARTBEATS, preferClaim } from './secretary.ts'

/** A takeover claim as the rule sees it. */
export interface ClaimView {
  id: string
  nodeId: string
  /** created-at, ms. */
  created: number
  createdText: string
  /** Local arrival, ms (a history page: the claim's own time). */
  at: number
  history: boolean
  /** A verdict stored with the claim (restored from disk): admissible when null. */
  fixed?: string | null
}

/** What a node has observed of the asker and the channel's appointments. */
export interface AuthorityView {
  questionId: string
  asker: string
  /** This node; the asker's own node never sees the asker absent. */
  self?: string
  /** When this node began following the channel (ms): absence is only observed after it. */
  since: number
  heartbeatSec: number
  /** The appointed shadow, if any. */
  shadow: string | null
  /** Arrival times (ms, ascending) of envelopes from the asker other than a leave. */
  askerAt: readonly number[]
  /** created-at (ms, ascending) of the same envelopes. */
  askerCreated: readonly number[]
  /** Step-backs: node id → created-at (ms) of each. */
  stepBacks: ReadonlyMap<string, readonly number[]>
}

/**
 * How long without asker presence before another node's takeover is admissible: the configured
 * heartbeats less half an interval, so a claimant that waited the full count (plus its slack) is
 * not refused by a member whose last heartbeat from the asker arrived a moment later.
 */
export function absenceWindowMs (heartbeatSec: number): number {
  return (MISSED_HEARTBEATS - 0.5) * heartbeatSec * 1000
}

/** The first value of the ascending list `xs` above `lo`, or undefined (a binary search). */
export function firstAbove (xs: readonly number[], lo: number): number | undefined {
  let a = 0
  let b = xs.length
  while (a < b) {
    const m = (a + b) >>> 1
    if (xs[m] <= lo) a = m + 1
    else b = m
  }
  return a < xs.length ? xs[a] : undefined
}

/** Any value of the ascending list `xs` in the interval (lo, hi]? */
export function anyIn (xs: readonly number[], lo: number, hi: number): boolean {
  const first = firstAbove(xs, lo)
  return first !== undefined && first <= hi
}

/** Inserts into an ascending list (values mostly arrive in order: the scan starts at the end). */
export function insertSorted (xs: number[], x: number): void {
  let i = xs.length
  while (i > 0 && xs[i - 1] > x) i--
  xs.splice(i, 0, x)
}

/** Why a late joiner cannot admit a live takeover (a history page may still show it). */
export const NOT_FOLLOWING_LONG_ENOUGH = 'this node has not followed the channel long enough to see the asker absent'

/** Is a claim's time acceptable at all (before any authority question)? A reason when not. */
export function claimTimeRefusal (created: number, at: number, history: boolean, questionCreated: number, skewMs: number): string | undefined {
  if (Number.isNaN(created)) return 'claim has no valid created-at'
  if (created < questionCreated - skewMs) return 'claim predates the question'
  if (!history && Math.abs(at - created) > skewMs) return `claim dated ${Math.round((at - created) / 1000)} s from its arrival (allowance ${skewMs / 1000} s)`
  return undefined
}

/** Why this node does not admit a takeover claim, or undefined when it does. */
export function claimRefusal (c: ClaimView, v: AuthorityView): string | undefined {
  if (c.fixed !== undefined) return c.fixed ?? undefined
  if (c.nodeId === v.asker) return 'the asker cannot take over from itself'
  if (v.shadow !== null && c.nodeId === v.shadow) return undefined
  if (v.self === v.asker) return 'this node is the asker'
  const w = absenceWindowMs(v.heartbeatSec)
  if (c.history) {
    // Only what this node saw itself proves the asker away (DESIGN.md): heartbeats are in no
    // history page, so a page without asker envelopes in the window proves nothing, and a
    // stranger serving its own page could date a claim into any quiet stretch. A claim read from
    // a page stands only where this node followed the channel over the claim's window and saw
    // nothing from the asker then, by its own arrival times and by the envelopes' own.
    if (v.since > c.created - w) return NOT_FOLLOWING_LONG_ENOUGH
    if (anyIn(v.askerAt, c.created - w, c.created) || anyIn(v.askerCreated, c.created - w, c.created)) return 'the asker was present when the claim was made'
    return undefined
  }
  if (v.since > c.at - w) return NOT_FOLLOWING_LONG_ENOUGH
  if (anyIn(v.askerAt, c.at - w, c.at)) return 'the asker was present when the claim arrived'
  return undefined
}

/** Voided by the asker's presence after it, or stepped back from by its claimant, by time `t`? */
function standsAt (c: ClaimView, v: AuthorityView, t: number): boolean {
  if (c.created > t) return false
  if (anyIn(v.askerCreated, c.created, t)) return false
  const backs = v.stepBacks.get(c.nodeId)
  if (backs !== undefined && backs.some((b) => b >= c.created && b <= t)) return false
  return true
}

/**
 * The secretary standing at time `t` (ms; Infinity: now) among the admissible claims: the
 * shadow's claim beats a volunteer's; then the earliest, then the lowest rank hash.
 */
export function secretaryAt (admissible: readonly ClaimView[], v: AuthorityView, t = Infinity): ClaimView | undefined {
  let best: ClaimView | undefined
  for (const c of admissible) {
    if (!standsAt(c, v, t)) continue
    if (best === undefined) { best = c; continue }
    const cs = c.nodeId === v.shadow
    const bs = best.nodeId === v.shadow
    if (cs !== bs) { if (cs) best = c; continue }
    const keep = preferClaim(v.questionId, { nodeId: best.nodeId, createdAt: best.createdText }, { nodeId: c.nodeId, createdAt: c.createdText })
    if (keep.nodeId !== best.nodeId || keep.createdAt !== best.createdText) best = c
  }
  return best
}

/** May `sender` close the channel (or publish a final summary) with an envelope dated `created`? */
export function mayActFor (sender: string, created: number, admissible: readonly ClaimView[], v: AuthorityView): boolean {
  if (sender === v.asker) return true
  return secretaryAt(admissible, v, created)?.nodeId === sender
}
