import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { WriteGroup } from '../../../src/store/write-group.ts'

let dir: string
let db: SwarmDb

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-write-group-'))
  db = await openDb(join(dir, 'db'))
})
afterEach(async () => {
  await db.close()
  await rm(dir, { recursive: true, force: true })
})

it('writes what one turn queued as one batch, across buckets, in order', async () => {
  const q = db.bucket('questions')
  const c = db.bucket('channel')
  const batches: number[] = []
  const batch = db.level.batch.bind(db.level)
  db.level.batch = (async (ops: unknown[], opts: object) => { batches.push(ops.length); return await batch(ops as any, opts) }) as any
  const g = new WriteGroup()
  await Promise.all([g.put(q, 'a', 1), g.put(c, 'a!1', 'x', true), g.put(q, 'a', 2), g.del(q, 'gone')])
  expect(batches).toEqual([4])
  expect(await q.get('a')).toBe(2) // the later write of a key wins
  expect(await c.get('a!1')).toBe('x')
  await g.put(q, 'b', 3)
  expect(batches).toEqual([4, 1])
})

it('flush waits for queued writes, so a read after it sees them', async () => {
  const q = db.bucket('questions')
  const g = new WriteGroup()
  const p = g.put(q, 'k', { v: 1 })
  expect(await q.get('k')).toBeUndefined() // still queued for the end of the turn
  await g.flush()
  expect(await q.get('k')).toEqual({ v: 1 })
  await p
})

it('a failed batch rejects the writes it held and the next group still goes through', async () => {
  const q = db.bucket('questions')
  const g = new WriteGroup()
  const batch = db.level.batch.bind(db.level)
  let fail = true
  db.level.batch = (async (ops: unknown[], opts: object) => {
    if (fail) { fail = false; throw new Error('disk full') }
    return await batch(ops as any, opts)
  }) as any
  await expect(g.put(q, 'x', 1)).rejects.toThrow('disk full')
  await g.put(q, 'y', 2)
  expect(await q.get('y')).toBe(2)
})
