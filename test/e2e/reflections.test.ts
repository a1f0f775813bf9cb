import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, connectDaemons, createDaemon, eventually, startDaemons, stopAll, watchEvents, type TestDaemon } from '../helpers/daemons.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const swarmList = async (d: TestDaemon): Promise<any[]> => await d.json(['reflect', 'list', '--source', 'swarm'])

describe('reflections: sharing across daemons', () => {
  const daemons: TestDaemon[] = []
  const watchers: Array<{ stop: () => void }> = []
  afterAll(async () => { for (const w of watchers) w.stop(); await stopAll(daemons); await cleanupHomes() })

  let a: TestDaemon, b: TestDaemon, c: TestDaemon
  let shared: any
  const seen: Record<string, { events: any[] }> = {}

  it('refuses to share a failure, with a reason', async () => {
    daemons.push(...await startDaemons([{}, {}, {}], 'full'))
    ;[a, b, c] = daemons
    for (const d of [b, c]) {
      const w = watchEvents(d, 'reflection:integrated')
      watchers.push(w)
      seen[d.nodeId] = w
    }
    await eventually(async () => (await a.json(['peers'])).length === 2, { what: 'a sees two peers' })
    await eventually(async () => (await a.json(['stats'])).topics.includes('swarm/1/fed/fed:test/reflections'), { what: 'a subscribed' })

    // add --share of a failure: stored (and said so), then the share is refused, exit 1
    const both = await a.cli(['reflect', 'add', '--description', 'Rotating the trust root without overlap broke every client', '--outcome', 'failed', '--tag', 'trust-root', '--share', '--json'])
    expect(both.code).toBe(1)
    expect(both.json.error).toMatchObject({ code: 'not-shareable', detail: { stored: true, outcome: 'failure' } })
    const failedId = both.json.error.detail.id
    expect(failedId).toMatch(/^reflection:[0-9A-Z]{26}$/)
    expect((await a.json(['reflect', 'show', failedId])).outcome).toBe('failure')

    // the plain share of that failure: exit 1 with the reason
    const refused = await a.cli(['reflect', 'share', failedId, '--json'])
    expect(refused.code).toBe(1)
    expect(refused.json.error.code).toBe('not-shareable')
    expect(refused.json.error.message).toContain('only successful reflections are shared')
    expect(refused.json.error.detail).toMatchObject({ id: failedId, reason: expect.stringContaining('failure') })
    const human = await a.cli(['reflect', 'share', failedId])
    expect(human.code).toBe(1)
    expect(human.stderr).toContain('only successful reflections are shared')
  })

  it('shares a success to every daemon, stored with source swarm and the provenance tag', async () => {
    shared = await a.json(['reflect', 'add', '--description', 'Rotated the federation trust root with a 24 h overlap window', '--outcome', 'successful',
      '--category', 'Security', '--tag', 'Trust Root', '--recommendation', 'keep both roots valid for a day', '--share'])
    expect(shared).toMatchObject({ id: expect.stringMatching(/^reflection:[0-9A-Z]{26}$/), outcome: 'success', shared: true })

    for (const d of [b, c]) {
      const list = await eventually(async () => { const l = await swarmList(d); return l.length > 0 ? l : undefined }, { what: `${d.nodeId} stores the shared reflection` })
      expect(list).toHaveLength(1)
      const r = list[0]
      expect(r).toMatchObject({
        id: shared.id,
        source: 'swarm',
        outcome: 'success',
        category: 'security',
        author: a.nodeId,
        description: 'Rotated the federation trust root with a 24 h overlap window',
        recommendations: ['keep both roots valid for a day']
      })
      expect(r.tags).toEqual(['trust-root', `shared_from_${a.nodeId}`])
      expect(r.provenance).toEqual([`shared_from_${a.nodeId}`])
      expect(r.signature).toMatch(/^base64url:/)
      // the signed envelope is kept, with the same id
      const full = await d.json(['reflect', 'show', shared.id])
      expect(full.envelope).toMatchObject({ type: 'swarm/reflection', id: shared.id, sender: { 'node/id': a.nodeId } })
      // searchable by the provenance tag
      const found = await d.json(['reflect', 'search', 'trust', 'root', '--tag', `shared_from_${a.nodeId}`])
      expect(found.map((x: any) => x.id)).toEqual([shared.id])
      const ev = await eventually(() => seen[d.nodeId].events.length > 0 ? seen[d.nodeId].events : undefined, { what: 'reflection:integrated' })
      expect(ev).toEqual([expect.objectContaining({ type: 'reflection:integrated', id: shared.id, from: a.nodeId })])
      // the failure never travelled
      expect((await d.json(['reflect', 'list'])).map((x: any) => x.outcome)).toEqual(['success'])
    }
    // the author never imports its own reflection
    expect(await swarmList(a)).toEqual([])
    const stats = await b.json(['stats'])
    expect(stats.reflections).toMatchObject({ count: 1, local: 0, swarm: 1 })
    expect((await a.json(['stats'])).reflections).toMatchObject({ count: 2, local: 2, swarm: 0 })
  })

  it('a duplicate delivery is stored once', async () => {
    const before = (await b.json(['stats'])).envelopes.ignored.duplicate ?? 0
    // the same envelope again: gossipsub drops identical bytes, so it goes over the direct stream
    const again = await a.json(['reflect', 'share', shared.id])
    expect(again).toMatchObject({ id: shared.id, shared: true })
    expect(again.recipients + again.direct).toBe(2)
    await eventually(async () => ((await b.json(['stats'])).envelopes.ignored.duplicate ?? 0) > before, { what: 'b saw the duplicate' })

    // b restarts (its validator forgets the id): the re-announce to a new subscriber reaches the
    // store, which keeps the first copy
    await b.stop()
    await b.start()
    await connectDaemons([a, b], 'chain')
    await eventually(async () => (await b.json(['stats'])).reflections.duplicates >= 1, { what: 'b\'s store dedups the re-announce' })
    await a.json(['reflect', 'share', shared.id])
    await sleep(1000)
    for (const d of [b, c]) {
      const list = await swarmList(d)
      expect(list.map((r: any) => r.id)).toEqual([shared.id])
      expect((await d.json(['stats'])).reflections).toMatchObject({ count: 1, swarm: 1 })
    }
    // c's event stream saw it once (b's watcher died with the restart)
    expect(seen[c.nodeId].events).toHaveLength(1)
  })

  it('a node that joins later gets recent shares through a relay, credited to the author', async () => {
    const d = await createDaemon()
    await d.start()
    daemons.push(d)
    await connectDaemons([c, d], 'chain') // d knows only c
    const list = await eventually(async () => { const l = await swarmList(d); return l.length > 0 ? l : undefined }, { what: 'd gets the reflection from c' })
    expect(list).toEqual([expect.objectContaining({ id: shared.id, author: a.nodeId, provenance: [`shared_from_${a.nodeId}`] })])
  })
})

