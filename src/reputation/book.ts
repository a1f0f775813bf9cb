// Local reputation: this node's score in [0,1] for each node id it has dealt with, kept in the
// `reputation` bucket. Strangers start at the configured default (`reputation.default`). Scores
// move by small signed adjustments with a reason; the policies that decide the deltas are in
// src/synthesis/outcomes.ts (an accepted contribution's +0.05 is applied by the bus's close).

import type { Bucket } from '../store/db.ts'

export interface ReputationRecord {
  nodeId: string
  score: number
  /** Contributions of this node the local operator accepted. */
  accepted: number
  /** Objections against this node's contributions that stood. */
  objected: number
  /** Invalid messages attributed to this node (absent in records written before it was counted). */
  invalid?: number
  updatedAt?: string
  lastReason?: string
}

export interface AdjustOptions {
  /** Also count an accepted contribution / an objection that stood. */
  accepted?: boolean
  objected?: boolean
  invalid?: boolean
}

const clamp = (x: number): number => Math.min(1, Math.max(0, x))

/** Records held in memory at most: every node id heard (strangers too) would otherwise stay. */
export const REPUTATION_CACHE_MAX = 4096

export class ReputationBook {
  private readonly bucket: Bucket
  private readonly defaultScore: number
  private readonly cache = new Map<string, ReputationRecord>()
  private readonly cacheMax: number
  /** Records dropped from memory to stay within the bound (stored ones are read again on demand). */
  evicted = 0

  constructor (bucket: Bucket, defaultScore: number, cacheMax = REPUTATION_CACHE_MAX) {
    this.bucket = bucket
    this.defaultScore = clamp(defaultScore)
    this.cacheMax = Math.max(1, cacheMax)
  }

  /** Records in memory now, the bound, and how many were dropped for it. */
  stats (): { cached: number, max: number, evicted: number } {
    return { cached: this.cache.size, max: this.cacheMax, evicted: this.evicted }
  }

  /** Least recently used first: a hit moves the record to the end. */
  private remember (nodeId: string, rec: ReputationRecord): void {
    this.cache.delete(nodeId)
    while (this.cache.size >= this.cacheMax) {
      const oldest = this.cache.keys().next()
      if (oldest.done === true) break
      this.cache.delete(oldest.value)
      this.evicted++
    }
    this.cache.set(nodeId, rec)
  }

  /** The record for `nodeId` (a stranger gets the default score, not stored). */
  async record (nodeId: string): Promise<ReputationRecord> {
    const cached = this.cache.get(nodeId)
    if (cached !== undefined) { this.remember(nodeId, cached); return cached }
    const stored = await this.bucket.get(nodeId) as ReputationRecord | undefined
    const rec = stored ?? { nodeId, score: this.defaultScore, accepted: 0, objected: 0 }
    this.remember(nodeId, rec)
    return rec
  }

  async score (nodeId: string): Promise<number> {
    return (await this.record(nodeId)).score
  }

  /** Moves the score by `delta` (clamped to [0,1]) and stores the record. */
  async adjust (nodeId: string, delta: number, reason: string, opts: AdjustOptions = {}): Promise<ReputationRecord> {
    if (!Number.isFinite(delta)) throw new RangeError('reputation delta must be a finite number')
    const prev = await this.record(nodeId)
    const next: ReputationRecord = {
      nodeId,
      score: clamp(prev.score + delta),
      accepted: prev.accepted + (opts.accepted === true ? 1 : 0),
      objected: prev.objected + (opts.objected === true ? 1 : 0),
      invalid: (prev.invalid ?? 0) + (opts.invalid === true ? 1 : 0),
      updatedAt: new Date().toISOString(),
      lastReason: reason
    }
    this.remember(nodeId, next)
    await this.bucket.put(nodeId, next)
    return next
  }

  /** Every stored record (strangers are not listed). */
  async list (): Promise<ReputationRecord[]> {
    const out: ReputationRecord[] = []
    for await (const [, v] of this.bucket.iterator()) out.push(v as ReputationRecord)
    return out
  }
}
