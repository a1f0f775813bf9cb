// Hole punching: a connection that came up through a relay is upgraded to a direct one over
// WebRTC (/p2p-circuit/webrtc), whose ICE exchange runs over the relayed connection and punches
// through endpoint-independent NATs with the STUN servers in `iceServers`. DESIGN.md says why
// WebRTC and not TCP simultaneous open: Node cannot bind a client socket to its listen port, so
// stock DCUtR over TCP does not punch from Node (it still runs, for peers that offer QUIC/TCP
// addresses it can use). Once the direct connection is up the relayed one is closed; where the
// NAT is symmetric the punch fails and the relay keeps carrying the traffic.

import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'

export type ConnectionPath = 'direct' | 'relayed' | 'punched'

/** How a connection reaches its peer, from its remote address alone. */
export function connectionPath (remoteAddr: Multiaddr | string): ConnectionPath {
  const names = (typeof remoteAddr === 'string' ? multiaddr(remoteAddr) : remoteAddr).getComponents().map((c) => c.name)
  if (names.includes('webrtc')) return 'punched'
  if (names.includes('p2p-circuit')) return 'relayed'
  return 'direct'
}

/** `/…/p2p/R/p2p-circuit/p2p/B` → `/…/p2p/R/p2p-circuit/webrtc/p2p/B`; undefined if not a circuit. */
export function webrtcUpgradeAddr (relayed: Multiaddr, remotePeer: string): Multiaddr | undefined {
  const names = relayed.getComponents().map((c) => c.name)
  const at = names.indexOf('p2p-circuit')
  if (at < 0 || names.slice(at + 1).some((n) => n !== 'p2p')) return undefined
  const text = relayed.toString()
  return multiaddr(`${text.slice(0, text.indexOf('/p2p-circuit'))}/p2p-circuit/webrtc/p2p/${remotePeer}`)
}

const PING = '/ipfs/ping/1.0.0'
const PROBE_TIMEOUT_MS = 5000

/**
 * One ping over exactly this connection. A WebRTC connection can come up without ICE ever
 * connecting (@libp2p/webrtc 6 upgrades the answering side when the signalling stream just
 * ends), so a punched connection counts only once bytes have made the round trip.
 */
export async function probe (conn: Connection, signal: AbortSignal): Promise<boolean> {
  let stream
  try {
    stream = await conn.newStream(PING, { signal, runOnLimitedConnection: true })
    const data = crypto.getRandomValues(new Uint8Array(32))
    const got: Uint8Array[] = []
    let n = 0
    const done = Promise.withResolvers<void>()
    stream.addEventListener('message', (evt: any) => {
      const chunk: Uint8Array = evt.data.subarray()
      got.push(chunk)
      n += chunk.byteLength
      if (n >= 32) done.resolve()
    })
    stream.addEventListener('close', () => { done.reject(new Error('closed')) })
    const onAbort = (): void => { done.reject(new Error('probe timed out')) }
    signal.addEventListener('abort', onAbort, { once: true })
    stream.send(data)
    try { await done.promise } finally { signal.removeEventListener('abort', onAbort) }
    await stream.close({ signal }).catch(() => {})
    const echo = Buffer.concat(got).subarray(0, 32)
    return Buffer.from(data).equals(echo)
  } catch {
    stream?.abort(new Error('probe failed'))
    return false
  }
}

export interface PunchInit {
  /** Try WebRTC upgrades (needs the webrtc transport listening on /webrtc and STUN servers). */
  webrtc: boolean
  attempts?: number
  timeoutMs?: number
}

export interface PunchStats { attempts: number, succeeded: number, failed: number, lastMs?: number }

export interface PunchComponents {
  connectionManager: { openConnection: (ma: any, o?: any) => Promise<Connection>, getConnections: (p?: PeerId) => Connection[] }
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/** Re-runs identify on a connection, so protocols (gossipsub) attach their streams to it. */
export type Reidentify = (conn: Connection) => Promise<unknown>

export class PunchService implements Startable {
  private readonly c: PunchComponents
  private readonly init: PunchInit
  private readonly log: Logger
  private readonly pending = new Map<string, Promise<boolean>>()
  readonly stats: PunchStats = { attempts: 0, succeeded: 0, failed: 0 }
  /** Milliseconds from relayed connection to direct, per success (bench figures). */
  readonly timesMs: number[] = []
  reidentify?: Reidentify
  private started = false