describe('reflections: knowledge queries', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('merges local and remote results, deduplicated, ranked, with provenance', async () => {
    // b's operator serves its local reflections to the federation too (config reflections.serve)
    daemons.push(...await startDaemons([{}, { config: { reflections: { serve: { 'fed:test': 'all' } } } }, {}], 'full'))
    const [a, b, c] = daemons
    expect((await b.json(['status'])).reflections.serve.overrides).toEqual({ 'fed:test': 'all' })
    expect((await b.cli(['status'])).stdout).toContain('LOCAL and shared served to members of fed:test (config reflections.serve)')
    await eventually(async () => (await a.json(['peers'])).length === 2, { what: 'a sees two peers' })

    const local = await a.json(['reflect', 'add', '--description', 'Rotate the trust root with a day of overlap so clients pick up the new key', '--outcome', 'success', '--tag', 'trust-root'])
    const remote = await b.json(['reflect', 'add', '--description', 'Rotate trust root keys offline on an HSM and publish the new root first', '--outcome', 'success'])
    const remoteFail = await b.json(['reflect', 'add', '--description', 'Trust root rotation without any overlap broke all clients', '--outcome', 'failure'])
    await b.json(['reflect', 'add', '--description', 'Tuned the leveldb block cache', '--outcome', 'success'])
    // c shares one: a and b then hold it too, and it must come back once
    const common = await c.json(['reflect', 'add', '--description', 'Rotating the federation trust root: announce it a week ahead', '--outcome', 'success', '--share'])
    for (const d of [a, b]) await eventually(async () => (await swarmList(d)).length === 1, { what: 'the shared reflection arrives' })

    const items: any[] = await a.json(['knowledge', 'rotate', 'trust', 'root'])
    const ids = items.map((i) => i.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.sort()).toEqual([local.id, remote.id, remoteFail.id, common.id].sort())
    for (const i of items) {
      expect(Object.keys(i)).toEqual(expect.arrayContaining(['id', 'description', 'outcome', 'tags', 'score', 'from']))
      expect(i.score).toBeGreaterThan(0)
      expect(i.score).toBeLessThanOrEqual(1)
    }
    const by = Object.fromEntries(items.map((i) => [i.id, i]))
    expect(by[local.id]).toMatchObject({ from: a.nodeId, outcome: 'success', tags: ['trust-root'] })
    expect(by[remote.id]).toMatchObject({ from: b.nodeId, outcome: 'success', description: expect.stringContaining('HSM') })
    expect(by[remoteFail.id]).toMatchObject({ from: b.nodeId, outcome: 'failure' })
    // one entry for the reflection three nodes hold, naming them all
    expect(by[common.id].sources.sort()).toEqual([a.nodeId, b.nodeId, c.nodeId].sort())
    expect(by[common.id].author).toBe(c.nodeId)
    // ranked: scores descending within an outcome, the failure last
    expect(items[items.length - 1].id).toBe(remoteFail.id)
    const successes = items.filter((i) => i.outcome === 'success').map((i) => i.score)
    expect(successes).toEqual([...successes].sort((x, y) => y - x))

    const two: any[] = await a.json(['knowledge', 'rotate', 'trust', 'root', '--limit', '2', '--timeout', '3'])
    expect(two).toHaveLength(2)
    expect(two.every((i) => i.outcome === 'success')).toBe(true)

    // something only a peer knows
    const cache: any[] = await a.json(['knowledge', 'leveldb', 'cache'])
    expect(cache).toEqual([expect.objectContaining({ from: b.nodeId, description: 'Tuned the leveldb block cache' })])
    expect((await b.json(['stats'])).reflections.knowledgeServed).toBeGreaterThanOrEqual(3)
  })
})

