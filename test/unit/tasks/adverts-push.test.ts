// Advert pushes at scale: a push floods the whole federation, so in a swarm of more than
// ADVERT_PACE_NODES known nodes a peer that was subscribed when the current advert went out
// (it holds it) gets no push when it relinks; a new peer still does. Small swarms push anyway.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { CapabilityAdverts } from '../../../src/tasks/adverts.ts'
import { PeerDirectory } from '../../../src/net/directory.ts'
import { identityFromSeed } from '../../../src/identity/index.ts'
import { ADVERT_PACE_NODES } from '../../../src/tasks/advert-pace.ts'

const OLD = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const NEW = peerIdFromString('12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq')
const noop = (): void => {}
const log: any = { debug: noop, info: noop, warn: noop, error: noop, child: () => log }

async function setup (known: number): Promise<{ adverts: CapabilityAdverts, published: () => number, connect: (p: typeof OLD) => void }> {
  const listeners = new Map<string, (e: any) => void>()
  let count = 0
  const libp2p: any = {
    addEventListener: (t: string, fn: any) => { listeners.set(t, fn) },
    removeEventListener: noop,
    services: { pubsub: { addEventListener: noop, removeEventListener: noop, getSubscribers: () => [OLD] } }
  }
  const topics: any = { route: noop, subscribe: noop, unsubscribe: noop, publish: async () => { count++ } }
  const directory = new PeerDirectory()
  for (let i = 0; i < known; i++) directory.upsert({ nodeId: `node:${i}`, peerId: `p${i}`, federation: 'fed:t', capabilities: [], taskTypes: [], models: [], languages: [], queueLength: 0, running: 0, sequence: 1, expiresAt: Date.now() + 3_600_000, advert: {} })
  const adverts = new CapabilityAdverts({
    libp2p, topics, identity: await identityFromSeed(new Uint8Array(32).fill(7), 'fed:t'), directory, log,
    intervalMs: 30_000, ttlSec: 90, clockSkewSec: 30, maxEnvelopeBytes: 65536,
    local: () => ({ capabilities: [], taskTypes: [], models: [], languages: [] }) as any,
    load: () => ({ queueLength: 0, running: 0 })
  })
  return { adverts, published: () => count, connect: (p) => { listeners.get('peer:connect')?.(new CustomEvent('peer:connect', { detail: p })) } }
}

describe('advert pushes', () => {
  afterEach(() => { vi.useRealTimers() })

  it('a large swarm pushes for a new peer, not for a relink of one that holds the advert', async () => {
    vi.useFakeTimers()
    const s = await setup(ADVERT_PACE_NODES + 5)
    s.adverts.start()
    await vi.advanceTimersByTimeAsync(10) // the start advert (OLD was subscribed)
    expect(s.published()).toBe(1)
    s.connect(OLD)
    await vi.advanceTimersByTimeAsync(3000)
    expect(s.published()).toBe(1)
    s.connect(NEW)
    await vi.advanceTimersByTimeAsync(3000)
    expect(s.published()).toBe(2)
    s.adverts['running'] = false // stop without the withdrawal's wait
  })

  it('a small swarm pushes on every connect (pushes at least 2 s apart)', async () => {
    vi.useFakeTimers()
    const s = await setup(3)
    s.adverts.start()
    await vi.advanceTimersByTimeAsync(10)
    s.connect(OLD)
    await vi.advanceTimersByTimeAsync(500)
    expect(s.published()).toBe(2)
    s.connect(OLD)
    await vi.advanceTimersByTimeAsync(500)
    expect(s.published()).toBe(2) // within the 2 s gap
    await vi.advanceTimersByTimeAsync(2000)
    expect(s.published()).toBe(3)
    s.adverts['running'] = false
  })
})
