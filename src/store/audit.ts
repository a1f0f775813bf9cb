// Append-only audit log, hash-chained: each entry carries the SHA-256 of the one before, so an
// edited, removed or reordered entry breaks the chain at that point. One AuditLog per bucket per
// process (the daemon's); appends are serialised (group-committed) so the chain never forks.

import { createHash } from 'node:crypto'
import { SwarmError } from '../errors.ts'
import type { Bucket } from './db.ts'

export const AUDIT_GENESIS = 'genesis'
/** Keys are the zero-padded seq, so key order is append order. */
const SEQ_DIGITS = 16
const LIST_DEFAULT_LIMIT = 100

export interface AuditRecord {
  kind: string
  correlationId?: string
  /** Any JSON value; stored as its JSON form (undefined becomes null). */
  detail?: unknown
}

export interface AuditEntry {
  seq: number
  /** RFC 3339, UTC. */
  at: string
  kind: string
  correlationId?: string
  detail: unknown
  /** `hash` of the previous entry, or 'genesis' for seq 1. */
  prev: string
  /** SHA-256 hex of the canonical JSON of this entry without `hash`. */
  hash: string
}

export interface AuditQuery {
  limit?: number
  /** A seq (entries after it, oldest first) or an RFC 3339 time (entries at or after it). */
  since?: number | string
  kind?: string
  correlationId?: string
  signal?: AbortSignal
}

export interface AuditVerification {
  intact: boolean
  /** Entries checked and found intact (all of them when intact). */
  entries: number
  brokenAt?: number
  reason?: 'malformed' | 'key-mismatch' | 'seq-gap' | 'prev-mismatch' | 'hash-mismatch' | 'truncated'
}

interface Head { seq: number, hash: string }

// classic-level's `sync` (fsync before resolving); sublevels forward it to the parent, but
// abstract-level's option types do not declare it.

interface PendingAppend {
  record: AuditRecord
  signal?: AbortSignal
  resolve: (head: Head) => void
  reject: (err: unknown) => void
}

/** A batch put with classic-level's `sync` (fsync before resolving), which the types omit. */
type SyncedBatch = (ops: Array<{ type: 'put', key: string, value: AuditEntry }>, options: { sync: true }) => Promise<void>

export class AuditLog {
  private readonly bucket: Bucket
  private readonly now: () => Date
  private head: Head | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private pending: PendingAppend[] = []
  private flushing = false

  constructor (bucket: Bucket, options: { now?: () => Date } = {}) {
    this.bucket = bucket
    this.now = options.now ?? (() => new Date())
  }

  /**
   * Appends one entry; concurrent calls are chained in call order. Appends that arrive while a
   * write is in flight are committed together in one synced batch (group commit), so a busy
   * node pays one fsync per batch, not per entry; each still resolves only once durable.
   */
  async append (record: AuditRecord, options: { signal?: AbortSignal } = {}): Promise<{ seq: number, hash: string }> {
    const head = await new Promise<Head>((resolve, reject) => {
      this.pending.push({ record, signal: options.signal, resolve, reject })
      if (!this.flushing) {
        this.flushing = true
        this.queue = this.flush()
      }
    })
    return { ...head }
  }

