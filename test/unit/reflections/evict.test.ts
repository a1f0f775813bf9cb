// Imports beyond `reflections.maxFromSwarm` are evicted earliest-arrived first, and an eviction
// leaves the index exactly as if the evicted reflections had never been imported: the same
// postings, document frequencies and corpus stats as a store that imported only the survivors.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { ReflectionStore } from '../../../src/reflections/store.ts'
import { createRecord, type ReflectionRecord } from '../../../src/reflections/model.ts'
import { standingFrom, STANDING_MARGIN } from '../../../src/reflections/service.ts'

const dirs: string[] = []
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

async function fresh (): Promise<{ db: SwarmDb, store: ReflectionStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-evict-'))
  dirs.push(dir)
  const db = await openDb(join(dir, 'db'))
  return { db, store: new ReflectionStore(db) }
}

async function indexOf (db: SwarmDb): Promise<Array<[string, unknown]>> {
  return await db.bucket('reflectionIndex').iterator().all() as Array<[string, unknown]>
}

const WORDS = ['relay', 'mesh', 'leveldb', 'cache', 'dial', 'noise', 'yamux', 'gossip', 'quota', 'timer']
const text = fc.array(fc.constantFrom(...WORDS), { minLength: 2, maxLength: 6 }).map((w) => w.join(' '))
const reflection = fc.record({ description: text, tags: fc.array(fc.constantFrom('net', 'db', 'ops'), { maxLength: 2 }), recs: fc.array(text, { maxLength: 2 }) })
const FROM = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'

describe('eviction of imported reflections', () => {
  it('keeps the latest arrivals, whatever their ids, leaves local ones alone, and undoes the index exactly', async () => {
    await fc.assert(fc.asyncProperty(fc.array(reflection, { minLength: 1, maxLength: 12 }), fc.array(reflection, { maxLength: 3 }), fc.nat(12), async (imports, locals, max) => {
      // ids made in one order and imported in the reverse one: arrival, not id, decides
      const records: ReflectionRecord[] = imports.map((r) => createRecord({ description: r.description, outcome: 'success', tags: r.tags, recommendations: r.recs }, { author: FROM })).reverse()
      const a = await fresh()
      const b = await fresh()
      try {
        for (const l of locals) {
          const rec = createRecord({ description: l.description, outcome: 'success', tags: l.tags }, { author: 'node:me' })
          await a.store.repository.put(rec)
          await b.store.repository.put(rec)
        }
        for (const r of records) await a.store.import(structuredClone(r), { from: FROM })
        const evicted = await a.store.repository.evictImports(max)
        const kept = records.slice(Math.max(0, records.length - max))
        expect(evicted).toBe(records.length - kept.length)
        for (const r of kept) await b.store.import(structuredClone(r), { from: FROM })
        expect((await a.store.countBySource())).toEqual(await b.store.countBySource())
        expect((await a.store.list({ source: 'swarm', limit: 100 })).map((r) => r.id).sort()).toEqual(kept.map((r) => r.id).sort())
        expect(await indexOf(a.db)).toEqual(await indexOf(b.db))
        expect(await a.store.repository.evictImports(max)).toBe(0)
      } finally {
        await a.db.close()
        await b.db.close()
      }
    }), { numRuns: 15 })
  })

  it('a flood of strangers\' imports evicts strangers first: the imports of authors trusted here are kept longest, those of distrusted ones go first', async () => {
    const { db, store } = await fresh()
    try {
      const make = (text: string): ReflectionRecord => createRecord({ description: text, outcome: 'success', tags: ['ops'] }, { author: FROM })
      const trusted = make('pin the relay before dialing')
      const distrusted = make('disable the firewall')
      await store.import(structuredClone(trusted), { from: FROM, standing: 2 })
      await store.import(structuredClone(distrusted), { from: FROM, standing: 0 })
      const flood = Array.from({ length: 6 }, (_, i) => make(`junk share number ${i}`))
      for (const r of flood) await store.import(structuredClone(r), { from: FROM }) // standing 1: strangers
      expect(await store.repository.evictImports(4)).toBe(4)
      const kept = (await store.list({ source: 'swarm' })).map((r) => r.id).sort()
      expect(kept).toEqual([trusted.id, ...flood.slice(-3).map((r) => r.id)].sort())
    } finally {
      await db.close()
    }
  })

  it('standing needs a margin from the default score (one accepted answer or one relayed invalid message is not enough); imports are counted per author', async () => {
    const scores: Record<string, number> = { once: 0.55, twice: 0.6, relayed: 0.48, objected: 0.4, stranger: 0.5 }
    const standing = standingFrom({ score: async (id) => scores[id] }, 0.5)
    expect(STANDING_MARGIN).toBeCloseTo(0.1)
    expect(await Promise.all(Object.keys(scores).map(standing))).toEqual([1, 2, 1, 0, 1])
    const { db, store } = await fresh()
    try {
      for (const text of ['one relay note', 'two relay notes']) await store.import(structuredClone(createRecord({ description: text, outcome: 'success', tags: ['net'] }, { author: FROM })), { from: FROM })
      expect(await store.importsFrom(FROM)).toBe(2)
      expect(await store.importsFrom('node:did:key:z6Mkother')).toBe(0)
    } finally {
      await db.close()
    }
  })

  it('imports stored before arrivals were kept are given the earliest arrival once, so they go first', async () => {
    const { db, store } = await fresh()
    try {
      const make = (text: string): ReflectionRecord => createRecord({ description: text, outcome: 'success', tags: ['net'] }, { author: FROM })
      const legacy = ['relay mesh one', 'relay mesh two', 'relay mesh three'].map(make)
      for (const r of legacy) await store.import(structuredClone(r), { from: FROM })
      await db.bucket('reflectionArrivals').clear() // as a store written before session 13
      const recent = ['noise dial four', 'noise dial five'].map(make)
      for (const r of recent) await store.import(structuredClone(r), { from: FROM })
      expect(await store.repository.backfillArrivals()).toBe(legacy.length)
      expect(await store.repository.backfillArrivals()).toBe(0)
      expect(await store.repository.evictImports(2)).toBe(3)
      expect((await store.list({ source: 'swarm' })).map((r) => r.id).sort()).toEqual(recent.map((r) => r.id).sort())
      expect(await store.search('relay mesh')).toEqual([])
    } finally {
      await db.close()
    }
  })
})
