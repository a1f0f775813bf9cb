// Reachability: is this node dialable from the internet? Connected peers that speak
// /swarm/reach dial back the IP they see us on (AutoNAT v1's rule) at our TCP listen ports and
// say whether it worked; the majority of distinct peers decides (reach-rules.ts). A node found
// behind NAT listens on /p2p-circuit, so the relay transport reserves a slot on a reachable
// peer, and tells the DHT to act as a client. Stock @libp2p/autonat cannot do this in a
// simulated network (DESIGN.md): it skips documentation ranges and wants dial-backs from four
// distinct first octets, which a small federation rarely offers either.

import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { ComponentLogger, Connection, IdentifyResult, Logger, PeerId, Startable, Stream, TypedEventTarget, Libp2pEvents } from '@libp2p/interface'
import { hostOf, isRelayed, isRoutableIp } from './addresses.ts'
import {
  PROTOCOL_REACH, REACH_ANSWER_TTL_MS, REACH_DIAL_TIMEOUT_MS, REACH_MAX_FRAME, REACH_PEER_INTERVAL_MS,
  dialBackTargets, judgeReachability, parseReachRequest, type ReachAnswer, type Reachability, type ReachRefusal
} from './reach-rules.ts'

/** Answers kept at most (one per peer asked; expired ones go first). */
const MAX_ANSWERS = 1024

export interface ReachabilityInit {
  /** Ask peers to dial back (the client side); the server side always answers. */
  check: boolean
  /** Behind NAT: listen on /p2p-circuit so the relay transport makes reservations. */
  reserveRelay: boolean
  /** Counts refused requests by reason (`swarm stats`). */
  onRefused?: (reason: ReachRefusal) => void
}

export interface ReachabilityComponents {
  peerId: PeerId
  registrar: { handle: (p: string, h: (s: Stream, c: Connection) => void | Promise<void>, o?: any) => Promise<void>, unhandle: (p: string) => Promise<void> }
  connectionManager: { openConnection: (ma: any, o?: any) => Promise<Connection>, openStream?: (p: any, proto: string, o?: any) => Promise<Stream> }
  transportManager: { listen: (addrs: any[]) => Promise<void>, getAddrs: () => any[] }
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export class ReachabilityService implements Startable {
  private readonly c: ReachabilityComponents
  private readonly init: ReachabilityInit
  private readonly log: Logger
  private readonly answers = new Map<string, ReachAnswer>()
  private readonly served = new Map<string, number>()
  private readonly asking = new Set<string>()
  private inFlightServes = 0
  private verdict: Reachability = 'unknown'
  private relayListening = false
  private started = false
  /** Called on every verdict change (the node assembly switches the DHT mode). */
  onChange?: (r: Reachability) => void

  constructor (components: ReachabilityComponents, init: ReachabilityInit) {
    this.c = components
    this.init = init
    this.log = components.logger.forComponent('swarm:net:reach')
    this.onIdentify = this.onIdentify.bind(this)
  }

  get reachability (): Reachability { return this.verdict }
  get relayRequested (): boolean { return this.relayListening }
  /** Each peer's latest answer, for `swarm stats`. */
  get answersByPeer (): ReachAnswer[] { return [...this.answers.values()] }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    await this.c.registrar.handle(PROTOCOL_REACH, (stream, conn) => { void this.serve(stream, conn) }, {
      maxInboundStreams: 4, maxOutboundStreams: 4, runOnLimitedConnection: false
    })
    if (this.init.check) this.c.events.addEventListener('peer:identify', this.onIdentify)
    this.started = true
  }

  async stop (): Promise<void> {
    this.c.events.removeEventListener('peer:identify', this.onIdentify)
    await this.c.registrar.unhandle(PROTOCOL_REACH)
    this.started = false
  }

  private onIdentify (evt: CustomEvent<IdentifyResult>): void {
    const { peerId, protocols, connection } = evt.detail
    if (!protocols.includes(PROTOCOL_REACH) || connection.limits != null || isRelayed(connection.remoteAddr)) return
    const host = hostOf(connection.remoteAddr)
    if (host === undefined || !isRoutableIp(host)) return
    const key = peerId.toString()
    const prev = this.answers.get(key)
    if (this.asking.has(key) || (prev !== undefined && Date.now() - prev.at < REACH_ANSWER_TTL_MS / 2)) return
    this.asking.add(key)
    void this.askWithRetries(connection).finally(() => { this.asking.delete(key) })
  }

  /** A check that found no answer (a stream reset, a slow peer) is tried again a few times. */
  private async askWithRetries (connection: Connection): Promise<void> {
    for (let i = 0; i < 3 && this.started && connection.status === 'open'; i++) {
      if (await this.ask(connection) !== undefined) return
      await new Promise((resolve) => setTimeout(resolve, 2000 * (i + 1)))
    }
  }

