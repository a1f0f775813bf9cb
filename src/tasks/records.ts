// The task list (`swarm task list`): one record per task this node received (`in`) or
// delegated (`out`). Unfinished tasks are kept in memory; a finished one is stored once in the
// `tasks` bucket under a time-ordered key (newest first), pruned to the last TASK_RECORDS_KEEP.
// Records are for operators; the audit log is the tamper-evident account.

import type { Bucket } from '../store/db.ts'
import { TASK_LIST_DEFAULT, TASK_RECORDS_KEEP } from './constants.ts'

export type TaskDirection = 'in' | 'out'
export type TaskState = 'queued' | 'running' | 'delegating' | 'succeeded' | 'failed' | 'refused'

export const FINAL_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'failed', 'refused'])

export interface TaskRecord {
  correlationId: string
  direction: TaskDirection
  type: string
  state: TaskState
  /** in: the requester; out: the peer that executed it (or was tried last). */
  peerId?: string
  nodeId?: string
  /** out: peers tried so far. */
  attempts?: number
  createdAt: string
  updatedAt: string
  durationMs?: number
  error?: { code: string, message: string }
}

/** A batch with classic-level's `sync` (fsync before resolving), which the types omit. */
type SyncedBatch = (ops: Array<{ type: 'put', key: string, value: TaskRecord }>, options: { sync: true }) => Promise<void>

const PRUNE_EVERY = 100
const SAVE_DELAY_MS = 50

export class TaskRecords {
  private readonly bucket: Bucket
  /** Unfinished tasks live here and are stored once, in their final state. */
  private readonly active = new Map<string, { key: string, rec: TaskRecord }>()
  private lastKeyMs = 0
  private keySeq = 0
  /** Stored records (counted once, then kept up to date), so pruning deletes only the excess. */
  private stored?: number
  private chain: Promise<unknown> = Promise.resolve()
  /** Finished records not yet stored: written together, a moment later, in one batch. */
  private unsaved: Array<{ key: string, rec: TaskRecord }> = []
  private saveTimer?: NodeJS.Timeout

  constructor (bucket: Bucket) { this.bucket = bucket }

  /** Marks records a crash left unfinished (older layouts stored them early) as failed. */
  async recover (): Promise<number> {
    let n = 0
    for await (const [key, rec] of this.bucket.iterator()) {
      const r = rec as TaskRecord
      if (FINAL_STATES.has(r.state)) continue
      await this.bucket.put(key, { ...r, state: 'failed', updatedAt: new Date().toISOString(), error: { code: 'interrupted', message: 'the daemon stopped before the task finished' } })
      n++
    }
    return n
  }

  /** Starts the record of a new task; returns it. */
  create (init: Omit<TaskRecord, 'createdAt' | 'updatedAt'>): TaskRecord {
    const at = new Date().toISOString()
    const rec: TaskRecord = { ...init, createdAt: at, updatedAt: at }
    this.active.set(`${rec.direction}!${rec.correlationId}`, { key: this.nextKey(), rec })
    return rec
  }

  /** Applies `patch` to a record made by create(); a final state stores it. */
  update (rec: TaskRecord, patch: Partial<TaskRecord>): TaskRecord {
    Object.assign(rec, patch, { updatedAt: new Date().toISOString() })
    if (!FINAL_STATES.has(rec.state)) return rec
    const id = `${rec.direction}!${rec.correlationId}`
    const row = this.active.get(id)
    if (row === undefined || row.rec !== rec) return rec
    this.active.delete(id)
    this.write(row.key, { ...rec })
    return rec
  }

  /** Newest first: unfinished tasks (in memory) and stored ones. */
  async list (opts: { limit?: number, direction?: TaskDirection } = {}): Promise<TaskRecord[]> {
    await this.flush()
    const limit = Math.max(1, Math.min(TASK_RECORDS_KEEP, opts.limit ?? TASK_LIST_DEFAULT))
    const want = (r: TaskRecord): boolean => opts.direction === undefined || r.direction === opts.direction
    const active = [...this.active.values()].filter((x) => want(x.rec)).sort((x, y) => x.key < y.key ? 1 : -1)
    const out: TaskRecord[] = []
    let i = 0
    for await (const [key, rec] of this.bucket.iterator({ reverse: true })) {
      const r = rec as TaskRecord
      if (!want(r)) continue
      while (i < active.length && active[i].key > String(key) && out.length < limit) out.push({ ...active[i++].rec })
      if (out.length >= limit) break
      out.push(r)
      if (out.length >= limit) break
    }
    while (i < active.length && out.length < limit) out.push({ ...active[i++].rec })
    return out
  }

  /** Time-ordered and unique in this process: ms since epoch, then a counter within the ms. */
  private nextKey (): string {
    const now = Date.now()
    if (now > this.lastKeyMs) { this.lastKeyMs = now; this.keySeq = 0 } else this.keySeq++
    return `${String(this.lastKeyMs).padStart(15, '0')}.${String(this.keySeq).padStart(6, '0')}`
  }

  /** Stores what is pending now (list, stop). */
  async flush (): Promise<void> {
    this.save()
    await this.chain
  }

  private write (key: string, rec: TaskRecord): void {
    this.unsaved.push({ key, rec })
    this.saveTimer ??= setTimeout(() => { this.save() }, SAVE_DELAY_MS).unref()
  }

  // Batches are chained so they land in order, and synced: a record a task's peer was told about
  // survives a crash. The 50 ms gathering makes that one fsync per burst, not per task.
  private save (): void {
    clearTimeout(this.saveTimer)
    this.saveTimer = undefined
    if (this.unsaved.length === 0) return
    const batch = this.unsaved
    this.unsaved = []
    this.chain = this.chain.then(async () => {
      await (this.bucket.batch as unknown as SyncedBatch).call(this.bucket, batch.map(({ key, rec }) => ({ type: 'put' as const, key, value: rec })), { sync: true })
      this.stored ??= (await this.bucket.keys().all()).length - batch.length
      this.stored += batch.length
      if (this.stored >= TASK_RECORDS_KEEP + PRUNE_EVERY) await this.prune()
    }).catch(() => {})
  }

  /** Deletes the oldest records beyond TASK_RECORDS_KEEP (run every PRUNE_EVERY stores). */
  private async prune (): Promise<void> {
    const excess = (this.stored ?? 0) - TASK_RECORDS_KEEP
    if (excess <= 0) return
    const old = await this.bucket.keys({ limit: excess }).all()
    await this.bucket.batch(old.map((key) => ({ type: 'del' as const, key: String(key) })))
    this.stored = (this.stored ?? 0) - old.length
  }
}
