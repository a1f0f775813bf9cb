// Assembles the daemon's libp2p node: tcp, websockets, webrtc-direct and webrtc transports,
// noise, yamux, identify, ping, gossipsub and a circuit-relay server for browser peers; with
// `nat` also the reach-beyond-one-LAN parts (docs/network.md): swarmd's DHT and federation
// rendezvous, dial-back reachability with relay reservations behind NAT, and hole punching.
// Gossipsub runs StrictNoSign with a content-hash message id: the envelope signature is the
// authenticity (checked once per node in the topic validator), and libp2p's per-message
// signatures would cost 4–5 extra checks per node per message (DESIGN.md, speed facts).

import { createHash, hash } from 'node:crypto'
import { envelopeMsgId, stripJsonSpace } from '../envelope/msg-id.ts'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import type { TransportCertificate } from '@libp2p/webrtc'
import { noise } from '@libp2p/noise'
import { noiseCipher } from './noise-cipher.ts'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { PrivateKey, PeerDiscovery, ComponentLogger, Metrics, Transport } from '@libp2p/interface'
import { peerRoutingSymbol } from '@libp2p/interface'
import { announceFilter } from './addresses.ts'
import type { ReachabilityService } from './reachability.ts'
import type { PunchService } from './punch.ts'
import type { RendezvousService } from './rendezvous.ts'
import type { RefusedCopies } from './refused-copies.ts'

export interface SwarmServices extends Record<string, unknown> {
  identify: unknown
  ping: Ping
  pubsub: GossipSub
  /** Absent when the operator opted out of relaying for others (nat.relay.server false). */
  relay?: CircuitRelayService
  reach?: ReachabilityService
  punch?: PunchService
  rendezvous?: RendezvousService
  dht?: { setMode: (mode: 'client' | 'server') => Promise<void>, getMode: () => 'client' | 'server' }
}

export type SwarmLibp2p = Libp2p<SwarmServices>

/** Connections at most (libp2p prunes the least valued beyond it; kept links go last). */
export const MAX_CONNECTIONS = 300
/** The connection monitor's ping: how often, and the least time a ping may take before the link is cut. */
export const CONNECTION_PING_INTERVAL_MS = 15_000
export const CONNECTION_PING_TIMEOUT_MS = 20_000

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
  /** Gossipsub peer scoring (see scoreParams()); without it gossipsub's defaults apply. */
  scoring?: ScoringInit
  /** Discovery and NAT traversal beyond one LAN; without it none of those parts load. */
  nat?: NatInit
  /** Remembers message ids so that a copy refused before judgement can be forgotten (refused-copies.ts). */
  refusedCopies?: RefusedCopies
}

export interface NatInit {
  /** Ask peers to dial back, learn public / behind NAT, reserve a relay when behind it. */
  reachability: boolean
  reserveRelay: boolean
  /** Relay for others (reservations on this node), limited to maxReservations. */
  relayServer: boolean
  maxReservations: number
  /** Upgrade relayed connections to direct (WebRTC needs iceServers; DCUtR runs regardless). */
  holePunch: boolean
  /** Map the listen ports on the home gateway (UPnP IGD / NAT-PMP). */
  upnp: boolean
  /** swarmd's own DHT and the federation rendezvous on it. */
  dht: boolean
  /** Scopes the rendezvous advertises and searches: federation ids, and 'global'. */
  scopes: string[]
  peersPerScope: number
  /** Counts refused /swarm/reach requests by reason. */
  onReachRefused?: (reason: string) => void
}

export interface ScoringInit {
  /** Topics known at start (this federation's, the global ones): scored with topic parameters. */
  topics: string[]
  /** Below this score a peer's RPCs are ignored (gossipsub graylist). */
  graylistThreshold: number
  /** Gossipsub P5, e.g. PeerGuard.appScore (invalid messages on unscored topics). */
  appSpecificScore: (peerId: string) => number
  /** Connection gater: refuse this peer (banned after staying graylisted). */
  isBanned: (peerId: string) => boolean
}

/**
 * Peer scoring tuned for envelopes: an invalid message (our validators say reject) costs the
 * square of a counter decaying 10 % a second (P4, weight -1), so about ten invalid messages in
 * a few seconds put a peer below the graylist threshold (-80), while positive scores are
 * capped at +10. Mesh-delivery penalties (P3, P3b) are off: our topics are quiet most of the
 * time, and gossipsub would otherwise punish honest peers for not delivering traffic that
 * does not exist.
 */
