// A hostile peer for the adversarial suite: a plain js-libp2p node with an Ed25519 key of its own
// that speaks swarmd's wire directly. It dials any protocol and exchanges length-prefixed frames,
// publishes raw gossipsub messages (to its mesh, or to exactly one peer, bypassing its own
// duplicate cache), and signs envelopes with the project's own builders, with its node key
// (`identity`, `signer`: node id and peer id are one key, as for a daemon) or with any number of
// fresh keys. It runs none of swarmd's checks: whatever it sends, the daemons must judge.

import { createHash, randomBytes } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createSigner, type Signer } from '../../src/envelope/index.ts'
import { identityFromSeed, type Identity } from '../../src/identity/index.ts'

export interface HostilePeer {
  identity: Identity
  node: Libp2p<{ pubsub: GossipSub, identify: unknown }>
  /** The same node (older tests call it so). */
  libp2p: Libp2p<any>
  peerId: string
  /** Signs with the peer's own key (its envelopes' node id is its peer id). */
  signer: Signer
  /** A fresh key every call (free-key floods). */
  freshSigner: (federation?: string) => Signer
  dial: (addr: string) => Promise<void>
  /** Dials a daemon's multiaddr (with /p2p/…) and returns its peer id string. */
  connect: (addr: string) => Promise<string>
  /** Opens `protocol` to `addr`, writes `frames`, reads up to `read` answer frames (until the stream ends). */
  exchange: (addr: string, protocol: string, frames: Array<string | Uint8Array>, opts?: { read?: number, timeoutMs?: number, maxDataLength?: number }) => Promise<string[]>
  subscribe: (topic: string) => void
  /** Publishes raw bytes (or an envelope object as its JSON text) on a gossipsub topic. */
  publish: (topic: string, data: Uint8Array | string | object) => Promise<void>
  /** Resolves once `peerId` has a gossipsub stream open with us (so sendTo can reach it). */
  ready: (peerId: string, timeoutMs?: number) => Promise<void>
  /** One raw gossipsub message to one peer only (StrictNoSign shape: topic and data). */
  sendTo: (peerId: string, topic: string, data: Uint8Array | string) => boolean
  /** Many raw messages to one peer in a single RPC. */
  sendManyTo: (peerId: string, topic: string, data: Array<Uint8Array | string>) => boolean
  /** Bytes queued for `peerId` and not yet taken by it (libp2p aborts the stream past its cap). */
  backlog: (peerId: string) => number
  stop: () => Promise<void>
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const toBytes = (d: Uint8Array | string | object): Uint8Array => d instanceof Uint8Array ? d : enc.encode(typeof d === 'string' ? d : JSON.stringify(d))

/** `ip`: listen on, and dial from, this address (a simulated network's host; default loopback). */
export async function startHostilePeer (opts: { seed?: Uint8Array, federation?: string, ip?: string } = {}): Promise<HostilePeer> {
  const seed = opts.seed ?? new Uint8Array(randomBytes(32))
  const federation = opts.federation ?? 'fed:default'
  const identity = await identityFromSeed(seed, federation)
  const node = await createLibp2p({
    privateKey: identity.privateKey,
    addresses: { listen: [`/ip4/${opts.ip ?? '127.0.0.1'}/tcp/0`] },
    transports: [tcp(opts.ip === undefined ? {} : { dialOpts: { localAddress: opts.ip } } as any)],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // raw-bytes ids: the hostile peer never dedupes its own variants
        msgIdFn: (msg) => createHash('sha256').update(msg.data).digest()
      })
    }
  }) as unknown as HostilePeer['node']
  const pubsub = node.services.pubsub as GossipSub & { sendRpc: (id: string, rpc: unknown) => boolean, streamsOutbound: Map<string, { rawStream?: { writeBufferLength?: number } }> }
  const many = (peerId: string, topic: string, data: Array<Uint8Array | string>): boolean =>
    pubsub.sendRpc(peerId, { subscriptions: [], messages: data.map((d) => ({ topic, data: toBytes(d) })) })
  return {
    identity,
    node,
    libp2p: node as unknown as Libp2p<any>,
    peerId: node.peerId.toString(),
    signer: createSigner(seed, federation),
    freshSigner: (fed = federation) => createSigner(new Uint8Array(randomBytes(32)), fed),
    dial: async (addr) => { await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) }) },
    connect: async (addr) => (await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) })).remotePeer.toString(),
    exchange: async (addr, protocol, frames, o = {}) => {
      const signal = AbortSignal.timeout(o.timeoutMs ?? 15_000)
      const stream = await node.dialProtocol(multiaddr(addr), protocol, { signal })
      const lp = lpStream(stream, { maxDataLength: o.maxDataLength ?? 8 * 1024 * 1024 })
      const out: string[] = []
      try {
        // a refusing side may have written its answer and closed (or reset) before these frames
        // go out: the write then fails, and the answer, if it came, is still there to read
        for (const f of frames) await lp.write(toBytes(f), { signal })
      } catch {}
      try {
        while (out.length < (o.read ?? 1)) out.push(dec.decode((await lp.read({ signal })).subarray()))
      } catch {
        // the other side closed or refused: what was read is the answer
      }
      await stream.close().catch(() => {})
      return out
    },
    subscribe: (topic) => { pubsub.subscribe(topic) },
    publish: async (topic, data) => { await pubsub.publish(topic, toBytes(data)) },
    ready: async (peerId, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (!pubsub.streamsOutbound.has(peerId)) {
        if (Date.now() > deadline) throw new Error(`no gossipsub stream to ${peerId}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    sendTo: (peerId, topic, data) => many(peerId, topic, [data]),
    sendManyTo: many,
    backlog: (peerId) => pubsub.streamsOutbound.get(peerId)?.rawStream?.writeBufferLength ?? 0,
    stop: async () => { await node.stop() }
  }
}

export interface FloodOptions {
  /** Peers to send to (each gets every message directly). */
  targets: string[]
  topic: string
  /** Prepared message texts, sent in order and cycled if the flood outlasts them. */
  messages: string[]
  ratePerSec: number
  durationMs: number
  signal?: AbortSignal
}

/**
 * Offers `messages` to every target at `ratePerSec` for `durationMs`, in 10 ms batches. A batch
 * is held back from a target that has not taken 1 MiB already queued for it (a real flooder keeps
 * its connection too: libp2p aborts a stream whose write buffer overflows). Resolves with the
 * count offered, the fewest any target was actually sent, and `rate`: the slowest target's
 * messages per second while it still took them (until it hung up, or the flood ended), so a
 * daemon that disconnects the flooder early does not read as a weak flood.
 */
export async function flood (h: HostilePeer, o: FloodOptions): Promise<{ sent: number, delivered: number, ms: number, rate: number }> {
  const t0 = Date.now()
  let sent = 0
  const perTarget = new Map(o.targets.map((p) => [p, { n: 0, lastMs: 0 }]))
  while (Date.now() - t0 < o.durationMs && o.signal?.aborted !== true) {
    const due = Math.floor((Date.now() - t0) * o.ratePerSec / 1000)
    if (due > sent) {
      const batch: string[] = []
      for (let i = sent; i < due; i++) batch.push(o.messages[i % o.messages.length])
      for (const [p, t] of perTarget) {
        if (h.backlog(p) > 1024 * 1024) continue
        if (h.sendManyTo(p, o.topic, batch)) { t.n += batch.length; t.lastMs = Date.now() - t0 }
      }
      sent = due
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const targets = [...perTarget.values()]
  return { sent, delivered: Math.min(...targets.map((t) => t.n)), ms: Date.now() - t0, rate: Math.min(...targets.map((t) => t.lastMs > 0 ? t.n / (t.lastMs / 1000) : 0)) }
}
