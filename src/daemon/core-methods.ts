// Control methods every daemon has: status, id, peers, connect, ping, stats, stop, config,
// events. The service-specific ones are registered by each service at start.

import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { SwarmError, UsageError, withTimeout } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import { peerPaths } from '../net/service.ts'
import { handle } from '../control/methods/index.ts'
import type { LinkKeeper } from '../net/links.ts'
import { MAX_CONNECTIONS } from '../net/node.ts'

export interface CoreMethodsInit {
  startedAt: number
  requestStop: () => void
  /** The running services: their `status()` and `stats()` are merged into the answers. */
  services: () => readonly SwarmService[]
  /** Keeps the links the operator makes with `connect` (redialled when they drop). */
  links?: LinkKeeper
  /** More numbers for `stats` (the stream gate's limits, the reputation book's cache). */
  limits?: () => Record<string, unknown>
}

export function uptimeSec (startedAt: number): number {
  return Math.round((Date.now() - startedAt) / 1000)
}

export function registerCoreMethods (c: Pick<SwarmComponents, 'control' | 'libp2p' | 'identity' | 'topics' | 'counters' | 'config' | 'events' | 'directory'>, init: CoreMethodsInit): void {
  const { control, libp2p, identity } = c

  const addresses = (): string[] => libp2p.getMultiaddrs().map((a) => a.toString())

  handle(control, 'status', async () => {
    const out: Record<string, unknown> = {
      running: true,
      pid: process.pid,
      nodeId: identity.nodeId,
      peerId: identity.peerId.toString(),
      uptimeSec: uptimeSec(init.startedAt)
    }
    for (const svc of init.services()) Object.assign(out, svc.status?.())
    return out
  })

  handle(control, 'id', async () => ({
    nodeId: identity.nodeId,
    peerId: identity.peerId.toString(),
    pubkey: identity.pubkey,
    federation: identity.federation,
    addresses: addresses()
  }))

  handle(control, 'peers', async () => {
    const byPeer = new Map<string, string[]>()
    for (const conn of libp2p.getConnections()) {
      const id = conn.remotePeer.toString()
      const list = byPeer.get(id) ?? []
      list.push(conn.remoteAddr.toString())
      byPeer.set(id, list)
    }
    const paths = peerPaths(libp2p.getConnections())
    return [...byPeer].map(([peerId, addrs]) => {
      const nodeId = nodeIdFromPeerId(peerId)
      const connection = paths.get(peerId) ?? 'direct'
      return nodeId === undefined ? { peerId, addresses: addrs, connection } : { peerId, nodeId, addresses: addrs, connection }
    })
  })

  handle(control, 'connect', async (params, ctx) => {
    let ma
    try { ma = multiaddr(params.address) } catch (err: any) { throw new UsageError(`not a multiaddr: ${params.address} (${err.message as string})`) }
    try {
      const conn = await libp2p.dial(ma, { signal: withTimeout(ctx.signal, 15_000) })
      init.links?.keep(conn.remotePeer)
      return { peerId: conn.remotePeer.toString(), nodeId: nodeIdFromPeerId(conn.remotePeer) ?? null, address: conn.remoteAddr.toString() }
    } catch (err: any) {
      throw new SwarmError('dial-failed', `could not connect to ${params.address}: ${err.message as string}`)
    }
  })

  handle(control, 'ping', async (params, ctx) => {
    let peer
    try { peer = peerIdFromString(params.peerId) } catch { throw new UsageError(`not a peer id: ${params.peerId}`) }
    const count = params.count ?? 1
    const rtts: number[] = []
    for (let i = 0; i < count; i++) {
      try {
        rtts.push(await libp2p.services.ping.ping(peer, { signal: withTimeout(ctx.signal, 10_000) }))
      } catch (err: any) {
        throw new SwarmError('ping-failed', `ping ${params.peerId} failed: ${err.message as string}`)
      }
    }
    return { peerId: params.peerId, rttMs: rtts }
  })

  handle(control, 'stats', async () => {
    const out: Record<string, unknown> = {
      nodeId: identity.nodeId,
      peerId: identity.peerId.toString(),
      federation: identity.federation,
      uptimeSec: uptimeSec(init.startedAt),
      peers: { connected: new Set(libp2p.getConnections().map((x) => x.remotePeer.toString())).size },
      capabilities: [],
      topics: c.topics.topics(),
      envelopes: {
        accepted: c.counters.byLabel('envelopes.accepted'),
        rejected: c.counters.byLabel('envelopes.rejected'),
        ignored: c.counters.byLabel('envelopes.ignored'),
        // copies refused before judgement whose id gossipsub was made to forget (src/net/refused-copies.ts)
        unseen: c.counters.byLabel('envelopes.unseen')
      },
      links: init.links?.stats() ?? {},
      limits: {
        connections: { open: libp2p.getConnections().length, max: MAX_CONNECTIONS },
        directory: { entries: c.directory.size, max: c.directory.max, evicted: c.directory.evicted },
        ...init.limits?.()
      },
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed, activeResources: process.getActiveResourcesInfo().length }
    }
    for (const svc of init.services()) {
      const s = svc.stats?.()
      if (s !== undefined) Object.assign(out, s)
    }
    return out
  })

  handle(control, 'config.show', async () => c.config)

  handle(control, 'stop', async () => {
    // Reply first, then stop: the client is waiting for this answer.
    setImmediate(init.requestStop)
    return { stopping: true, pid: process.pid }
  })

  handle(control, 'events', async (params, ctx) => {
    const types = params.types !== undefined && params.types.length > 0 ? new Set(params.types) : undefined
    await new Promise<void>((resolve) => {
      c.events.until(ctx.signal, (event) => {
        if (types === undefined || types.has(event.type)) ctx.notify(event)
      })
      // First line: the stream is live, so a script can act knowing it will see what follows.
      if (types === undefined || types.has('events:subscribed')) ctx.notify({ type: 'events:subscribed', at: new Date().toISOString() })
      ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
    })
    return null
  })
}