export function scoreOptions (s: ScoringInit): { scoreParams: Record<string, unknown>, scoreThresholds: Record<string, number> } {
  const topic = {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -1,
    invalidMessageDeliveriesDecay: 0.9
  }
  const gossip = Math.min(-10, s.graylistThreshold / 8)
  return {
    scoreParams: {
      topics: Object.fromEntries(s.topics.map((t) => [t, { ...topic }])),
      topicScoreCap: 10,
      appSpecificScore: s.appSpecificScore,
      appSpecificWeight: 1,
      decayInterval: 1000,
      decayToZero: 0.1
    },
    scoreThresholds: {
      gossipThreshold: gossip,
      publishThreshold: Math.max(s.graylistThreshold, Math.min(gossip, s.graylistThreshold * 5 / 8)),
      graylistThreshold: s.graylistThreshold,
      acceptPXThreshold: 10,
      opportunisticGraftThreshold: 3
    }
  }
}

/**
 * Message id from the signed content (src/envelope/msg-id.ts): byte variants of one envelope are
 * one message. The page computes the same id with noble's sha256; synchronous, so no promise
 * per message.
 */
export function contentMsgId (topic: string, data: Uint8Array): Uint8Array {
  return envelopeMsgId(topic, data, () => createHash('sha256'))
}

/**
 * Gossipsub's fast id (a local cache key in front of msgIdFn, never sent): the topic and a hash of
 * the whitespace-stripped bytes, so whitespace variants of a message already seen are dropped
 * without a parse, and only texts that parse to the same value share one. The hash is fixed-length
 * at the end, so the key is unambiguous whatever the topic holds.
 */
export function fastMsgId (topic: string, data: Uint8Array): string {
  // one-shot hash of the bytes as they are (no copy when there is nothing to strip): a Hash
  // object per message costs more than the hashing
  return topic + '\u0000' + hash('sha256', stripJsonSpace(data), 'base64')
}

/**
 * Transports and discovery are imported only when configured: WebRTC alone adds ~25 MB of
 * resident memory and ~0.3 s of start time to a daemon that may never see a browser. The ones
 * needed are imported all at once: one import's file reads overlap another's compiling.
 */
export async function createSwarmNode (init: NetInit): Promise<SwarmLibp2p> {
  const msgId = (msg: { topic: string, data: Uint8Array }): Uint8Array => contentMsgId(msg.topic, msg.data)
  const wants = (proto: string): boolean => [...init.listen, ...init.bootstrap].some((a) => a.includes(proto))
  const nat = init.nat
  // WebRTC punches only with a STUN server to learn the NAT's mapping (DESIGN.md)
  const webrtcPunch = nat !== undefined && nat.holePunch && init.iceServers.length > 0
  const listen = webrtcPunch && !init.listen.includes('/webrtc') ? [...init.listen, '/webrtc'] : init.listen
  const rtcConfiguration = { iceServers: init.iceServers }
  const [boot, mdns, ws, rtc, extra] = await Promise.all([
    init.bootstrap.length > 0 ? import('@libp2p/bootstrap') : undefined,
    init.mdns ? import('@libp2p/mdns') : undefined,
    wants('/ws') || init.browserPeers === true ? import('@libp2p/websockets') : undefined,
    wants('/webrtc') || init.browserPeers === true || webrtcPunch ? import('@libp2p/webrtc') : undefined,
    nat === undefined ? {} : natServices(nat, webrtcPunch)
  ])
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (boot !== undefined) peerDiscovery.push(boot.bootstrap({ list: init.bootstrap, timeout: 100 }))
  if (mdns !== undefined) peerDiscovery.push(mdns.mdns())
  const transports: Array<(components: any) => Transport> = [tcp()]
  if (ws !== undefined) transports.push(ws.webSockets())
  if (rtc !== undefined) transports.push(rtc.webRTCDirect({ rtcConfiguration, certificate: init.webrtcCertificate }), rtc.webRTC({ rtcConfiguration }))

  const node = await createLibp2p({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen, announce: init.announce ?? [], announceFilter },
    transports: [...transports, circuitRelayTransport()],
    connectionEncrypters: [noise({ crypto: noiseCipher() })],
    streamMuxers: [yamux()],
    peerDiscovery,
    // Loopback and private addresses are fine for a daemon (tests run on 127.0.0.1).
    connectionGater: {
      denyDialMultiaddr: () => false,
      denyDialPeer: (peerId) => init.scoring?.isBanned(peerId.toString()) ?? false,
      denyInboundEncryptedConnection: (peerId) => init.scoring?.isBanned(peerId.toString()) ?? false
    },
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      // libp2p refuses more than 5 inbound connections a second from one host. Every peer on this
      // machine is 127.0.0.1 (a test swarm, the operator's own tools), and reachability dial-backs,
      // rendezvous and the operator's own `connect` arrive together; the machine is not a stranger.
      allow: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128']
    },
    // libp2p aborts a connection whose ping is not answered within 5 s; on a saturated CPU (a
    // hundred daemons on two cores) healthy links were cut that way and the swarm partitioned.
    // A dead peer still shows as a closed socket at once; only a silent one waits longer.
    connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL_MS, pingTimeout: { minTimeout: CONNECTION_PING_TIMEOUT_MS, maxTimeout: 60_000 } },
    metrics: init.metrics,
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        msgIdFn: init.refusedCopies?.msgIdFn(msgId) ?? msgId,
        fastMsgIdFn: (msg) => fastMsgId(msg.topic, msg.data ?? new Uint8Array()),
        // Envelopes are checked by our topic validators; gossipsub must wait for them.
        asyncValidation: false,
        ...(init.scoring === undefined ? {} : scoreOptions(init.scoring) as any)
      }),
      ...(nat?.relayServer === false ? {} : { relay: relayServer(nat?.maxReservations ?? 128) }),
      ...extra
    }
  }) as unknown as SwarmLibp2p
  if (nat !== undefined) wireNat(node)
  if (init.refusedCopies !== undefined && !init.refusedCopies.attach(node.services.pubsub)) throw new Error('gossipsub no longer has the seen caches src/net/refused-copies.ts forgets refused copies from')
  return node
}

