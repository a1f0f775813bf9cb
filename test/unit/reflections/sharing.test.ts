import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { ReflectionStore } from '../../../src/reflections/store.ts'
import { ReflectionSharing } from '../../../src/reflections/sharing.ts'
import { identityFromSeed, type Identity } from '../../../src/identity/index.ts'
import { buildReflection } from '../../../src/envelope/index.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { SwarmEvents, type SwarmEvent } from '../../../src/kernel/events.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'

let dir: string
let db: SwarmDb
let store: ReflectionStore
let me: Identity
let peer: Identity
let sharing: ReflectionSharing
let events: SwarmEvent[]

const seed = (b: number): Uint8Array => new Uint8Array(32).fill(b)
const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
const content = { category: 'security', description: 'Rotated the trust root with overlap', outcome: 'success' as const, recommendations: ['a day of overlap'], tags: ['trust-root'] }

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-sharing-'))
  db = await openDb(join(dir, 'db'))
  store = new ReflectionStore(db)
  me = await identityFromSeed(seed(1), 'fed:test')
  peer = await identityFromSeed(seed(2), 'fed:test')
  const bus = new SwarmEvents()
  events = []
  bus.on((e) => { events.push(e) })
  // judge and integrate need no network: the stubs are never touched
  sharing = new ReflectionSharing({ identity: me, libp2p: {} as any, topics: {} as any, events: bus, counters: new Counters(), log: silentLogger, store, clockSkewSec: 30 })
})

afterEach(async () => {
  await db.close().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

describe('reflection topic validator', () => {
  it('accepts a peer\'s signed success and imports it once, with provenance and an event', async () => {
    const env = buildReflection(peer, content)
    const verdict = await sharing.judge(enc(env))
    expect(verdict.action).toBe('accept')
    if (verdict.action !== 'accept') return
    expect(verdict.value.from).toBe(peer.nodeId)
    expect(await sharing.integrate(verdict.value)).toBe(true)
    expect(await sharing.integrate(verdict.value)).toBe(false) // a second delivery: stored once
    const stored = await store.get(env.id)
    expect(stored).toMatchObject({ id: env.id, source: 'swarm', author: peer.nodeId, provenance: [`shared_from_${peer.nodeId}`], signature: env.signature.value })
    expect(stored?.tags).toContain(`shared_from_${peer.nodeId}`)
    expect(events.map((e) => [e.type, e.id, e.from])).toEqual([['reflection:integrated', env.id, peer.nodeId]])
    expect(sharing.numbers).toMatchObject({ integrated: 1, duplicates: 1 })
    // the same bytes again are a duplicate to the validator
    expect(await sharing.judge(enc(env))).toMatchObject({ action: 'ignore', reason: 'duplicate' })
  })

  it('a push is charged per author as gossip is: past the author\'s burst its reflections are ignored, another author\'s still taken', async () => {
    const paced = new ReflectionSharing({ identity: me, libp2p: {} as any, topics: {} as any, events: new SwarmEvents(), counters: new Counters(), log: silentLogger, store, clockSkewSec: 30, pushRate: { ratePerSec: 0.001, burst: 3 } })
    const push = async (envs: unknown[], from: string): Promise<any> => await (paced as any).onPush(enc({ envelopes: envs.map((e) => JSON.stringify(e)) }), from)
    const flood = Array.from({ length: 5 }, (_, i) => buildReflection(peer, { ...content, description: `${content.description} ${i}` }))
    expect(await push(flood, 'peer-a')).toMatchObject({ accepted: 3, ignored: 2 })
    const other = await identityFromSeed(seed(3), 'fed:test')
    expect(await push([buildReflection(other, content)], 'peer-b')).toMatchObject({ accepted: 1, stored: 1 })
    // one peer pushing reflections signed by fresh keys is charged as the pusher too
    const fresh = await Promise.all(Array.from({ length: 5 }, async (_, i) => buildReflection(await identityFromSeed(seed(10 + i), 'fed:test'), content)))
    expect(await push(fresh, 'peer-c')).toMatchObject({ accepted: 3, ignored: 2 })
  })

  it('never imports its own reflection', async () => {
    expect(await sharing.judge(enc(buildReflection(me, content)))).toMatchObject({ action: 'ignore', reason: 'own' })
  })

  it('rejects failures, other federations, forgeries, bad records and garbage', async () => {
    expect(await sharing.judge(enc(buildReflection(peer, { ...content, outcome: 'failure' })))).toMatchObject({ action: 'reject', reason: 'not-shareable' })
    const outsider = await identityFromSeed(seed(3), 'fed:other')
    expect(await sharing.judge(enc(buildReflection(outsider, content)))).toMatchObject({ action: 'reject', reason: 'wrong-scope' })
    const forged = { ...buildReflection(peer, content), description: 'something else' }
    expect(await sharing.judge(enc(forged))).toMatchObject({ action: 'reject', reason: 'bad-signature' })
    // valid envelope, but a tag the store refuses (over 64 characters)
    expect(await sharing.judge(enc(buildReflection(peer, { ...content, tags: ['x'.repeat(100)] })))).toMatchObject({ action: 'reject', reason: 'bad-reflection' })
    expect(await sharing.judge(new TextEncoder().encode('not json'))).toMatchObject({ action: 'reject', reason: 'bad-json' })
    expect(await sharing.judge(enc({ type: 'swarm/vote' }))).toMatchObject({ action: 'reject' })
  })

  it('refuses to share a failure or an unsigned reflection, with the reason', async () => {
    const failed = await store.add({ description: 'it broke', outcome: 'failed' }, me.nodeId)
    await expect(sharing.share(failed)).rejects.toMatchObject({ code: 'not-shareable', detail: { id: failed.id, outcome: 'failure' } })
    const unsigned = await store.add({ description: 'no envelope', outcome: 'success' }, me.nodeId)
    await expect(sharing.share(unsigned)).rejects.toMatchObject({ code: 'not-shareable', message: expect.stringContaining('envelope') })
  })
})