  private async flush (): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending
        this.pending = []
        let head: Head
        try {
          head = await this.loadHead()
        } catch (err) {
          for (const p of batch) p.reject(err)
          continue
        }
        const entries: AuditEntry[] = []
        const accepted: PendingAppend[] = []
        for (const p of batch) {
          try {
            const entry = this.entryAfter(head, p)
            entries.push(entry)
            accepted.push(p)
            head = { seq: entry.seq, hash: entry.hash }
          } catch (err) {
            // A failed append must not block or fork the ones queued behind it.
            p.reject(err)
          }
        }
        if (entries.length === 0) continue
        try {
          // Synced: an acknowledged audit entry survives a crash.
          await (this.bucket.batch as unknown as SyncedBatch).call(this.bucket, entries.map((e) => ({ type: 'put' as const, key: seqKey(e.seq), value: e })), { sync: true })
          this.head = head
          accepted.forEach((p, i) => { p.resolve({ seq: entries[i].seq, hash: entries[i].hash }) })
        } catch (err) {
          for (const p of accepted) p.reject(err)
        }
      }
    } finally {
      this.flushing = false
    }
  }

  private entryAfter (head: Head, p: PendingAppend): AuditEntry {
    const { record, signal } = p
    if (signal?.aborted === true) throw new SwarmError('aborted', 'audit append was aborted')
    if (typeof record.kind !== 'string' || record.kind === '') throw new SwarmError('bad-request', 'an audit entry needs a kind')
    const body: Omit<AuditEntry, 'hash'> = {
      seq: head.seq + 1,
      at: this.now().toISOString(),
      kind: record.kind,
      ...(record.correlationId === undefined ? {} : { correlationId: record.correlationId }),
      detail: toJsonValue(record.detail),
      prev: head.hash
    }
    return { ...body, hash: entryHash(body) }
  }

  /** The last entry's seq and hash (seq 0 and 'genesis' when empty). */
  async latest (): Promise<{ seq: number, hash: string }> {
    await this.queue
    return { ...await this.loadHead() }
  }

  private async loadHead (): Promise<Head> {
    if (this.head !== undefined) return this.head
    let head: Head = { seq: 0, hash: AUDIT_GENESIS }
    for await (const [key, value] of this.bucket.iterator({ reverse: true, limit: 1 })) {
      const e = value as Partial<AuditEntry> | null
      if (typeof e?.seq !== 'number' || typeof e.hash !== 'string' || key !== seqKey(e.seq)) {
        throw new SwarmError('audit-corrupt', `the last audit entry (${key}) is malformed; run verify`)
      }
      head = { seq: e.seq, hash: e.hash }
    }
    this.head = head
    return head
  }

  /** Without `since`: the latest `limit` matches; with it: the first `limit` after it. Oldest first. */
  async list (query: AuditQuery = {}): Promise<AuditEntry[]> {
    // Appends issued before this call are listed (they may still be in flight).
    await this.queue
    const limit = Math.max(0, Math.floor(query.limit ?? LIST_DEFAULT_LIMIT))
    if (limit === 0) return []
    const { since, kind, correlationId, signal } = query
    const fromSeq = typeof since === 'number'
    const range = fromSeq ? { gt: seqKey(Math.max(0, Math.floor(since))) } : since === undefined ? { reverse: true } : {}
    // Compared as instants: '…08Z' and '…08.000Z' are the same time but not the same string.
    const sinceMs = typeof since === 'string' ? Date.parse(since) : undefined
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new SwarmError('bad-request', `since is neither a seq nor an RFC 3339 time: ${String(since)}`)
    const out: AuditEntry[] = []
    for await (const value of this.bucket.values(range)) {
      if (signal?.aborted === true) throw new SwarmError('aborted', 'audit listing was aborted')
      const e = value as AuditEntry
      if (sinceMs !== undefined && Date.parse(e.at) < sinceMs) continue
      if (kind !== undefined && e.kind !== kind) continue
      if (correlationId !== undefined && e.correlationId !== correlationId) continue
      out.push(e)
      if (out.length >= limit) break
    }
    return since === undefined ? out.reverse() : out
  }

  /** Walks the whole chain from genesis; stops at the first broken link. */
  async verify (options: { signal?: AbortSignal } = {}): Promise<AuditVerification> {
    await this.queue
    // What this process last wrote: the log may hold more by now, never less.
    const known = this.head
    let expected = 1
    let prev = AUDIT_GENESIS
    let hashAtKnown: string | undefined
    const broken = (reason: NonNullable<AuditVerification['reason']>): AuditVerification =>
      ({ intact: false, entries: expected - 1, brokenAt: expected, reason })
    for await (const [key, value] of this.bucket.iterator()) {
      if (options.signal?.aborted === true) throw new SwarmError('aborted', 'audit verification was aborted')
      const e = value as AuditEntry | null
      if (e === null || typeof e !== 'object' || typeof e.seq !== 'number' || typeof e.hash !== 'string') return broken('malformed')
      if (e.seq !== expected) return broken('seq-gap')
      if (key !== seqKey(e.seq)) return broken('key-mismatch')
      if (e.prev !== prev) return broken('prev-mismatch')
      const { hash, ...body } = e
      if (entryHash(body) !== hash) return broken('hash-mismatch')
      if (known !== undefined && e.seq === known.seq) hashAtKnown = hash
      prev = hash
      expected++
    }
    if (known !== undefined && known.seq > 0 && hashAtKnown !== known.hash) return broken('truncated')
    return { intact: true, entries: expected - 1 }
  }
}

function seqKey (seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0')
}

export function entryHash (body: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex')
}

/** The value as it will read back from the JSON-encoded store, so hashes survive a round trip. */
function toJsonValue (value: unknown): unknown {
  if (value === undefined) return null
  try {
    return JSON.parse(JSON.stringify(value)) ?? null
  } catch (err) {
    throw new SwarmError('bad-request', `audit detail is not JSON-serialisable: ${(err as Error).message}`)
  }
}

/** JSON with object keys sorted (code-unit order) and undefined members left out. */
export function canonicalJson (value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(v => v === undefined ? 'null' : canonicalJson(v)).join(',')}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).filter(k => obj[k] !== undefined).sort()
  return `{${keys.map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`
}
