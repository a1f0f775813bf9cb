// Token buckets keyed by sender or scope: `burst` tokens, refilled at `ratePerSec`, one token
// per message. Refill is computed lazily from the clock, so an idle key costs nothing; the
// table is bounded (full buckets are forgotten first, then the least recently used).

export interface BucketRate {
  ratePerSec: number
  burst: number
}

interface Bucket { tokens: number, at: number }

/** A rate as GCRA (the token bucket as a schedule) reads it: the spacing of messages, and how far
 *  ahead of its slot a message may come (the burst). */
export interface Pace { intervalMs: number, toleranceMs: number }

export function paceOf (rate: BucketRate): Pace {
  if (!(rate.ratePerSec > 0) || !(rate.burst >= 1)) throw new RangeError(`a pace needs ratePerSec > 0 and burst >= 1, got ${rate.ratePerSec}/${rate.burst}`)
  return { intervalMs: 1000 / rate.ratePerSec, toleranceMs: (rate.burst - 1) * 1000 / rate.ratePerSec }
}

/**
 * One GCRA step: a message arriving at `now`, when the next one was due at `tat` (undefined: none
 * yet), waits `wait` ms for its slot (0: it may go now), and the next is then due at `next`. The
 * same schedule as a bucket of `burst` tokens refilled at `ratePerSec` (pure; property-tested).
 */
export function paceStep (tat: number | undefined, now: number, pace: Pace): { wait: number, next: number } {
  const due = Math.max(tat ?? now, now)
  return { wait: Math.max(0, due - now - pace.toleranceMs), next: due + pace.intervalMs }
}

export class TokenBuckets {
  private readonly rate: BucketRate
  private readonly now: () => number
  private readonly maxKeys: number
  private readonly buckets = new Map<string, Bucket>()

  constructor (rate: BucketRate, opts: { now?: () => number, maxKeys?: number } = {}) {
    if (!(rate.ratePerSec > 0) || !(rate.burst >= 1)) throw new RangeError(`token bucket needs ratePerSec > 0 and burst >= 1, got ${rate.ratePerSec}/${rate.burst}`)
    this.rate = rate
    this.now = opts.now ?? Date.now
    this.maxKeys = opts.maxKeys ?? 10_000
  }

  /** Takes `n` tokens from `key`'s bucket; false (and nothing taken) when there are not enough. */
  take (key: string, n = 1): boolean {
    const now = this.now()
    let b = this.buckets.get(key)
    if (b === undefined) {
      b = { tokens: this.rate.burst, at: now }
      this.evict()
    } else {
      this.buckets.delete(key) // re-inserted below: Map order is recency order
      b.tokens = Math.min(this.rate.burst, b.tokens + Math.max(0, now - b.at) * this.rate.ratePerSec / 1000)
      b.at = now
    }
    this.buckets.set(key, b)
    if (b.tokens < n) return false
    b.tokens -= n
    return true
  }

  /** Tokens left for `key` now (burst for an unknown key). */
  available (key: string): number {
    const b = this.buckets.get(key)
    if (b === undefined) return this.rate.burst
    return Math.min(this.rate.burst, b.tokens + Math.max(0, this.now() - b.at) * this.rate.ratePerSec / 1000)
  }

  /** Milliseconds until `key` has `n` tokens (0: it has them now). */
  waitFor (key: string, n = 1): number {
    return Math.max(0, (n - this.available(key)) * 1000 / this.rate.ratePerSec)
  }

  get size (): number { return this.buckets.size }

  private evict (): void {
    while (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string)
  }
}
