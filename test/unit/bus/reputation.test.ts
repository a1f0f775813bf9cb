import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDb } from '../../../src/store/db.ts'
import { ReputationBook } from '../../../src/reputation/index.ts'

describe('reputation book', () => {
  const dirs: string[] = []
  afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

  it('strangers get the default; adjustments clamp to [0,1] and persist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rep-'))
    dirs.push(dir)
    const db = await openDb(join(dir, 'db'))
    const book = new ReputationBook(db.bucket('reputation'), 0.5)
    expect(await book.score('node:x')).toBe(0.5)
    expect((await book.adjust('node:x', 0.7, 'accepted', { accepted: true })).score).toBe(1)
    expect((await book.adjust('node:x', -0.25, 'objection', { objected: true }))).toMatchObject({ score: 0.75, accepted: 1, objected: 1 })
    await db.close()
    const db2 = await openDb(join(dir, 'db'))
    const again = new ReputationBook(db2.bucket('reputation'), 0.5)
    expect(await again.record('node:x')).toMatchObject({ nodeId: 'node:x', score: 0.75, accepted: 1, objected: 1 })
    expect((await again.list()).length).toBe(1)
    await expect(again.adjust('node:x', NaN, 'bad')).rejects.toThrow(RangeError)
    await db2.close()
  })
})

describe('reputation book bound', () => {
  it('holds at most cacheMax records in memory (least recently used leave), stored ones read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rep-'))
    const db = await openDb(join(dir, 'db'))
    try {
      const book = new ReputationBook(db.bucket('reputation'), 0.5, 3)
      await book.adjust('node:kept', 0.2, 'accepted')
      for (let i = 0; i < 10; i++) {
        await book.score(`node:stranger-${i}`)
        await book.score('node:kept') // used often: stays in memory
      }
      expect(book.stats()).toMatchObject({ cached: 3, max: 3 })
      expect(book.stats().evicted).toBeGreaterThanOrEqual(8)
      await book.adjust('node:other', 0.1, 'x')
      for (let i = 0; i < 5; i++) await book.score(`node:flood-${i}`)
      expect(await book.score('node:other')).toBeCloseTo(0.6) // evicted from memory, read back from the store
      expect(book.stats().cached).toBe(3)
    } finally {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