  /** Asks one peer to dial us back; records its answer. */
  async ask (connection: Connection, signal: AbortSignal = AbortSignal.timeout(REACH_DIAL_TIMEOUT_MS * 3)): Promise<boolean | undefined> {
    const tcp = this.tcpPorts()
    if (tcp.length === 0) return undefined
    let stream: Stream | undefined
    try {
      stream = await connection.newStream(PROTOCOL_REACH, { signal })
      const lp = lpStream(stream, { maxDataLength: REACH_MAX_FRAME })
      await lp.write(new TextEncoder().encode(JSON.stringify({ tcp })), { signal })
      const res = JSON.parse(new TextDecoder().decode((await lp.read({ signal })).subarray()))
      await stream.close({ signal }).catch(() => {})
      if (typeof res?.reachable !== 'boolean') {
        this.log('peer %p refused the check: %s', connection.remotePeer, String(res?.error))
        return undefined
      }
      const host = hostOf(connection.remoteAddr)
      this.record({ peer: connection.remotePeer.toString(), reachable: res.reachable, at: Date.now(), ...(host === undefined ? {} : { host }) })
      return res.reachable
    } catch (err: any) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      this.log('reachability check with %p failed: %s', connection.remotePeer, err?.message)
      return undefined
    }
  }

  /** Our TCP listen ports (not websockets, not circuits); the server dials these. */
  private tcpPorts (): number[] {
    const ports = new Set<number>()
    for (const ma of this.c.transportManager.getAddrs()) {
      const comps = (ma as ReturnType<typeof multiaddr>).getComponents()
      if (comps.length !== 2 || comps[1].name !== 'tcp') continue
      const host = comps[0].value
      if (host !== undefined && isRoutableIp(host)) ports.add(Number(comps[1].value))
    }
    return [...ports].slice(0, 4)
  }

  record (answer: ReachAnswer): void {
    this.answers.delete(answer.peer)
    this.answers.set(answer.peer, answer)
    // expired answers go, and at most MAX_ANSWERS are kept (the oldest first): one per peer asked, and peers come and go
    const now = Date.now()
    for (const [k, a] of this.answers) if (now - a.at > REACH_ANSWER_TTL_MS || this.answers.size > MAX_ANSWERS) this.answers.delete(k)
    const next = judgeReachability([...this.answers.values()], Date.now())
    if (next === this.verdict) return
    this.log('reachability %s -> %s', this.verdict, next)
    this.verdict = next
    if (next === 'private' && this.init.reserveRelay && !this.relayListening) {
      this.relayListening = true
      this.c.transportManager.listen([multiaddr('/p2p-circuit')]).catch((err: Error) => {
        this.relayListening = false
        this.log.error('could not listen on a relay: %s', err.message)
      })
    }
    this.onChange?.(next)
  }

  private async serve (stream: Stream, conn: Connection): Promise<void> {
    const signal = AbortSignal.timeout(REACH_DIAL_TIMEOUT_MS * 2)
    const reply = async (body: Record<string, unknown>): Promise<void> => {
      await lp.write(new TextEncoder().encode(JSON.stringify(body)), { signal })
      await stream.close({ signal })
    }
    const refuse = async (reason: ReachRefusal): Promise<void> => {
      this.init.onRefused?.(reason)
      await reply({ error: reason })
    }
    const lp = lpStream(stream, { maxDataLength: REACH_MAX_FRAME })
    try {
      let frame: Uint8Array
      try { frame = (await lp.read({ signal })).subarray() } catch (err: any) {
        if (err?.name === 'InvalidDataLengthError' || err?.name === 'InvalidDataLengthLengthError') { await refuse('too-large'); return }
        throw err
      }
      const req = parseReachRequest(frame)
      if (!req.ok) { await refuse(req.reason); return }
      const peer = conn.remotePeer.toString()
      const targets = dialBackTargets(hostOf(conn.remoteAddr), conn.limits != null || isRelayed(conn.remoteAddr), req.value, peer)
      if (!targets.ok) { await refuse(targets.reason); return }
      const last = this.served.get(peer)
      if (last !== undefined && Date.now() - last < REACH_PEER_INTERVAL_MS) { await refuse('rate-limited'); return }
      if (this.inFlightServes >= 4) { await refuse('busy'); return }
      this.served.set(peer, Date.now())
      if (this.served.size > 4096) this.served.delete(this.served.keys().next().value as string)
      this.inFlightServes++
      try {
        for (const target of targets.value) {
          if (await this.dialBack(target, signal)) { await reply({ reachable: true, address: target }); return }
        }
        await reply({ reachable: false })
      } finally { this.inFlightServes-- }
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** A fresh connection (never the one the request came on), closed again at once. */
  private async dialBack (target: string, parent: AbortSignal): Promise<boolean> {
    try {
      const conn = await this.c.connectionManager.openConnection(multiaddr(target), {
        force: true, signal: AbortSignal.any([parent, AbortSignal.timeout(REACH_DIAL_TIMEOUT_MS)])
      })
      await conn.close().catch(() => {})
      return true
    } catch {
      return false
    }
  }
}

export function reachability (init: ReachabilityInit): (components: ReachabilityComponents) => ReachabilityService {
  return (components) => new ReachabilityService(components, init)
}
