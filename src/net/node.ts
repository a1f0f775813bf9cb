// Assembles the daemon's libp2p node: tcp, websockets, webrtc-direct and webrtc transports,
// noise, yamux, identify, ping, gossipsub and a circuit-relay server for browser peers.
// Gossipsub runs StrictNoSign with a content-hash message id: the envelope signature is the
// authenticity (checked once per node in the topic validator), and libp2p's per-message
// signatures would cost 4–5 extra checks per node per message (DESIGN.md, speed facts).

import { createHash } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import type { TransportCertificate } from '@libp2p/webrtc'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { PrivateKey, PeerDiscovery, ComponentLogger, Metrics, Transport } from '@libp2p/interface'

export interface SwarmServices extends Record<string, unknown> {
  identify: unknown
  ping: Ping
  pubsub: GossipSub
  relay: CircuitRelayService
}

export type SwarmLibp2p = Libp2p<SwarmServices>

export interface NetInit {
  privateKey: PrivateKey
  listen: string[]
  announce?: string[]
  bootstrap: string[]
  mdns: boolean
  iceServers: RTCIceServer[]
  webrtcCertificate?: TransportCertificate
  metrics?: (components: any) => Metrics
  logger?: ComponentLogger
  /** Load the browser transports (websockets, webrtc) even without such listen addresses. */
  browserPeers?: boolean
}

/**
 * Content-hash message id: identical bytes are one message (envelope ids keep them unique).
 * sha256(data) is gossipsub's own StrictNoSign id, so browser peers using the default agree
 * on every id in IHAVE/IWANT gossip; computing it synchronously spares a promise per message.
 */
export function contentMsgId (data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

/**
 * Transports and discovery are imported only when configured: WebRTC alone adds ~25 MB of
 * resident memory and ~0.3 s of start time to a daemon that may never see a browser.
 */
export async function createSwarmNode (init: NetInit): Promise<SwarmLibp2p> {
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (init.bootstrap.length > 0) {
    const { bootstrap } = await import('@libp2p/bootstrap')
    peerDiscovery.push(bootstrap({ list: init.bootstrap, timeout: 100 }))
  }
  if (init.mdns) {
    const { mdns } = await import('@libp2p/mdns')
    peerDiscovery.push(mdns())
  }
  const wants = (proto: string): boolean => [...init.listen, ...init.bootstrap].some((a) => a.includes(proto))
  const transports: Array<(components: any) => Transport> = [tcp()]
  if (wants('/ws') || init.browserPeers === true) {
    const { webSockets } = await import('@libp2p/websockets')
    transports.push(webSockets())
  }
  if (wants('/webrtc') || init.browserPeers === true) {
    const { webRTC, webRTCDirect } = await import('@libp2p/webrtc')
    const rtcConfiguration = { iceServers: init.iceServers }
    transports.push(webRTCDirect({ rtcConfiguration, certificate: init.webrtcCertificate }), webRTC({ rtcConfiguration }))
  }

  return await createLibp2p({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: init.listen, announce: init.announce ?? [] },
    transports: [...transports, circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    // Loopback and private addresses are fine for a daemon (tests run on 127.0.0.1).
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: { maxConnections: 300 },
    metrics: init.metrics,
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        msgIdFn: (msg) => contentMsgId(msg.data),
        fastMsgIdFn: (msg) => createHash('sha1').update(msg.data ?? new Uint8Array()).digest('base64'),
        // Envelopes are checked by our topic validators; gossipsub must wait for them.
        asyncValidation: false
      }),
      relay: circuitRelayServer({ reservations: { maxReservations: 128, applyDefaultLimit: false } })
    }
  }) as unknown as SwarmLibp2p
}
