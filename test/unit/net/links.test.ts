// The link keeper: a kept link that drops is dialled again with jittered exponential backoff
// until it is back or the keeper gives up; unkept peers are left alone; the set is bounded.

import { afterEach, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { peerIdFromString } from '@libp2p/peer-id'
import { LinkKeeper, redialDelay, LINK_TAG } from '../../../src/net/links.ts'
import { Counters } from '../../../src/kernel/counters.ts'

const A = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const B = peerIdFromString('12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq')

class StubNode {
  private readonly listeners = new Set<(e: CustomEvent) => void>()
  connected = new Set<string>()
  dials: string[] = []
  failDials = 0
  tags = new Map<string, unknown>()
  peerStore = { merge: async (peer: any, data: any) => { this.tags.set(peer.toString(), data.tags[LINK_TAG]) } }
  async dial (peer: any): Promise<void> {
    this.dials.push(peer.toString())
    if (this.failDials > 0) { this.failDials--; throw new Error('refused') }
    this.connected.add(peer.toString())
  }
  getConnections (peer?: any): unknown[] { return peer !== undefined && this.connected.has(peer.toString()) ? [{}] : [] }
  addEventListener (_t: string, fn: any): void { this.listeners.add(fn) }
  removeEventListener (_t: string, fn: any): void { this.listeners.delete(fn) }
  drop (peer: any): void {
    this.connected.delete(peer.toString())
    for (const l of this.listeners) l(new CustomEvent('peer:disconnect', { detail: peer }))
  }
}

describe('redialDelay', () => {
  it('stays within [base·2^n / 2, min(cap, base·2^n)] and never decreases in its upper bound', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
      const d = redialDelay(attempt, r, { baseMs: 1000, capMs: 60_000 })
      const top = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 30))
      return d >= Math.floor(top / 2) && d <= top
    }))
  })
  it('spreads nodes that lost links together (jitter)', () => {
    expect(redialDelay(3, 0)).toBe(4000)
    expect(redialDelay(3, 0.999)).toBeGreaterThan(7900)
  })
})

describe('LinkKeeper', () => {
  afterEach(() => { vi.useRealTimers() })

  it('redials a kept link with backoff until it is back, and counts it', async () => {
    vi.useFakeTimers()
    const node = new StubNode()
    const counters = new Counters()
    const keeper = new LinkKeeper(node as any, { counters, rand: () => 0, backoff: { baseMs: 100, capMs: 1000 } })
    keeper.start()
    keeper.keep(A)
    expect(node.tags.get(A.toString())).toEqual({ value: 100 })
    node.connected.add(A.toString())
    node.failDials = 2
    node.drop(A)
    await vi.advanceTimersByTimeAsync(50) // first try after 50 ms (100 × jitter 0.5)
    expect(node.dials).toEqual([A.toString()])
    await vi.advanceTimersByTimeAsync(100) // then 100 ms
    expect(node.dials.length).toBe(2)
    await vi.advanceTimersByTimeAsync(200) // then 200 ms: this one succeeds
    expect(node.dials.length).toBe(3)
    expect(node.connected.has(A.toString())).toBe(true)
    expect(counters.byLabel('links')).toMatchObject({ lost: 1, redials: 3, restored: 1 })
    expect(keeper.stats()).toMatchObject({ kept: 1, pending: 0 })
    keeper.stop()
  })

  it('leaves unkept peers alone and skips the dial when the peer dialled back first', async () => {
    vi.useFakeTimers()
    const node = new StubNode()
    const keeper = new LinkKeeper(node as any, { rand: () => 0 })
    keeper.start()
    node.drop(B)
    keeper.keep(A)
    node.drop(A)
    node.connected.add(A.toString()) // A came back on its own
    await vi.advanceTimersByTimeAsync(5000)
    expect(node.dials).toEqual([])
    keeper.stop()
  })

  it('gives up after maxAttempts and forgets the link', async () => {
    vi.useFakeTimers()
    const node = new StubNode()
    const counters = new Counters()
    const keeper = new LinkKeeper(node as any, { counters, rand: () => 0, maxAttempts: 3, backoff: { baseMs: 10, capMs: 10 } })
    keeper.start()
    keeper.keep(A)
    node.failDials = 100
    node.drop(A)
    await vi.advanceTimersByTimeAsync(1000)
    expect(node.dials.length).toBe(3)
    expect(counters.get('links', 'givenUp')).toBe(1)
    expect(keeper.size).toBe(0)
    keeper.stop()
  })

  it('is bounded: keeping more than maxKept forgets the oldest', () => {
    const node = new StubNode()
    const keeper = new LinkKeeper(node as any, { maxKept: 1 })
    keeper.keep(A)
    keeper.keep(B)
    expect(keeper.stats()).toMatchObject({ kept: 1, max: 1, evicted: 1 })
  })
})
