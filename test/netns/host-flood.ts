// Run inside a simulated network's public namespace (host-limits.test.ts starts it) against a
// real swarmd daemon: a stranger X on one host (203.0.113.4) makes identities of its own and,
// from each, opens silent /swarm/history/1.0.0 streams (the request never sent, so each holds a
// handler until its 10 s timeout), to take every slot the daemon has for the protocol. An honest
// peer H on another host (203.0.113.3) then asks for a page. Prints one JSON document.
//
// argv: the daemon's TCP multiaddr (with /p2p/…), the number of X's identities, and `relayed`
// for X's identities to come in as circuits through a relay of X's own (on X's host) instead:
// any connected peer can make itself a relay, and the daemon takes circuits through it.

import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { PROTOCOL_HISTORY } from '../../src/constants.ts'

const [daemonAddr, identities, relayed] = [multiaddr(process.argv[2]), Number(process.argv[3]), process.argv[4] === 'relayed']
let target = daemonAddr
const PER_IDENTITY = 32 // the daemon's per-connection bound for the protocol

async function peer (ip: string, relay = false): Promise<Libp2p> {
  const n = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: relay ? [`/ip4/${ip}/tcp/0`] : [] },
    transports: [tcp({ dialOpts: { localAddress: ip } } as any), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxInboundStreams: 1024, maxOutboundStreams: 1024 } as any)],
    connectionGater: { denyDialMultiaddr: () => false },
    // X's relay: no limit on what a circuit carries (a stock relay option), many circuits at once
    services: { identify: identify(), ...(relay ? { relay: circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: 1024 }, maxInboundHopStreams: 1024, maxOutboundStopStreams: 1024 } as any) } : {}) }
  })
  await n.start()
  return n
}

const decoder = new TextDecoder()
/**
 * Opens a stream and says nothing: the refusal's reason when the daemon sends one (however late:
 * a loaded machine may take seconds), else `held` — the daemon kept a handler for it until its
 * 10 s timeout reset the stream.
 */
async function silent (x: Libp2p): Promise<string> {
  let stream
  try {
    stream = await x.dialProtocol(target, PROTOCOL_HISTORY, { signal: AbortSignal.timeout(10_000) })
  } catch (err: any) {
    return `dial: ${String(err?.name ?? err)}`
  }
  const lp = lpStream(stream, { maxDataLength: 4096 })
  try {
    const frame = JSON.parse(decoder.decode((await lp.read({ signal: AbortSignal.timeout(15_000) })).subarray()))
    return String(frame.reason ?? frame.status ?? 'answered')
  } catch {
    // no frame: the handler held the stream until it timed out (a reset, or our own timeout)
    return 'held'
  }
}

const out: Record<string, unknown> = {}
const nodes: Libp2p[] = []
try {
  // libp2p takes 5 connections a second from one host: X's identities connect at that pace
  const xs: Libp2p[] = []
  if (relayed) {
    // X's relay connects to the daemon; X's identities (on another address of X's) dial through it
    const r = await peer('203.0.113.4', true)
    nodes.push(r)
    const toDaemon = await r.dial(daemonAddr, { signal: AbortSignal.timeout(10_000) })
    // a relay only connects peers holding a reservation on it: X's relay says the daemon holds one
    // (a hostile relay can say anything; the daemon then takes the circuits it is offered)
    ;(r.services.relay as any).reservationStore.reserve(toDaemon.remotePeer, toDaemon.remoteAddr)
    target = multiaddr(`${r.getMultiaddrs().map(String).find((a) => a.includes('/tcp/')) as string}/p2p-circuit/p2p/${process.argv[2].split('/p2p/').at(-1) as string}`)
    out.via = 'relay'
  }
  for (let i = 0; i < identities; i++) {
    const x = await peer(relayed ? '203.0.113.5' : '203.0.113.4')
    nodes.push(x)
    await x.dial(target, { signal: AbortSignal.timeout(10_000) })
    xs.push(x)
    await new Promise((resolve) => setTimeout(resolve, 260))
  }
  const t0 = Date.now()
  const pending = Promise.all(xs.flatMap((x) => Array.from({ length: PER_IDENTITY }, async () => await silent(x))))
  // while X's streams are held (for 10 s from their opening), the honest peer asks for a page
  await new Promise((resolve) => setTimeout(resolve, 2500))
  const h = await peer('203.0.113.3')
  nodes.push(h)
  const stream = await h.dialProtocol(daemonAddr, PROTOCOL_HISTORY, { signal: AbortSignal.timeout(10_000) })
  const lp = lpStream(stream, { maxDataLength: 1 << 20 })
  await lp.write(new TextEncoder().encode(JSON.stringify({ question: 'question:01J0000000000000000000000Q' })), { signal: AbortSignal.timeout(5000) })
  out.honest = JSON.parse(decoder.decode((await lp.read({ signal: AbortSignal.timeout(5000) })).subarray()))
  out.honestWithinMs = Date.now() - t0
  const tally: Record<string, number> = {}
  for (const r of await pending) tally[r] = (tally[r] ?? 0) + 1
  out.stranger = tally
  out.strangerMs = Date.now() - t0
} catch (err: any) {
  out.error = String(err?.message ?? err)
} finally {
  await Promise.all(nodes.map(async (n) => { try { await n.stop() } catch {} }))
}
process.stdout.write(JSON.stringify(out) + '\n')
process.exit(0)
