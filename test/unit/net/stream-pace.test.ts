// A node's own gated streams to one peer leave on that peer's schedule (the own-pace share of its
// per-peer stream rate), each peer on its own; other protocols dial at once; an abort while a
// stream waits fails it without dialling, and a stop fails whatever waits.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { TokenBuckets } from '../../../src/federation/token-bucket.ts'
import { paceOutboundStreams } from '../../../src/net/stream-pace.ts'
import { multiaddr } from '@multiformats/multiaddr'

const GATED = new Set(['/swarm/history/1.0.0', '/swarm/blob/1.0.0'])
const RATE = { ratePerSec: 10, burst: 5 }

function fakeNode (now: () => number) {
  const dialled: Array<{ peer: string, protocol: string, at: number }> = []
  const node = {
    dialProtocol: async (peer: any, protocols: string | string[], _options?: { signal?: AbortSignal }) => {
      dialled.push({ peer: String(peer), protocol: String(protocols), at: now() })
      return { peer: String(peer) }
    }
  }
  return { node, dialled }
}

describe('stream pace', () => {
  afterEach(() => { vi.useRealTimers() })

  it('gated streams to one peer never outrun its bucket; other peers and other protocols are not held', async () => {
    vi.useFakeTimers()
    let t = 0
    const { node, dialled } = fakeNode(() => t)
    const pace = paceOutboundStreams(node, { protocols: GATED, perPeer: RATE, now: () => t })
    const all = [
      ...Array.from({ length: 30 }, async () => await node.dialProtocol('peer-a', '/swarm/history/1.0.0')),
      ...Array.from({ length: 3 }, async () => await node.dialProtocol('peer-b', '/swarm/blob/1.0.0')),
      ...Array.from({ length: 10 }, async () => await node.dialProtocol('peer-a', '/ipfs/ping/1.0.0'))
    ]
    await Promise.resolve()
    // peer b's three and the ungated ten go at once, beside peer a's burst
    expect(dialled.filter((d) => d.peer === 'peer-b')).toHaveLength(3)
    expect(dialled.filter((d) => d.protocol === '/ipfs/ping/1.0.0')).toHaveLength(10)
    expect(pace.stats().waiting).toBeGreaterThan(0)
    for (let i = 0; i < 60; i++) { t += 100; await vi.advanceTimersByTimeAsync(100) }
    await Promise.all(all)
    // peer a's own bucket (the receiver's rule) admits every one of its streams as dialled
    let now = 0
    const bucket = new TokenBuckets(RATE, { now: () => now })
    for (const d of dialled.filter((x) => x.peer === 'peer-a' && x.protocol !== '/ipfs/ping/1.0.0')) {
      now = d.at
      expect(bucket.take('peer-a')).toBe(true)
    }
    expect(pace.stats()).toMatchObject({ peers: 2, sent: 33, waiting: 0 })
    expect(pace.stats().delayed).toBeGreaterThan(0)
  })

  it('a peer named by a multiaddr shares its pace; a timeout while waiting says timeout; bulk streams wait behind the rest', async () => {
    vi.useFakeTimers()
    let t = 0
    const { node, dialled } = fakeNode(() => t)
    paceOutboundStreams(node, { protocols: GATED, bulk: new Set(['/swarm/blob/1.0.0']), perPeer: { ratePerSec: 1, burst: 1 }, now: () => t })
    const id = '12D3KooWGRUVh6xcTtwrg1zqqKo5HFowm1rTrwhVo2dFYUfS5a8a'
    await node.dialProtocol(id, '/swarm/history/1.0.0')
    // the same peer by its address: no second burst
    const ac = new AbortController()
    const timedOut = node.dialProtocol(multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${id}`), '/swarm/history/1.0.0', { signal: ac.signal })
    await Promise.resolve()
    expect(dialled).toHaveLength(1)
    // what AbortSignal.timeout() aborts with
    ac.abort(new DOMException('signal timed out', 'TimeoutError'))
    await expect(timedOut).rejects.toMatchObject({ code: 'timeout' })
    const order: string[] = []
    const bulk = node.dialProtocol(id, '/swarm/blob/1.0.0').then(() => { order.push('blob') })
    const vote = node.dialProtocol(id, '/swarm/history/1.0.0').then(() => { order.push('history') })
    for (let i = 0; i < 40; i++) { t += 100; await vi.advanceTimersByTimeAsync(100) }
    await Promise.all([bulk, vote])
    expect(order).toEqual(['history', 'blob'])
    expect(dialled).toHaveLength(3)
  })

  it('an abort while waiting fails the stream undialled; a stop fails what waits and lets later ones through', async () => {
    vi.useFakeTimers()
    const t = 0
    const { node, dialled } = fakeNode(() => t)
    const pace = paceOutboundStreams(node, { protocols: GATED, perPeer: { ratePerSec: 1, burst: 1 }, now: () => t })
    await node.dialProtocol('p', '/swarm/history/1.0.0')
    const ac = new AbortController()
    const aborted = node.dialProtocol('p', '/swarm/history/1.0.0', { signal: ac.signal })
    const stopped = node.dialProtocol('p', '/swarm/history/1.0.0')
    ac.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' })
    pace.stop()
    await expect(stopped).rejects.toMatchObject({ code: 'aborted' })
    expect(dialled).toHaveLength(1)
    // stopping: a dial made now is not held (the daemon's own shutdown may still need one)
    await node.dialProtocol('p', '/swarm/history/1.0.0')
    expect(dialled).toHaveLength(2)
  })
})