/**
 * Circuits are not data-limited (browser peers and symmetric-NAT peers live on them), so the
 * relay is limited in how many peers it holds slots for and how many circuits it carries.
 */
function relayServer (maxReservations: number): (components: any) => CircuitRelayService {
  return circuitRelayServer({
    reservations: { maxReservations, applyDefaultLimit: false },
    maxInboundHopStreams: Math.max(16, maxReservations),
    maxOutboundStopStreams: Math.max(16, maxReservations)
  })
}

async function natServices (nat: NatInit, webrtcPunch: boolean): Promise<Record<string, (components: any) => unknown>> {
  const out: Record<string, (components: any) => unknown> = {}
  // all at once, as in createSwarmNode
  const [kad, rdv, { identifyPush }, { reachability }, punchMod, dcutrMod, upnpMod] = await Promise.all([
    nat.dht ? import('@libp2p/kad-dht') : undefined,
    nat.dht ? import('./rendezvous.ts') : undefined,
    import('@libp2p/identify'),
    import('./reachability.ts'),
    nat.holePunch ? import('./punch.ts') : undefined,
    nat.holePunch ? import('@libp2p/dcutr') : undefined,
    nat.upnp ? import('@libp2p/upnp-nat') : undefined
  ])
  if (kad !== undefined && rdv !== undefined) {
    const { kadDHT } = kad
    const { rendezvous, dhtPeerInfoMapper, PROTOCOL_DHT } = rdv
    // a client until peers confirm we can be dialled: an undialable server in others' routing
    // tables sends their queries into relays and timeouts
    const dht = kadDHT({ protocol: PROTOCOL_DHT, clientMode: true, peerInfoMapper: dhtPeerInfoMapper, logPrefix: 'swarm:dht', datastorePrefix: '/swarm-dht', metricsPrefix: 'swarm_dht' })
    // content routing (the rendezvous's provider records, which carry addresses) but not peer
    // routing: libp2p merges every dial to one peer into one job, so a DHT walk for a peer whose id
    // was only heard in gossip held up the operator's own `connect` to it until both timed out
    out.dht = (components: any) => {
      const service = dht(components) as object
      Object.defineProperty(service, peerRoutingSymbol, { value: undefined })
      return service
    }
    out.rendezvous = rendezvous({ scopes: nat.scopes, peersPerScope: nat.peersPerScope })
  }
  // peers must hear at once when we start serving the DHT or gain a relay address
  out.identifyPush = identifyPush()
  out.reach = reachability({ check: nat.reachability, reserveRelay: nat.reserveRelay, onRefused: nat.onReachRefused })
  if (punchMod !== undefined && dcutrMod !== undefined) {
    out.punch = punchMod.punch({ webrtc: webrtcPunch })
    out.dcutr = dcutrMod.dcutr()
  }
  if (upnpMod !== undefined) out.upnp = upnpMod.uPnPNAT()
  return out
}

/** The parts that need each other once the node exists. */
function wireNat (node: SwarmLibp2p): void {
  const { reach, punch: puncher, dht } = node.services
  if (reach !== undefined && dht !== undefined) {
    reach.onChange = (r) => {
      if (r === 'unknown') return
      dht.setMode(r === 'public' ? 'server' : 'client').catch(() => {})
    }
  }
  if (puncher !== undefined) {
    const id = node.services.identify as { identify?: (c: any) => Promise<unknown> }
    puncher.reidentify = async (conn) => await id.identify?.(conn)
  }
}
