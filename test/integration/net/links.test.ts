// Links that hold, on real libp2p nodes (the daemon's assembly): a kept link that the other side
// hangs up is dialled back by the keeper, an unkept one is not; the node's connection maximum
// and connection-monitor settings are the ones swarmd documents.

import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createSwarmNode, MAX_CONNECTIONS, CONNECTION_PING_TIMEOUT_MS, type SwarmLibp2p } from '../../../src/net/node.ts'
import { LinkKeeper } from '../../../src/net/links.ts'
import { Counters } from '../../../src/kernel/counters.ts'

const nodes: SwarmLibp2p[] = []
const keepers: LinkKeeper[] = []
afterEach(async () => {
  for (const k of keepers.splice(0)) k.stop()
  await Promise.all(nodes.splice(0).map(async (n) => await n.stop()))
})

async function node (): Promise<SwarmLibp2p> {
  const n = await createSwarmNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
  await n.start()
  nodes.push(n)
  return n
}

async function until (fn: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) { if (fn()) return true; await new Promise((resolve) => setTimeout(resolve, 25)) }
  return fn()
}

describe('link keeper on libp2p', () => {
  it('dials a kept peer back after it hung up; leaves an unkept one', async () => {
    const [a, b, c] = await Promise.all([node(), node(), node()])
    const counters = new Counters()
    const keeper = new LinkKeeper(a, { counters, backoff: { baseMs: 100, capMs: 1000 } })
    keepers.push(keeper)
    keeper.start()
    await a.dial(b.getMultiaddrs()[0])
    await a.dial(c.getMultiaddrs()[0])
    keeper.keep(b.peerId)
    expect((await a.peerStore.get(b.peerId)).tags.has('swarm-link')).toBe(true)

    // the listener registers an inbound connection a moment after the dialer's dial resolves
    expect(await until(() => b.getConnections(a.peerId).length > 0 && c.getConnections(a.peerId).length > 0)).toBe(true)
    await b.hangUp(a.peerId)
    await c.hangUp(a.peerId)
    // a learns of the hang-up a moment after b made it; then the keeper dials b back
    expect(await until(() => counters.get('links', 'restored') === 1)).toBe(true)
    expect(a.getConnections(b.peerId).length).toBeGreaterThan(0)
    expect(counters.byLabel('links')).toMatchObject({ lost: 1, restored: 1 })
    expect(await until(() => a.getConnections(c.peerId).length === 0)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(a.getConnections(c.peerId).length).toBe(0) // never kept: not redialled
  })

  it('documents its limits', () => {
    expect(MAX_CONNECTIONS).toBeGreaterThanOrEqual(100)
    expect(CONNECTION_PING_TIMEOUT_MS).toBeGreaterThan(5000) // libp2p's 5 s cut links on a busy CPU
  })
})
