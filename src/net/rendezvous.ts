// Federation rendezvous on the swarm's own DHT: a node provides one key per federation it
// serves and one for the global scope, and keeps a target number of connections to the other
// providers of each, found through whichever peer it is connected to. Found members are tagged
// so the connection manager prunes strangers first. Provider records are only claims: closed
// federations still check membership at the door (federation/admission.ts).

import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import type { ComponentLogger, Connection, IdentifyResult, Libp2pEvents, Logger, PeerId, PeerInfo, Startable, TypedEventTarget } from '@libp2p/interface'
import { remoteAddresses } from './addresses.ts'

/** The DHT protocol: swarmd's own, so its records never mix with the public IPFS DHT. */
export const PROTOCOL_DHT = '/swarm/kad/1.0.0'
const RAW_CODEC = 0x55
/** Tag on peers found as members: the connection manager prunes lower-valued peers first. */
export const FEDERATION_TAG = 'swarm-federation'

/** The rendezvous key of a scope: a federation id (`fed:x`) or `global`. */
export async function rendezvousKey (scope: string): Promise<CID> {
  return CID.createV1(RAW_CODEC, await sha256.digest(new TextEncoder().encode(`swarm/rendezvous/v1/${scope}`)))
}

export interface RendezvousInit {
  /** Federations this node serves; `global` is added when the node serves the global scope. */
  scopes: string[]
  /** Connections wanted per scope. */
  peersPerScope: number
  /** How often to look again while below target, and once satisfied. */
  searchIntervalMs?: number
  idleIntervalMs?: number
}

export interface ScopeStats { key: string, connected: number, found: number, dialed: number, failed: number }

export interface RendezvousComponents {
  peerId: PeerId
  contentRouting: { provide: (cid: CID, o?: any) => Promise<void>, findProviders: (cid: CID, o?: any) => AsyncIterable<PeerInfo> }
  connectionManager: { openConnection: (p: any, o?: any) => Promise<Connection>, getConnections: (p?: PeerId) => Connection[] }
  peerStore: { merge: (p: PeerId, d: any) => Promise<unknown> }
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export class RendezvousService implements Startable {
  private readonly c: RendezvousComponents
  private readonly init: RendezvousInit
  private readonly log: Logger
  private readonly keys = new Map<string, CID>()
  private readonly members = new Map<string, Set<string>>()
  private readonly scopeStats = new Map<string, ScopeStats>()
  private timer?: ReturnType<typeof setTimeout>
  private provideTimer?: ReturnType<typeof setTimeout>
  private running?: Promise<void>
  private controller = new AbortController()
  private startedAt = 0
  /** Milliseconds from start until a connection to the first member found (bench figure). */
  firstMemberMs?: number
  /** Milliseconds from start until the first connection to any peer (the bench's baseline). */
  firstPeerMs?: number
  private started = false
  private dialable = false

  constructor (components: RendezvousComponents, init: RendezvousInit) {
    this.c = components
    this.init = init
    this.log = components.logger.forComponent('swarm:net:rendezvous')
    this.onIdentify = this.onIdentify.bind(this)
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
    this.onConnection = this.onConnection.bind(this)
    this.onPeerUpdate = this.onPeerUpdate.bind(this)
  }

  private onConnection (): void { this.firstPeerMs ??= Date.now() - this.startedAt }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    this.controller = new AbortController()
    this.startedAt = Date.now()
    for (const scope of this.init.scopes) {
      const key = await rendezvousKey(scope)
      this.keys.set(scope, key)
      this.members.set(scope, new Set())
      this.scopeStats.set(scope, { key: key.toString(), connected: 0, found: 0, dialed: 0, failed: 0 })
    }
    this.c.events.addEventListener('peer:identify', this.onIdentify)
    this.c.events.addEventListener('self:peer:update', this.onSelfUpdate)
    this.c.events.addEventListener('connection:open', this.onConnection)
    this.c.events.addEventListener('peer:update', this.onPeerUpdate as any)
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    this.controller.abort()
    clearTimeout(this.timer)
    clearTimeout(this.provideTimer)
    this.c.events.removeEventListener('peer:identify', this.onIdentify)
    this.c.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    this.c.events.removeEventListener('connection:open', this.onConnection)
    this.c.events.removeEventListener('peer:update', this.onPeerUpdate as any)
    await this.running?.catch(() => {})
  }

  /** Per scope: connected members, found, dialed, failed (`swarm stats`). */
  stats (): Record<string, ScopeStats> {
    for (const [scope, s] of this.scopeStats) s.connected = this.connectedMembers(scope)
    return Object.fromEntries(this.scopeStats)
  }

  /** A peer started serving the DHT (it found it is public): provide and search now. */
  private onPeerUpdate (evt: CustomEvent<{ peer: { protocols: string[] }, previous?: { protocols: string[] } }>): void {
    if (!evt.detail.peer.protocols.includes(PROTOCOL_DHT) || (evt.detail.previous?.protocols ?? []).includes(PROTOCOL_DHT)) return
    this.scheduleProvide(50)
    this.schedule(50)
  }

