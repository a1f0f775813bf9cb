// Reflection records in the `reflections` bucket (id → record), with their index postings
// written in the same atomic LevelDB batch, so a crash never leaves a record unsearchable or
// a posting pointing at nothing. Writes are serialized through one queue: the index keeps
// read-modify-write counters (df, corpus stats) and dedup is a read-then-write.

import type { Bucket, SwarmDb } from '../store/db.ts'
import type { Outcome, ReflectionRecord, ReflectionSource } from './model.ts'
import { normalizeFilters, ReflectionIndex } from './search.ts'

/**
 * Where an import stands in the eviction order, from its author's reputation here when it
 * arrived: 0 below the default score (goes first), 1 the default (strangers), 2 above it (kept
 * longest). A flood from fresh identities, all at the default, cannot push out the imports of
 * authors this node has come to trust.
 */
export type Standing = 0 | 1 | 2

export interface PutOptions {
  /** fsync before resolving (default true): once put has answered, kill -9 cannot lose it. */
  sync?: boolean
  signal?: AbortSignal
  /** Imports only: the eviction order they join (default 1). */
  standing?: Standing
}

export interface ListOptions {
  source?: ReflectionSource
  tag?: string
  category?: string
  outcome?: Outcome
  /** default 50, at most 1000 */
  limit?: number
  /** Cursor: only reflections older than this id (the last id of the previous page). */
  after?: string
  signal?: AbortSignal
}

export const DEFAULT_LIST_LIMIT = 50
export const MAX_LIST_LIMIT = 1000
/** Records per batch in putMany: big enough to amortize, small enough not to starve `put`. */
const INGEST_CHUNK = 1000

/** The reflection id an arrival key ends with (ids hold no '!'). */
const idOfArrival = (key: string): string => key.slice(key.lastIndexOf('!') + 1)

/** Evicted imports per batch: one atomic LevelDB batch each, so a put waits behind at most this many. */
const EVICT_CHUNK = 500

export class ReflectionRepository {
  readonly index: ReflectionIndex
  private readonly db: SwarmDb
  private readonly records: Bucket
  /** Imports (source `swarm`) in eviction order, `<standing>!<ms>.<seq>!<id>`: by standing, then arrival. */
  private readonly arrivals: Bucket
  private arrivalSeq = 0
  private queue: Promise<unknown> = Promise.resolve()

  constructor (db: SwarmDb) {
    this.db = db
    this.records = db.bucket('reflections')
    this.arrivals = db.bucket('reflectionArrivals')
    this.index = new ReflectionIndex(db.bucket('reflectionIndex'))
  }

  /**
   * Gives imports stored before arrivals were kept an arrival key of time 0, so they are evicted
   * first (once per database; ids from the `src:swarm` postings, no record read). Resolves how many.
   */
  async backfillArrivals (options: { signal?: AbortSignal } = {}): Promise<number> {
    const meta = this.db.bucket('meta')
    if (await meta.get('reflection-arrivals') === 1) return 0
    // one task on the write queue: an import meanwhile would get an arrival key of its own too
    const run = this.queue.then(async () => {
      const known = new Set((await this.arrivals.keys().all() as string[]).map(idOfArrival))
      let n = 0
      for await (const ids of this.index.filterIds('src:swarm')) {
        options.signal?.throwIfAborted()
        const ops = ids.filter((id) => !known.has(id)).map((id) => ({ type: 'put' as const, sublevel: this.arrivals, key: `0!${'0'.repeat(15)}.${String(n++).padStart(9, '0')}!${id}`, value: 1 }))
        if (ops.length > 0) await this.db.level.batch(ops)
      }
      await meta.put('reflection-arrivals', 1, { sync: true } as object)
      return n
    })
    this.queue = run.catch(() => {})
    return await run
  }

  /**
   * Deletes imports, the lowest standing and then the earliest arrived first (records, postings
   * and counters in one batch per chunk), until at most `max` are stored; resolves how many went. Arrival order, not id order: ids
   * are their authors' choice, and a stranger's far-future ids would outlive everyone else's.
   * Imports stored before arrivals were kept go first (backfillArrivals).
   */
  async evictImports (max: number, options: { signal?: AbortSignal } = {}): Promise<number> {
    let evicted = 0
    for (;;) {
      options.signal?.throwIfAborted()
      const run = this.queue.then(async () => {
        const excess = await this.index.documentFrequency('src:swarm') - max
        if (excess <= 0) return 0
        const keys = await this.arrivals.keys({ limit: Math.min(excess, EVICT_CHUNK) }).all() as string[]
        if (keys.length === 0) return 0
        const ids = keys.map(idOfArrival)
        const found = (await this.getMany(ids)).filter((r): r is ReflectionRecord => r !== undefined && r.source === 'swarm')
        const { ops, commit } = await this.index.prepareRemoval(found)
        await this.db.level.batch([
          ...found.map((r) => ({ type: 'del' as const, sublevel: this.records, key: r.id })),
          ...keys.map((key) => ({ type: 'del' as const, sublevel: this.arrivals, key })),
          ...ops
        ])
        commit()
        return found.length === 0 ? keys.length : found.length
      })
      this.queue = run.catch(() => {})
      const n = await run
      if (n === 0) return evicted
      evicted += n
    }
  }

