// The daemon's view of its network: how it is reached (public, behind NAT through a relay,
// direct after a punch) for `swarm status`, `swarm stats` and `swarm peers`, and the
// `bootstrap.*` control methods (a running daemon dials a new bootstrap peer at once; the CLI
// persists the list in config.json).

import { multiaddr } from '@multiformats/multiaddr'
import type { Connection } from '@libp2p/interface'
import { SwarmError, UsageError, withTimeout } from '../errors.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import type { SwarmLibp2p } from './node.ts'
import { connectionPath, probe, type ConnectionPath } from './punch.ts'
import type { Reachability } from './reach-rules.ts'
import { handle } from '../control/methods/index.ts'

/** What `swarm status` says: public, behind NAT (with a relay or not yet), or not known yet. */
export type NetworkMode = 'public' | 'behind-nat-relayed' | 'behind-nat' | 'unknown'

export interface NetworkStatus {
  reachability: Reachability
  mode: NetworkMode
  /** Peer ids of the relays holding a reservation for us. */
  relays: string[]
  connections: Record<ConnectionPath, number>
  punch: { attempts: number, succeeded: number, failed: number }
}

/** Pure: the mode from reachability and the relays we hold. */
export function networkMode (reachability: Reachability, relays: number): NetworkMode {
  if (reachability === 'public') return 'public'
  if (reachability === 'private') return relays > 0 ? 'behind-nat-relayed' : 'behind-nat'
  return relays > 0 ? 'behind-nat-relayed' : 'unknown'
}

/** Relay peer ids from our own circuit addresses (`/…/p2p/RELAY/p2p-circuit/p2p/US`). */
export function relaysOf (addrs: string[]): string[] {
  const out = new Set<string>()
  for (const a of addrs) {
    const m = /\/p2p\/([^/]+)\/p2p-circuit/.exec(a)
    if (m !== null) out.add(m[1])
  }
  return [...out]
}

export function networkStatus (libp2p: SwarmLibp2p): NetworkStatus {
  const connections: Record<ConnectionPath, number> = { direct: 0, relayed: 0, punched: 0 }
  for (const conn of libp2p.getConnections()) if (conn.status === 'open') connections[connectionPath(conn.remoteAddr)]++
  const relays = relaysOf(libp2p.getMultiaddrs().map((a) => a.toString()))
  const reachability = libp2p.services.reach?.reachability ?? 'unknown'
  const p = libp2p.services.punch?.stats
  return {
    reachability,
    mode: networkMode(reachability, relays.length),
    relays,
    connections,
    punch: { attempts: p?.attempts ?? 0, succeeded: p?.succeeded ?? 0, failed: p?.failed ?? 0 }
  }
}

/** The way each connection to a peer goes: the best one wins (punched, then direct, then relayed). */
export function peerPaths (conns: Connection[]): Map<string, ConnectionPath> {
  const rank: Record<ConnectionPath, number> = { relayed: 0, direct: 1, punched: 2 }
  const out = new Map<string, ConnectionPath>()
  for (const c of conns) {
    if (c.status !== 'open') continue
    const id = c.remotePeer.toString()
    const path = connectionPath(c.remoteAddr)
    const prev = out.get(id)
    if (prev === undefined || rank[path] > rank[prev]) out.set(id, path)
  }
  return out
}

/** The last /p2p/ component of a multiaddr (its peer). */
export function peerOf (ma: ReturnType<typeof multiaddr>): string | undefined {
  return ma.getComponents().filter((c) => c.name === 'p2p').at(-1)?.value
}

function parseAddress (value: unknown): ReturnType<typeof multiaddr> {
  if (typeof value !== 'string') throw new UsageError('needs a multiaddr')
  try {
    const ma = multiaddr(value)
    if (peerOf(ma) === undefined) throw new Error('no /p2p/<peer id> at the end')
    return ma
  } catch (err: any) {
    throw new UsageError(`not a bootstrap multiaddr: ${value} (${err.message as string})`)
  }
}

export class NetService implements SwarmService {
  readonly name = 'net'
  private readonly c: Pick<SwarmComponents, 'libp2p' | 'control' | 'config'>
  private readonly added = new Set<string>()

  constructor (c: Pick<SwarmComponents, 'libp2p' | 'control' | 'config'>) {
    this.c = c
  }

