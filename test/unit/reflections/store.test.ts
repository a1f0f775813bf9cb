import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { ReflectionStore } from '../../../src/reflections/store.ts'
import { createRecord } from '../../../src/reflections/model.ts'
import { DRIVER_MAX } from '../../../src/reflections/search.ts'

let dir: string
let db: SwarmDb
let store: ReflectionStore

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-reflections-'))
  db = await openDb(join(dir, 'db'))
  store = new ReflectionStore(db)
})

afterEach(async () => {
  await db.close().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

describe('ReflectionStore add/get/list', () => {
  it('adds, gets and lists newest first with filters', async () => {
    const a = await store.add({ description: 'gossip mesh repaired after relay restart', outcome: 'success', tags: ['net'], category: 'networking' }, 'node:a')
    const b = await store.add({ description: 'leveldb compaction stalled writes', outcome: 'failed', tags: ['db', 'net'], category: 'storage' }, 'node:a')
    const c = await store.add({ description: 'cache warmed on start', outcome: 'successful', tags: ['db'] }, 'node:b', { source: 'swarm', provenance: ['shared_from_node:b'] })

    expect(await store.get(a.id)).toEqual(a)
    expect(await store.get('reflection:01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined()
    expect(await store.count()).toBe(3)
    expect((await store.list()).map(r => r.id)).toEqual([c.id, b.id, a.id])
    expect((await store.list({ tag: 'net' })).map(r => r.id)).toEqual([b.id, a.id])
    expect((await store.list({ tag: 'NET' })).map(r => r.id)).toEqual([b.id, a.id])
    expect((await store.list({ category: 'storage' })).map(r => r.id)).toEqual([b.id])
    expect((await store.list({ outcome: 'success' })).map(r => r.id)).toEqual([c.id, a.id])
    expect((await store.list({ source: 'swarm' })).map(r => r.id)).toEqual([c.id])
    expect((await store.list({ source: 'local', tag: 'db' })).map(r => r.id)).toEqual([b.id])
    expect((await store.list({ limit: 1 })).map(r => r.id)).toEqual([c.id])
    expect((await store.list({ limit: 1, after: c.id })).map(r => r.id)).toEqual([b.id])
    expect((await store.list({ tag: 'db', after: c.id })).map(r => r.id)).toEqual([b.id])
  })

  it('keeps one copy of an id', async () => {
    const r = createRecord({ description: 'the same reflection twice', outcome: 'success', tags: ['dup'] }, { author: 'node:a' })
    expect(await store.repository.put(r)).toEqual({ stored: true })
    expect(await store.repository.put({ ...r, description: 'changed' })).toEqual({ stored: false })
    expect(await store.repository.putMany([r, r])).toEqual({ stored: 0, duplicates: 2 })
    expect(await store.count()).toBe(1)
    expect((await store.get(r.id))?.description).toBe('the same reflection twice')
    expect(await store.search('reflection twice')).toHaveLength(1)
  })

  it('imports shared reflections with provenance, once', async () => {
    const from = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
    const theirs = createRecord({ description: 'pin the relay peer before dialing', outcome: 'success', tags: ['relay'] }, { author: from, signature: 'base64url:abc' })
    const first = await store.import(JSON.parse(JSON.stringify(theirs)), { from })
    expect(first.stored).toBe(true)
    const got = await store.get(theirs.id)
    expect(got).toMatchObject({ source: 'swarm', author: from, signature: 'base64url:abc', provenance: [`shared_from_${from}`] })
    expect(got?.tags).toEqual(['relay', `shared_from_${from}`])
    expect((await store.import(theirs, { from })).stored).toBe(false)
    expect((await store.search('relay dialing', { source: 'swarm' }))[0].reflection.id).toBe(theirs.id)
    expect((await store.list({ tag: `shared_from_${from}` })).map(r => r.id)).toEqual([theirs.id])
    await expect(store.import({ ...theirs, id: 'bogus' })).rejects.toMatchObject({ code: 'bad-reflection' })
  })

  it('refuses bad input with stable codes', async () => {
    await expect(store.add({ description: '', outcome: 'success' }, 'node:a')).rejects.toMatchObject({ code: 'bad-reflection', detail: { field: 'description' } })
    await expect(store.add({ description: 'x', outcome: 'maybe' }, 'node:a')).rejects.toMatchObject({ code: 'bad-outcome' })
  })
})

describe('ReflectionStore search', () => {
  async function seed (): Promise<Record<string, string>> {
    const ids: Record<string, string> = {}
    const docs: Array<[string, string, string, string[], string]> = [
      ['both', 'rotate the federation trust root with a staged rollout', 'success', ['trust'], 'security'],
      ['one', 'federation membership list refreshed nightly', 'success', ['federation'], 'general'],
      ['rare', 'quorum deadline extended for the zephyr migration', 'failure', ['consensus'], 'general'],
      ['noise', 'the cache was warmed before the benchmark started', 'success', ['perf'], 'performance'],
      ['fail', 'trust root rotation failed because the old root was revoked first', 'failure', ['trust'], 'security']
    ]
    for (const [name, description, outcome, tags, category] of docs) {
      ids[name] = (await store.add({ description, outcome, tags, category }, 'node:a')).id
    }
    // Filler so idf separates common from rare words.
    await store.repository.putMany(Array.from({ length: 60 }, (_, i) => createRecord({
      description: `federation routine maintenance note ${i} with rollout checks`, outcome: 'success', tags: ['filler']
    }, { author: 'node:f' })))
    return ids
  }

  it('ranks the document matching more and rarer terms first', async () => {
    const ids = await seed()
    const hits = await store.search('rotate federation trust root')
    expect(hits[0].reflection.id).toBe(ids.both)
    expect(hits.map(h => h.reflection.id)).toContain(ids.fail)
    expect(hits[0].score).toBeGreaterThan(hits[1].score)
    expect((await store.search('zephyr federation'))[0].reflection.id).toBe(ids.rare)
    expect(await store.search('the of and')).toEqual([])
    expect(await store.search('nonexistentword')).toEqual([])
    expect(await store.search('federation', { limit: 3 })).toHaveLength(3)
  })

  it('filters by tag, category and outcome', async () => {
    const ids = await seed()
    expect((await store.search('trust root', { outcome: 'failure' })).map(h => h.reflection.id)).toEqual([ids.fail])
    expect((await store.search('federation', { tags: ['Trust'] })).map(h => h.reflection.id)).toEqual([ids.both])
    expect((await store.search('root', { category: 'security' })).map(h => h.reflection.id).sort()).toEqual([ids.both, ids.fail].sort())
    expect(await store.search('federation', { tags: ['nope'] })).toEqual([])
    expect(await store.search('federation', { tags: ['trust'], category: 'general' })).toEqual([])
  })

  it('filters correctly when postings are cut short and the filter is not selective', async () => {
    // More documents than one token's posting cap and than DRIVER_MAX, so neither shortcut applies.
    const n = DRIVER_MAX + 500
    const recs = Array.from({ length: n }, (_, i) => createRecord({
      description: `common words appear everywhere ${i % 7 === 0 ? 'common common' : ''}`,
      outcome: i % 10 === 0 ? 'failure' : 'success',
      tags: i % 2 === 0 ? ['even'] : ['odd']
    }, { author: 'node:a' }))
    await store.repository.putMany(recs)
    const hits = await store.search('common words', { tags: ['even'], outcome: 'failure', limit: 20 })
    expect(hits).toHaveLength(20)
    for (const h of hits) expect(h.reflection).toMatchObject({ outcome: 'failure', tags: ['even'] })
  })

  it('answers knowledge queries with successes first', async () => {
    const ids = await seed()
    const items = await store.knowledge('trust root rotation', 5)
    expect(items[0]).toMatchObject({ id: ids.both, outcome: 'success', from: 'node:a' })
    expect(items.map(i => i.outcome).indexOf('failure')).toBeGreaterThan(items.map(i => i.outcome).lastIndexOf('success'))
    expect(Object.keys(items[0]).sort()).toEqual(['description', 'from', 'id', 'outcome', 'recommendations', 'score', 'tags'])
  })

  it('finds everything after close and reopen', async () => {
    const ids = await seed()
    await db.close()
    db = await openDb(join(dir, 'db'))
    store = new ReflectionStore(db)
    expect(await store.count()).toBe(65)
    expect((await store.search('rotate federation trust root'))[0].reflection.id).toBe(ids.both)
    expect((await store.list({ tag: 'trust' })).map(r => r.id)).toEqual([ids.fail, ids.both])
    const more = await store.add({ description: 'zephyr again', outcome: 'success' }, 'node:a')
    expect(await store.count()).toBe(66)
    expect((await store.search('zephyr'))[0].reflection.id).toBe(more.id)
  })
})

describe('ReflectionStore visibility', () => {
  const policy = { federation: 'fed:t', overrides: {} }
  const member = { self: false as const, federation: 'fed:t', readers: ['node:peer'] }

  it('serves a member only shared reflections, even when local ones outrank them', async () => {
    // 40 local reflections that match the query better than the one shared reflection
    for (let i = 0; i < 40; i++) await store.add({ description: `heron heron heron sluice ${i}`, outcome: 'success' }, 'node:me', { sync: false })
    const shared = await store.add({ description: 'heron sluice gate maintenance schedule', outcome: 'success' }, 'node:me', { visibility: 'shared', scope: { federation: 'fed:t' } })
    const served = await store.knowledge('heron sluice', 5, { audience: member, policy })
    expect(served.map((i) => i.id)).toEqual([shared.id])
    expect((await store.knowledge('heron sluice', 5, { audience: { self: true }, policy })).length).toBe(5)
    expect(await store.knowledge('heron sluice', 5, { audience: { self: false, federation: 'fed:other', readers: ['node:x'] }, policy })).toEqual([])
  })

  it('share and unshare rewrite the record durably and keep it searchable', async () => {
    const r = await store.add({ description: 'ibis weir: open the second gate first', outcome: 'success' }, 'node:me')
    expect(r.visibility).toBe('local')
    expect((await store.setVisibility(r.id, 'shared', { federation: 'fed:t' }))?.visibility).toBe('shared')
    expect(await store.get(r.id)).toMatchObject({ visibility: 'shared', scope: { federation: 'fed:t' } })
    expect((await store.knowledge('ibis weir', 5, { audience: member, policy })).map((i) => i.id)).toEqual([r.id])
    await store.setVisibility(r.id, 'local', undefined)
    expect(await store.knowledge('ibis weir', 5, { audience: member, policy })).toEqual([])
    expect((await store.search('ibis weir')).map((h) => h.reflection.id)).toEqual([r.id])
    expect(await store.count()).toBe(1)
    expect(await store.setVisibility('reflection:01ARZ3NDEKTSV4RRFFQ69G5FAV', 'shared', undefined)).toBeUndefined()
  })

  it('an import is shared within the federation it came from', async () => {
    const rec = createRecord({ description: 'egret pump: prime it before the dry season', outcome: 'success' }, { author: 'node:far' })
    const { reflection } = await store.import(rec, { from: 'node:far', federation: 'fed:t' })
    expect(reflection).toMatchObject({ source: 'swarm', visibility: 'shared', scope: { federation: 'fed:t' } })
    expect((await store.knowledge('egret pump', 5, { audience: member, policy })).map((i) => i.id)).toEqual([reflection.id])
  })
})