  /** Stores a record and its postings; storing an id that is already there is a no-op. */
  async put (record: ReflectionRecord, options: PutOptions = {}): Promise<{ stored: boolean }> {
    const stored = await this.write([record], options.sync ?? true, options.signal, options.standing)
    return { stored: stored === 1 }
  }

  /** Bulk ingest (imports, benchmarks): unsynced by default, chunked, duplicates skipped. */
  async putMany (records: Iterable<ReflectionRecord>, options: PutOptions = {}): Promise<{ stored: number, duplicates: number }> {
    let stored = 0
    let total = 0
    let chunk: ReflectionRecord[] = []
    const flush = async (): Promise<void> => {
      total += chunk.length
      stored += await this.write(chunk, options.sync ?? false, options.signal)
      chunk = []
    }
    for (const r of records) {
      chunk.push(r)
      if (chunk.length >= INGEST_CHUNK) await flush()
    }
    if (chunk.length > 0) await flush()
    return { stored, duplicates: total - stored }
  }

  /**
   * Rewrites a stored record whose searchable content is unchanged (visibility and scope are
   * not indexed), synced; resolves false when the id is not stored.
   */
  async replace (record: ReflectionRecord, options: PutOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const run = this.queue.then(async () => {
      if (!(await this.records.has(record.id))) return false
      await this.db.level.batch([{ type: 'put', sublevel: this.records, key: record.id, value: record }], { sync: options.sync ?? true })
      return true
    })
    this.queue = run.catch(() => {})
    return await run
  }

  async get (id: string, options: { signal?: AbortSignal } = {}): Promise<ReflectionRecord | undefined> {
    options.signal?.throwIfAborted()
    return await this.records.get(id) as ReflectionRecord | undefined
  }

  async getMany (ids: string[]): Promise<Array<ReflectionRecord | undefined>> {
    return ids.length === 0 ? [] : await this.records.getMany(ids) as Array<ReflectionRecord | undefined>
  }

  async has (id: string): Promise<boolean> {
    return await this.records.has(id)
  }

  async count (): Promise<number> {
    return (await this.index.corpusStats()).n
  }

  /** Newest first (ids are ULIDs, so key order is creation order). */
  async list (options: ListOptions = {}): Promise<ReflectionRecord[]> {
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(options.limit ?? DEFAULT_LIST_LIMIT)))
    const filters = { tags: options.tag === undefined ? undefined : [options.tag], category: options.category, outcome: options.outcome, source: options.source }
    // A selective filter lists from its postings; otherwise scan the newest records.
    const ids = await this.index.listIds({ ...filters, after: options.after, limit })
    options.signal?.throwIfAborted()
    if (ids !== undefined) {
      return (await this.getMany(ids)).filter((r): r is ReflectionRecord => r !== undefined)
    }
    const f = normalizeFilters(filters)
    const out: ReflectionRecord[] = []
    const it = this.records.iterator({ gte: 'reflection:', lt: options.after ?? 'reflection;', reverse: true })
    try {
      while (out.length < limit) {
        const page: Array<[string, ReflectionRecord]> = await it.nextv(Math.min(256, limit * 2)) as Array<[string, ReflectionRecord]>
        if (page.length === 0) break
        options.signal?.throwIfAborted()
        for (const [, r] of page) {
          if (f.outcome !== undefined && r.outcome !== f.outcome) continue
          if (f.source !== undefined && r.source !== f.source) continue
          if (f.category !== undefined && r.category !== f.category) continue
          if (!f.tags.every(t => r.tags.includes(t))) continue
          out.push(r)
          if (out.length === limit) break
        }
      }
    } finally {
      await it.close()
    }
    return out
  }

  /** Writes the records not stored yet in one atomic batch; resolves how many were new. */
  private async write (records: ReflectionRecord[], sync: boolean, signal?: AbortSignal, standing: Standing = 1): Promise<number> {
    signal?.throwIfAborted()
    const run = this.queue.then(async () => {
      signal?.throwIfAborted()
      const seen = new Set<string>()
      const unique = records.filter(r => !seen.has(r.id) && seen.add(r.id) !== undefined)
      const present = await this.records.hasMany(unique.map(r => r.id))
      const fresh = unique.filter((_, i) => !present[i])
      if (fresh.length === 0) return 0
      const { ops, commit } = await this.index.prepare(fresh)
      const recordOps = fresh.map(r => ({ type: 'put' as const, sublevel: this.records, key: r.id, value: r }))
      const now = String(Date.now()).padStart(15, '0')
      const arrivalOps = fresh.filter(r => r.source === 'swarm').map(r => ({ type: 'put' as const, sublevel: this.arrivals, key: `${standing}!${now}.${String(this.arrivalSeq++ % 1e9).padStart(9, '0')}!${r.id}`, value: 1 }))
      await this.db.level.batch([...recordOps, ...arrivalOps, ...ops], { sync })
      commit()
      return fresh.length
    })
    this.queue = run.catch(() => {})
    return await run
  }
}
