// A hostile peer for adversarial tests: a plain js-libp2p node with a key of its own that speaks
// swarmd's wire directly — dials any protocol and exchanges length-prefixed frames, publishes raw
// gossipsub messages (StrictNoSign, the daemons' content-hash message id), and signs envelopes
// with the project's own builders through `identity` (node id and peer id are one key, as for a
// daemon). It runs none of swarmd's checks: whatever it sends, the daemons must judge.

import { randomBytes } from 'node:crypto'
import { createHash } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { identityFromSeed, type Identity } from '../../src/identity/index.ts'
import { contentMsgId } from '../../src/net/node.ts'

export interface HostilePeer {
  identity: Identity
  libp2p: Libp2p<any>
  /** Dials a daemon's multiaddr (with /p2p/…) and returns its peer id string. */
  connect: (addr: string) => Promise<string>
  /** Opens `protocol` to `peer`, writes `frames`, reads up to `read` answer frames (until the stream ends). */
  exchange: (addr: string, protocol: string, frames: Array<string | Uint8Array>, opts?: { read?: number, timeoutMs?: number, maxDataLength?: number }) => Promise<string[]>
  subscribe: (topic: string) => void
  /** Publishes raw bytes (or an envelope object as its JSON text) on a gossipsub topic. */
  publish: (topic: string, data: Uint8Array | string | object) => Promise<void>
  stop: () => Promise<void>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export async function hostilePeer (opts: { federation?: string, seed?: Uint8Array } = {}): Promise<HostilePeer> {
  const identity = await identityFromSeed(opts.seed ?? new Uint8Array(randomBytes(32)), opts.federation ?? 'fed:test')
  const libp2p = await createLibp2p({
    privateKey: identity.privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        msgIdFn: (msg) => contentMsgId(msg.data),
        fastMsgIdFn: (msg) => createHash('sha1').update(msg.data ?? new Uint8Array()).digest('base64')
      })
    }
  }) as unknown as Libp2p<any>
  const toBytes = (d: Uint8Array | string | object): Uint8Array => d instanceof Uint8Array ? d : encoder.encode(typeof d === 'string' ? d : JSON.stringify(d))
  return {
    identity,
    libp2p,
    connect: async (addr) => (await libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) })).remotePeer.toString(),
    exchange: async (addr, protocol, frames, o = {}) => {
      const signal = AbortSignal.timeout(o.timeoutMs ?? 15_000)
      const stream = await libp2p.dialProtocol(multiaddr(addr), protocol, { signal })
      const lp = lpStream(stream, { maxDataLength: o.maxDataLength ?? 8 * 1024 * 1024 })
      for (const f of frames) await lp.write(toBytes(f), { signal })
      const out: string[] = []
      try {
        while (out.length < (o.read ?? 1)) out.push(decoder.decode((await lp.read({ signal })).subarray()))
      } catch {
        // the other side closed or refused: what was read is the answer
      }
      await stream.close().catch(() => {})
      return out
    },
    subscribe: (topic) => { libp2p.services.pubsub.subscribe(topic) },
    publish: async (topic, data) => { await libp2p.services.pubsub.publish(topic, toBytes(data)) },
    stop: async () => { await libp2p.stop() }
  }
}
