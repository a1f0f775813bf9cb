import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { AuditLog, canonicalJson, entryHash, type AuditEntry } from '../../../src/store/audit.ts'

let dir: string
let db: SwarmDb

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-audit-'))
  db = await openDb(join(dir, 'db'))
})

afterEach(async () => {
  await db.close().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

const key = (seq: number): string => String(seq).padStart(16, '0')

async function fill (log: AuditLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await log.append({ kind: i % 2 === 0 ? 'task' : 'vote', correlationId: `c${i % 3}`, detail: { i } })
}

describe('AuditLog', () => {
  it('chains entries from genesis', async () => {
    const log = new AuditLog(db.bucket('audit'), { now: () => new Date('2025-01-02T03:04:05.678Z') })
    const a = await log.append({ kind: 'task-run', correlationId: 'task:1', detail: { b: 2, a: [1, undefined] } })
    const b = await log.append({ kind: 'vote', detail: undefined })
    expect(a.seq).toBe(1)
    expect(b.seq).toBe(2)
    const [e1, e2] = await log.list()
    expect(e1).toEqual({ seq: 1, at: '2025-01-02T03:04:05.678Z', kind: 'task-run', correlationId: 'task:1', detail: { a: [1, null], b: 2 }, prev: 'genesis', hash: a.hash })
    expect(e2).toMatchObject({ seq: 2, prev: a.hash, hash: b.hash, detail: null })
    expect(e2).not.toHaveProperty('correlationId')
    const { hash, ...body } = e1
    expect(hash).toBe(entryHash(body))
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(await log.verify()).toEqual({ intact: true, entries: 2 })
  })

  it('verifies an empty log', async () => {
    expect(await new AuditLog(db.bucket('audit')).verify()).toEqual({ intact: true, entries: 0 })
  })

  it('detects an edited entry', async () => {
    const log = new AuditLog(db.bucket('audit'))
    await fill(log, 5)
    const bucket = db.bucket('audit')
    const e3 = await bucket.get(key(3)) as AuditEntry
    await bucket.put(key(3), { ...e3, detail: { i: 999 } })
    expect(await log.verify()).toEqual({ intact: false, entries: 2, brokenAt: 3, reason: 'hash-mismatch' })
  })

  it('detects an edited entry whose hash was recomputed (the next link breaks)', async () => {
    const log = new AuditLog(db.bucket('audit'))
    await fill(log, 5)
    const bucket = db.bucket('audit')
    const { hash: _old, ...body } = await bucket.get(key(3)) as AuditEntry
    const forged = { ...body, kind: 'innocent' }
    await bucket.put(key(3), { ...forged, hash: entryHash(forged) })
    expect(await log.verify()).toEqual({ intact: false, entries: 3, brokenAt: 4, reason: 'prev-mismatch' })
  })

  it('detects a removed entry and a removed tail', async () => {
    const log = new AuditLog(db.bucket('audit'))
    await fill(log, 5)
    await db.bucket('audit').del(key(5))
    expect(await log.verify()).toMatchObject({ intact: false, brokenAt: 5, reason: 'truncated' })
    await db.bucket('audit').del(key(2))
    expect(await log.verify()).toMatchObject({ intact: false, entries: 1, brokenAt: 2, reason: 'seq-gap' })
  })

  it('keeps a linear chain under concurrent appends', async () => {
    const log = new AuditLog(db.bucket('audit'))
    const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => await log.append({ kind: 'k', detail: { i } })))
    expect(results.map(r => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(await log.verify()).toEqual({ intact: true, entries: 100 })
    // Call order is append order.
    expect((await log.list({ limit: 1000 })).map(e => (e.detail as { i: number }).i)).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  it('a failed append does not block or fork the chain', async () => {
    const log = new AuditLog(db.bucket('audit'))
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const [ok1, bad, ok2] = await Promise.allSettled([
      log.append({ kind: 'k' }),
      log.append({ kind: 'k', detail: cyclic }),
      log.append({ kind: 'k' })
    ])
    expect(ok1).toMatchObject({ status: 'fulfilled', value: { seq: 1 } })
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'bad-request' } })
    expect(ok2).toMatchObject({ status: 'fulfilled', value: { seq: 2 } })
    await expect(log.append({ kind: '' })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(log.append({ kind: 'k' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' })
    expect(await log.verify()).toEqual({ intact: true, entries: 2 })
  })

  it('continues the chain after a reopen', async () => {
    const first = new AuditLog(db.bucket('audit'))
    await fill(first, 3)
    const last = await first.latest()
    await db.close()
    db = await openDb(join(dir, 'db'))
    const second = new AuditLog(db.bucket('audit'))
    expect(await second.latest()).toEqual(last)
    const next = await second.append({ kind: 'after-restart' })
    expect(next.seq).toBe(4)
    const entries = await second.list()
    expect(entries.at(-1)).toMatchObject({ seq: 4, prev: last.hash })
    expect(await second.verify()).toEqual({ intact: true, entries: 4 })
  })

  it('lists with limit, since (seq or time), kind and correlation id', async () => {
    let t = Date.parse('2025-01-01T00:00:00Z')
    const log = new AuditLog(db.bucket('audit'), { now: () => new Date(t += 1000) })
    await fill(log, 10)
    const seqs = (es: AuditEntry[]): number[] => es.map(e => e.seq)
    expect(seqs(await log.list())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(seqs(await log.list({ limit: 3 }))).toEqual([8, 9, 10])
    expect(seqs(await log.list({ since: 4, limit: 3 }))).toEqual([5, 6, 7])
    expect(seqs(await log.list({ since: '2025-01-01T00:00:08Z' }))).toEqual([8, 9, 10])
    expect(seqs(await log.list({ kind: 'vote' }))).toEqual([2, 4, 6, 8, 10])
    expect(seqs(await log.list({ kind: 'vote', correlationId: 'c1', limit: 1 }))).toEqual([8])
    expect(seqs(await log.list({ correlationId: 'c0', since: 0 }))).toEqual([1, 4, 7, 10])
    expect(await log.list({ limit: 0 })).toEqual([])
    await expect(log.list({ since: 'yesterday' })).rejects.toMatchObject({ code: 'bad-request' })
  })

  it('refuses to append after a malformed last entry', async () => {
    await db.bucket('audit').put(key(1), { garbage: true })
    await expect(new AuditLog(db.bucket('audit')).append({ kind: 'k' })).rejects.toMatchObject({ code: 'audit-corrupt' })
    expect(await new AuditLog(db.bucket('audit')).verify()).toEqual({ intact: false, entries: 0, brokenAt: 1, reason: 'malformed' })
  })
})

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}')
    expect(canonicalJson([undefined, 'x'])).toBe('[null,"x"]')
  })
})
