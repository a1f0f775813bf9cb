// The browser's libp2p node: a real swarm peer reached over webrtc-direct (or websockets) from the
// page, and reachable by other browsers over WebRTC with the daemon relaying only the signalling.
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { envelopeMsgId } from '../envelope/msg-id.ts'
import { createLibp2p } from 'libp2p'
import { loadOrCreateBrowserKey } from './keystore.ts'
import { BULK_PROTOCOLS, GATED_PROTOCOLS } from '../net/gated-protocols.ts'
import { DEFAULT_PER_SENDER } from '../net/own-pace.ts'
import { paceOutboundStreams } from '../net/stream-pace.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

export interface BrowserNodeInit {
  /** Use this key instead of the one kept in IndexedDB. */
  privateKey?: PrivateKey
  /** IndexedDB record name of the key. @default 'node' */
  keyName?: string
  /** ICE servers for WebRTC; none (no public STUN) unless the operator configures some. */
  iceServers?: RTCIceServer[]
  /** Allow dialing loopback/private addresses and ws:// (local tests and LAN daemons only). */
  allowLoopback?: boolean
}

// a type alias, not an interface: libp2p's ServiceMap constraint needs an index signature
export type BrowserServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
}

export type BrowserNode = Libp2p<BrowserServices>

/**
 * Gossipsub's fast message id (a local cache key in front of msgIdFn): a synchronous sha-256
 * over topic and data, so identical bytes on one topic skip the parse.
 */
export function contentMsgId (msg: { topic?: string, data?: Uint8Array }): string {
  const topic = new TextEncoder().encode(msg.topic ?? '')
  const data = msg.data ?? new Uint8Array(0)
  const buf = new Uint8Array(topic.length + 1 + data.length)
  buf.set(topic, 0)
  buf.set(data, topic.length + 1)
  return bytesToHex(sha256(buf))
}

export async function createBrowserNode (init: BrowserNodeInit = {}): Promise<BrowserNode> {
  const privateKey = init.privateKey ?? await loadOrCreateBrowserKey({ name: init.keyName })
  const rtcConfiguration = { iceServers: init.iceServers ?? [] }
  const node = await createLibp2p({
    privateKey,
    addresses: {
      // '/p2p-circuit' makes a reservation on a relay (the daemon); '/webrtc' then advertises
      // the relayed WebRTC address other browsers dial for a direct connection
      listen: ['/p2p-circuit', '/webrtc']
    },
    transports: [
      webRTCDirect({ rtcConfiguration }),
      webSockets(),
      webRTC({ rtcConfiguration }),
      circuitRelayTransport()
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // the browser default refuses private addresses and ws://; a local daemon needs both
    connectionGater: init.allowLoopback === true ? { denyDialMultiaddr: () => false } : undefined,
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictNoSign,
        fastMsgIdFn: contentMsgId,
        // the daemon's id (src/envelope/msg-id.ts): byte variants of one envelope are one message
        msgIdFn: (msg) => envelopeMsgId(msg.topic, msg.data ?? new Uint8Array(0), () => sha256.create()),
        allowPublishToZeroTopicPeers: true
      })
    }
  })
  // the page's own streams to a daemon (history, attachments, pushes) keep under the per-peer
  // stream rate daemons enforce, as a daemon's do (src/net/stream-pace.ts)
  const streams = paceOutboundStreams(node, { protocols: GATED_PROTOCOLS, bulk: BULK_PROTOCOLS, perPeer: DEFAULT_PER_SENDER })
  node.addEventListener('stop', () => { streams.stop() }, { once: true })
  return node
}