  async start (): Promise<void> {
    const { control, libp2p } = this.c
    handle(control, 'network', async () => networkStatus(this.c.libp2p))
    handle(control, 'network.punch', async (params, ctx) => await this.punchAgain(params.peerId, ctx.signal))
    handle(control, 'bootstrap.list', async () => ({ configured: this.c.config.bootstrap, added: [...this.added] }))
    handle(control, 'bootstrap.add', async (params, ctx) => {
      const ma = parseAddress(params.address)
      this.added.add(ma.toString())
      try {
        const conn = await libp2p.dial(ma, { signal: withTimeout(ctx.signal, 15_000) })
        // keep the bootstrap peer: the connection manager prunes untagged strangers first
        await libp2p.peerStore.merge(conn.remotePeer, { tags: { 'swarm-bootstrap': { value: 50 } } })
        return { address: ma.toString(), peerId: conn.remotePeer.toString(), connected: true }
      } catch (err: any) {
        throw new SwarmError('dial-failed', `could not connect to ${ma.toString()}: ${err.message as string}`)
      }
    })
    handle(control, 'bootstrap.remove', async (params) => {
      const ma = parseAddress(params.address)
      const removed = this.added.delete(ma.toString())
      const peer = peerOf(ma)
      if (peer !== undefined) {
        const { peerIdFromString } = await import('@libp2p/peer-id')
        await libp2p.peerStore.merge(peerIdFromString(peer), { tags: { 'swarm-bootstrap': undefined } }).catch(() => {})
      }
      return { address: ma.toString(), removed }
    })
  }

  /**
   * Starts a punch to a peer over again from its relay (the direct connection is hung up first):
   * what `npm run bench` measures, and a way to retry after the NAT changed.
   */
  private async punchAgain (peerIdText: unknown, signal: AbortSignal): Promise<{ peerId: string, direct: boolean, relayedMs: number, ms: number }> {
    const { libp2p } = this.c
    if (typeof peerIdText !== 'string') throw new UsageError('network.punch needs a peerId')
    const puncher = libp2p.services.punch
    if (puncher === undefined) throw new SwarmError('punch-off', 'hole punching is off (nat.holePunch)')
    const { peerIdFromString } = await import('@libp2p/peer-id')
    let peer: ReturnType<typeof peerIdFromString>
    try { peer = peerIdFromString(peerIdText) } catch { throw new UsageError(`not a peer id: ${peerIdText}`) }
    const open = (path: ConnectionPath): Connection[] => libp2p.getConnections(peer).filter((c) => c.status === 'open' && connectionPath(c.remoteAddr) === path)
    for (const c of libp2p.getConnections(peer)) if (connectionPath(c.remoteAddr) !== 'relayed') await c.close().catch(() => {})
    const t0 = Date.now()
    let relayed = open('relayed')[0]
    if (relayed === undefined) {
      const known = await libp2p.peerStore.get(peer).catch(() => undefined)
      const stored = known?.addresses.map((a) => a.multiaddr).find((ma) => connectionPath(ma) === 'relayed')
      // the peer store keeps a peer's addresses without its own /p2p/ suffix
      const via = stored === undefined ? undefined : peerOf(stored) === peerIdText ? stored : stored.encapsulate(`/p2p/${peerIdText}`)
      if (via === undefined) throw new SwarmError('no-relay-address', `no relay address known for ${peerIdText}`)
      // force: a direct connection the peer is still closing must not be handed back
      relayed = await libp2p.dial(via, { signal: withTimeout(signal, 15_000), force: true })
    }
    const relayedMs = Date.now() - t0
    const t1 = Date.now()
    // either side may punch (each upgrades the relayed connections it dialled): wait for a
    // direct connection that carries a ping, whoever made it
    if (connectionPath(relayed.remoteAddr) === 'relayed') await puncher.upgrade(relayed)
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && !signal.aborted) {
      for (const c of open('punched')) {
        if (await probe(c, AbortSignal.timeout(3000))) return { peerId: peerIdText, direct: true, relayedMs, ms: Date.now() - t1 }
      }
      if (open('relayed').length > 0 && !puncher.busy(peerIdText)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return { peerId: peerIdText, direct: false, relayedMs, ms: Date.now() - t1 }
  }

  async stop (): Promise<void> {}

  /** Joins `swarm status`: public / behind NAT with a relay / direct after a punch (docs/network.md). */
  status (): { network: NetworkStatus } { return { network: networkStatus(this.c.libp2p) } }

  stats (): Record<string, unknown> {
    const rendezvous = this.c.libp2p.services.rendezvous
    return {
      network: {
        ...networkStatus(this.c.libp2p),
        reachabilityAnswers: this.c.libp2p.services.reach?.answersByPeer.length ?? 0,
        rendezvous: rendezvous?.stats() ?? {},
        timing: { firstPeerMs: rendezvous?.firstPeerMs ?? null, firstMemberMs: rendezvous?.firstMemberMs ?? null, punchMs: this.c.libp2p.services.punch?.timesMs.slice(-20) ?? [] }
      }
    }
  }
}