  /** A DHT peer appeared: provide and search now rather than at the next tick. */
  private onIdentify (evt: CustomEvent<IdentifyResult>): void {
    if (!evt.detail.protocols.includes(PROTOCOL_DHT)) return
    this.scheduleProvide(50)
    this.schedule(50)
  }

  /** Our addresses changed (a relay reservation, a mapped port): providers must learn them. */
  private onSelfUpdate (): void { this.scheduleProvide(500) }

  private scheduleProvide (ms: number): void {
    if (!this.started) return
    clearTimeout(this.provideTimer)
    this.provideTimer = setTimeout(() => { void this.provideAll() }, ms)
    this.provideTimer.unref?.()
  }

  private schedule (ms: number): void {
    if (!this.started) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      if (this.running !== undefined) { this.schedule(200); return }
      this.running = this.tick().finally(() => {
        this.running = undefined
        const satisfied = [...this.keys.keys()].every((s) => this.connectedMembers(s) >= this.init.peersPerScope)
        // satisfied, or nobody found that could be dialled: look again less often
        this.schedule(satisfied ? (this.init.idleIntervalMs ?? 60_000) : this.dialable ? (this.init.searchIntervalMs ?? 5_000) : 15_000)
      })
    }, ms)
    this.timer.unref?.()
  }

  async provideAll (): Promise<void> {
    for (const [scope, key] of this.keys) {
      if (this.controller.signal.aborted) return
      try {
        await this.c.contentRouting.provide(key, { signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(15_000)]) })
        this.log('provided %s', scope)
      } catch (err: any) {
        this.log('could not provide %s: %s', scope, err?.message)
      }
    }
  }

  private connectedMembers (scope: string): number {
    let n = 0
    for (const peer of this.members.get(scope) ?? []) {
      if (this.c.connectionManager.getConnections().some((x) => x.remotePeer.toString() === peer && x.status === 'open')) n++
    }
    return n
  }

  /** One search round: for each scope below target, find providers and dial the missing ones. */
  async tick (): Promise<void> {
    this.dialable = false
    await Promise.all([...this.keys].map(async ([scope, key]) => { await this.searchScope(scope, key) }))
  }

  private async searchScope (scope: string, key: CID): Promise<void> {
    const want = this.init.peersPerScope - this.connectedMembers(scope)
    if (want <= 0 || this.controller.signal.aborted) return
    const stats = this.scopeStats.get(scope) as ScopeStats
    const dials: Array<Promise<void>> = []
    const seen = new Set<string>()
    // each member is dialled the moment the search yields it: the query itself may go on to
    // slower peers, and one slow relay must not hold up the rest
    const dial = async (info: PeerInfo): Promise<void> => {
      stats.dialed++
      try {
        await this.c.connectionManager.openConnection(info.id, { signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(10_000)]) })
        this.noteMember(scope)
      } catch (err: any) {
        stats.failed++
        this.log('could not dial member %p of %s: %s', info.id, scope, err?.message)
      }
    }
    try {
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(10_000)])
      for await (const info of this.c.contentRouting.findProviders(key, { signal })) {
        const id = info.id.toString()
        if (info.id.equals(this.c.peerId) || seen.has(id)) continue
        seen.add(id)
        stats.found++
        this.members.get(scope)?.add(id)
        await this.c.peerStore.merge(info.id, { tags: { [FEDERATION_TAG]: { value: scope === 'global' ? 20 : 60 } } })
        if (this.c.connectionManager.getConnections(info.id).length > 0) { this.noteMember(scope); continue }
        // no address another network can dial (a loopback-only node): nothing to try
        const addrs = remoteAddresses(info.multiaddrs)
        if (addrs.length === 0) continue
        await this.c.peerStore.merge(info.id, { multiaddrs: addrs })
        this.dialable = true
        dials.push(dial(info))
        if (dials.length >= want) break
      }
    } catch (err: any) {
      this.log('search for %s failed: %s', scope, err?.message)
    }
    await Promise.all(dials)
  }

  /** Only a federation counts: the global scope's providers include every bootstrap node. */
  private noteMember (scope: string): void {
    if (scope !== 'global') this.firstMemberMs ??= Date.now() - this.startedAt
  }

  /** Milliseconds since start, or undefined before start. */
  sinceStart (): number | undefined { return this.startedAt === 0 ? undefined : Date.now() - this.startedAt }
}

export function rendezvous (init: RendezvousInit): (components: RendezvousComponents) => RendezvousService {
  return (components) => new RendezvousService(components, init)
}

/** The DHT's address filter toward strangers: only what another network can dial. */
export function dhtPeerInfoMapper (info: PeerInfo): PeerInfo {
  return { ...info, multiaddrs: remoteAddresses(info.multiaddrs) }
}