describe('reflections: durability', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('every acknowledged add survives kill -9 right after it answered', async () => {
    const d = await createDaemon()
    daemons.push(d)
    await d.start()
    const acked: string[] = []
    let n = 0
    // four writers; the daemon is killed the moment the 12th add is acknowledged, others in flight
    let reached = (): void => {}
    const enough = { promise: new Promise<void>((resolve) => { reached = resolve }), resolve: () => { reached() } }
    const writer = async (w: number): Promise<void> => {
      for (;;) {
        const i = n++
        if (i >= 24) return
        const res = await d.cli(['reflect', 'add', '--description', `crash test reflection ${i} from writer ${w}`, '--outcome', i % 3 === 0 ? 'failure' : 'success', '--tag', `w${w}`, '--json'])
        if (res.code !== 0) return // the daemon is gone
        acked.push(res.json.id)
        if (acked.length === 12) enough.resolve()
      }
    }
    const writers = [0, 1, 2, 3].map(writer)
    await enough.promise
    await d.kill()
    const ackedAtKill = [...acked]
    await Promise.all(writers)
    expect(ackedAtKill.length).toBeGreaterThanOrEqual(12)

    await d.start()
    const list: any[] = await d.json(['reflect', 'list', '--limit', '1000'])
    const stored = new Set(list.map((r) => r.id))
    for (const id of acked) expect(stored.has(id)).toBe(true)
    // the index came back with the records
    const found: any[] = await d.json(['reflect', 'search', 'crash', 'test', '--limit', '200'])
    expect(found.length).toBe(list.length)
    expect((await d.json(['stats'])).reflections).toMatchObject({ count: list.length, local: list.length, swarm: 0 })
    // and the store takes new writes after the crash
    const after = await d.json(['reflect', 'add', '--description', 'written after the restart', '--outcome', 'success'])
    expect((await d.json(['reflect', 'show', after.id])).description).toBe('written after the restart')
  })
})
