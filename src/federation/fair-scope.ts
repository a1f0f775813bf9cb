// A scope's budget (the inbound streams of one protocol; src/federation/admission.ts says why
// not a topic's) shared fairly among those who draw on it. One bucket per scope caps what the
// node takes in; alone it is first come, first served, so a few peers at their own full rate
// drain it and every honest one is refused with them. Here the top half of the bucket is open to
// all; the bottom half, the reserve, gives each drawer one token at a time, paced at its share:
// the scope's rate split evenly among those who drew on it lately. Drawers at full speed take the
// refill above the reserve between them, and in the reserve together they take less than it
// refills, so a light drawer (an attachment now and then) still gets in. A newcomer's first draw
// is paced afresh, so identities made up on the spot each win one token of the reserve, not a
// share of its burst.
// Pure: the clock is injected, and nothing here sets a timer.

import { paceStep, TokenBuckets, type BucketRate } from './token-bucket.ts'

/** How long a drawer counts as one of a scope's drawers after its last draw. */
const ACTIVE_MS = 10_000

interface Drawer {
  /** Last admitted draw. */
  at: number
  /** When its next draw from the reserve is due (GCRA, burst 1). */
  reserveNext?: number
}

export interface FairScopeOptions {
  now?: () => number
  /** Scopes tracked at once (least recently used forgotten first). */
  maxScopes?: number
  /** Drawers tracked per scope (least recently used forgotten first). */
  maxDrawers?: number
}

export class FairScopes {
  private readonly rate: BucketRate
  private readonly buckets: TokenBuckets
  /** Per scope, its drawers; both maps in recency order. */
  private readonly scopes = new Map<string, Map<string, Drawer>>()
  private readonly now: () => number
  private readonly maxScopes: number
  private readonly maxDrawers: number
  /** Draws refused because the scope was down to its reserve and the drawer had its share. */
  refusedOverShare = 0

  constructor (rate: BucketRate, opts: FairScopeOptions = {}) {
    this.rate = rate
    this.now = opts.now ?? Date.now
    this.maxScopes = opts.maxScopes ?? 1000
    this.maxDrawers = opts.maxDrawers ?? 4096
    this.buckets = new TokenBuckets(rate, { now: this.now, maxKeys: this.maxScopes })
  }

  /**
   * Takes one token of `scope` for `who`; or why not (nothing taken): the scope is `dry`, or down
   * to its reserve and `who` is `over-share`; and in how many ms a draw of `who`'s would be taken.
   */
  take (scope: string, who: string): { refused: 'dry' | 'over-share', retryAfterMs: number } | undefined {
    const t = this.now()
    const drawers = this.drawersOf(scope, t)
    let reserveNext = drawers.get(who)?.reserveNext
    if (this.buckets.available(scope) < this.rate.burst / 2 + 1) {
      const step = paceStep(reserveNext, t, { intervalMs: reserveIntervalMs(this.rate.ratePerSec, drawers.size + (drawers.has(who) ? 0 : 1)), toleranceMs: 0 })
      if (step.wait > 0) {
        this.refusedOverShare++
        return { refused: 'over-share', retryAfterMs: step.wait }
      }
      reserveNext = step.next
    }
    if (!this.buckets.take(scope)) return { refused: 'dry', retryAfterMs: this.buckets.waitFor(scope) }
    drawers.delete(who) // re-inserted: Map order is recency order
    drawers.set(who, { at: t, reserveNext })
    while (drawers.size > this.maxDrawers) drawers.delete(drawers.keys().next().value as string)
    return undefined
  }

  /** The scope's drawers, those not seen within ACTIVE_MS dropped from the oldest end. */
  private drawersOf (scope: string, t: number): Map<string, Drawer> {
    let d = this.scopes.get(scope)
    if (d === undefined) {
      d = new Map()
      while (this.scopes.size >= this.maxScopes) this.scopes.delete(this.scopes.keys().next().value as string)
    } else {
      this.scopes.delete(scope)
      for (const [k, u] of d) {
        if (t - u.at <= ACTIVE_MS) break
        d.delete(k)
      }
    }
    this.scopes.set(scope, d)
    return d
  }
}

/**
 * The spacing of one drawer's draws from the reserve: `ratePerSec` split evenly among `active`
 * drawers (at least two: the reserve is kept for someone else, even when nobody else drew yet).
 */
export function reserveIntervalMs (ratePerSec: number, active: number): number {
  return 1000 * Math.max(2, active) / ratePerSec
}