  constructor (components: PunchComponents, init: PunchInit) {
    this.c = components
    this.init = init
    this.log = components.logger.forComponent('swarm:net:punch')
    this.onOpen = this.onOpen.bind(this)
    this.onClose = this.onClose.bind(this)
  }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    this.c.events.addEventListener('connection:open', this.onOpen)
    this.c.events.addEventListener('connection:close', this.onClose)
    this.started = true
  }

  async stop (): Promise<void> {
    this.c.events.removeEventListener('connection:open', this.onOpen)
    this.c.events.removeEventListener('connection:close', this.onClose)
    this.started = false
  }

  private onOpen (evt: CustomEvent<Connection>): void {
    const conn = evt.detail
    if (conn.direction === 'inbound' && connectionPath(conn.remoteAddr) === 'punched') { void this.keepIfAlive(conn); return }
    // the dialing side punches; the other side answers the WebRTC offer
    if (!this.init.webrtc || conn.direction !== 'outbound' || connectionPath(conn.remoteAddr) !== 'relayed') return
    void this.upgrade(conn)
  }

  /** When a relayed connection closes and a direct one remains, protocols move onto it. */
  private onClose (evt: CustomEvent<Connection>): void {
    const closed = evt.detail
    if (connectionPath(closed.remoteAddr) !== 'relayed') return
    const direct = this.c.connectionManager.getConnections(closed.remotePeer).find((x) => x.status === 'open' && connectionPath(x.remoteAddr) !== 'relayed')
    if (direct !== undefined) this.reidentify?.(direct).catch((err: Error) => { this.log('re-identify failed: %s', err.message) })
  }

  /** An answered punch that never connected is closed, so nobody counts it or sends on it. */
  private async keepIfAlive (conn: Connection): Promise<boolean> {
    if (await probe(conn, AbortSignal.timeout(this.init.timeoutMs ?? PROBE_TIMEOUT_MS * 2))) return true
    this.log('closing a punched connection from %p that carries nothing', conn.remotePeer)
    await conn.close().catch(() => {})
    return false
  }

  /** Is a punch to this peer under way? */
  busy (peer: string): boolean { return this.pending.has(peer) }

  /** Tries a few times to reach the peer of a relayed connection directly; true once it is. */
  async upgrade (relayed: Connection): Promise<boolean> {
    const peer = relayed.remotePeer.toString()
    const target = webrtcUpgradeAddr(relayed.remoteAddr, peer)
    if (target === undefined) return false
    // one attempt per peer at a time; a second caller waits for the first one's outcome
    const running = this.pending.get(peer)
    if (running !== undefined) return await running
    const attempt = this.attempt(relayed, target, peer).finally(() => { this.pending.delete(peer) })
    this.pending.set(peer, attempt)
    return await attempt
  }

  private async attempt (relayed: Connection, target: Multiaddr, peer: string): Promise<boolean> {
    const started = Date.now()
    for (let i = 0; i < (this.init.attempts ?? 2); i++) {
      if (relayed.status !== 'open') return false
      this.stats.attempts++
      try {
        const direct = await this.c.connectionManager.openConnection(target, { force: true, signal: AbortSignal.timeout(this.init.timeoutMs ?? 10_000) })
        // a dial already under way to the peer (over the relay) is joined even with force
        if (connectionPath(direct.remoteAddr) !== 'punched') throw new Error(`joined another dial (${direct.remoteAddr.toString()})`)
        if (!(await probe(direct, AbortSignal.timeout(PROBE_TIMEOUT_MS)))) {
          await direct.close().catch(() => {})
          throw new Error('the punched connection carries nothing')
        }
        this.stats.succeeded++
        this.stats.lastMs = Date.now() - started
        this.timesMs.push(this.stats.lastMs)
        if (this.timesMs.length > 100) this.timesMs.shift()
        this.log('punched through to %s in %d ms via %a', peer, this.stats.lastMs, direct.remoteAddr)
        // the relay was only the way in: close it, the direct connection carries everything
        for (const other of this.c.connectionManager.getConnections(relayed.remotePeer)) {
          if (connectionPath(other.remoteAddr) === 'relayed') await other.close().catch(() => {})
        }
        return true
      } catch (err: any) {
        this.stats.failed++
        this.log('punch to %s failed (attempt %d): %s', peer, i + 1, err?.message)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
    return false
  }
}

export function punch (init: PunchInit): (components: PunchComponents) => PunchService {
  return (components) => new PunchService(components, init)
}
