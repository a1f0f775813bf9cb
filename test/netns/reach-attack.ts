// Run inside a simulated network's public namespace (reach.test.ts starts it): a swarmd node S
// answers /swarm/reach; a hostile peer X with its own key speaks that protocol directly and tries
// to aim S's dial-back at a victim V, to feed it garbage and to flood it; honest peers H1 (before)
// and H2 (after) must still get a correct answer. Prints one JSON document of what happened.

import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { createSwarmNode, type NatInit, type SwarmLibp2p } from '../../src/net/node.ts'
import { PROTOCOL_REACH } from '../../src/net/reach-rules.ts'
import { reachability, type ReachabilityService } from '../../src/net/reachability.ts'

const nat: NatInit = { reachability: true, reserveRelay: false, relayServer: false, maxReservations: 1, holePunch: false, upnp: false, dht: false, scopes: [], peersPerScope: 0 }

/** The node under test: a swarmd node as the daemon assembles it. */
async function server (ip: string): Promise<SwarmLibp2p> {
  const n = await createSwarmNode({ privateKey: await generateKeyPair('Ed25519'), listen: [`/ip4/${ip}/tcp/0`], bootstrap: [], mdns: false, iceServers: [], nat })
  await n.start()
  return n
}

type Peer = Libp2p<{ identify: unknown, reach?: ReachabilityService }>

/**
 * Other peers, each dialling from its own address (all share one namespace, where the kernel
 * would otherwise pick the first address of the interface as every peer's source).
 */
async function peer (ip: string, asks: boolean): Promise<Peer> {
  const n = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [`/ip4/${ip}/tcp/0`] },
    transports: [tcp({ dialOpts: { localAddress: ip } } as any)],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), ...(asks ? { reach: reachability({ check: true, reserveRelay: false }) } : {}) }
  }) as unknown as Peer
  await n.start()
  return n
}

const tcpAddr = (n: Libp2p<any>): string => n.getMultiaddrs().map(String).find((a) => a.includes('/tcp/')) as string
const waitFor = async (fn: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms
  while (!fn() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50))
  return fn()
}

/** One raw request frame from X; the server's answer, or how the stream ended. */
async function raw (x: Libp2p<any>, to: string, frame: Uint8Array): Promise<unknown> {
  const stream = await x.dialProtocol(multiaddr(to), PROTOCOL_REACH, { signal: AbortSignal.timeout(15_000) })
  const lp = lpStream(stream, { maxDataLength: 4096 })
  try {
    await lp.write(frame, { signal: AbortSignal.timeout(5000) })
    return JSON.parse(new TextDecoder().decode((await lp.read({ signal: AbortSignal.timeout(15_000) })).subarray()))
  } catch (err: any) {
    stream.abort(err)
    return { ended: err?.name ?? 'error', message: err?.message }
  } finally {
    // S allows 4 streams of this protocol per connection: unclosed ones would use them up
    await stream.close().catch(() => {})
  }
}

const refused: Record<string, number> = {}
const out: Record<string, unknown> = {}
const s = await server('203.0.113.2')
const h1 = await peer('203.0.113.3', true)
const h2 = await peer('203.0.113.6', true)
const victim = await peer('203.0.113.5', false)
const x = await peer('203.0.113.4', false)
try {
  // S counts what it refuses (the daemon puts this into swarm stats)
  const reach = s.services.reach as any
  reach.init.onRefused = (r: string) => { refused[r] = (refused[r] ?? 0) + 1 }
  const victimInbound: string[] = []
  victim.addEventListener('connection:open', (e) => { if (e.detail.direction === 'inbound') victimInbound.push(e.detail.remotePeer.toString()) })

  // honest before: H1 connects, asks on identify, S dials it back
  await h1.dial(multiaddr(tcpAddr(s)))
  out.honestBefore = await waitFor(() => h1.services.reach?.reachability === 'public', 15_000) ? 'public' : h1.services.reach?.reachability

  const sAddr = tcpAddr(s)
  const victimPort = Number(tcpAddr(victim).split('/')[4])
  const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))
  out.garbage = await raw(x, sAddr, enc('{not json'))
  out.extraField = await raw(x, sAddr, enc({ tcp: [victimPort], addr: `/ip4/203.0.113.5/tcp/${victimPort}` }))
  out.tooManyPorts = await raw(x, sAddr, enc({ tcp: [1, 2, 3, 4, 5] }))
  out.oversized = await raw(x, sAddr, new Uint8Array(1024).fill(0x20))
  // the victim's port, but S only ever dials the IP the request came from: X's own
  out.aimAtVictim = await raw(x, sAddr, enc({ tcp: [victimPort] }))
  out.flood = await raw(x, sAddr, enc({ tcp: [victimPort] }))
  out.victimInboundFromS = victimInbound.filter((p) => p === s.peerId.toString()).length

  // honest after: H2 still gets its answer, and S is still running
  await h2.dial(multiaddr(sAddr))
  out.honestAfter = await waitFor(() => h2.services.reach?.reachability === 'public', 15_000) ? 'public' : h2.services.reach?.reachability
  out.serverStatus = s.status
  out.refused = refused
} finally {
  await Promise.all([s, h1, h2, victim, x].map(async (n: Libp2p<any>) => { try { await n.stop() } catch {} }))
}
process.stdout.write(JSON.stringify(out) + '\n')
process.exit(0)
