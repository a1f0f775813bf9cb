// Which host a connection comes from, for limits a stranger must not multiply by making keys.
// Peer ids are free: eight identities from one machine held every slot a protocol had for
// inbound streams (256 at once, 32 a peer), and each got its own share of the stream rate. So
// the stream gate and the admission also count by host: an IPv4 address, or an IPv6 /64 (one
// subscriber's prefix). No node: imports (pure).
//
// Circuits through a relay count together, as `circuit/<the relay's host>` (a relayed address
// starts with the relay's): any connected peer can make itself a relay and have this node take
// circuits through it, each from a fresh identity and, unless the relay says otherwise, unlimited,
// so counted per peer they escaped every per-host limit. Kept apart from the relay's own direct
// traffic, which strangers' circuits must not starve. Honest peers behind one public relay share
// one host's share until they upgrade to a direct connection (hole punching).
//
// No host (undefined; the peer id alone counts) for loopback — this machine is the operator's
// (its own tools, a test swarm), as libp2p's own per-host connection rate exempts it — and for an
// address without an IP: a WebRTC connection (`/webrtc/p2p/…`, or the dialled
// `<relay>/p2p-circuit/webrtc/p2p/…` of one this node punched, which is direct, not the relay's).

import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * How many peers' worth of a per-peer allowance one host gets, all its peers together: a home or
 * an office behind one address may run a few honest nodes; a stranger's hundred identities on one
 * machine get no more than that.
 */
export const HOST_PEERS = 4

/** Multiaddr codes (one-byte varints) of the address families that name a host. */
const IP4 = 0x04
const IP6 = 0x29

export function hostKey (addr: Multiaddr | undefined): string | undefined {
  if (addr === undefined) return undefined
  let bytes: Uint8Array
  let circuit = false
  try {
    const names = addr.getComponents().map((c) => c.name)
    const at = names.indexOf('p2p-circuit')
    if (at >= 0 && names.slice(at + 1).includes('webrtc')) return undefined
    circuit = at >= 0
    bytes = addr.bytes
  } catch {
    return undefined
  }
  // the address's own bytes: no text to parse (IPv6 has many spellings of one address)
  let host: string | undefined
  if (bytes[0] === IP4 && bytes.length >= 5) host = ipv4Key(bytes.subarray(1, 5))
  else if (bytes[0] === IP6 && bytes.length >= 17) host = ipv6Key(bytes.subarray(1, 17))
  return host !== undefined && circuit ? `circuit/${host}` : host
}

function ipv4Key (ip: Uint8Array): string | undefined {
  return ip[0] === 127 ? undefined : `ip4/${ip.join('.')}`
}

function ipv6Key (ip: Uint8Array): string | undefined {
  const zeros = (from: number, to: number): boolean => ip.subarray(from, to).every((b) => b === 0)
  // ::ffff:a.b.c.d is an IPv4 host; ::1 is loopback
  if (zeros(0, 10) && ip[10] === 0xff && ip[11] === 0xff) return ipv4Key(ip.subarray(12, 16))
  if (zeros(0, 15) && ip[15] === 1) return undefined
  const hex = [...ip.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `ip6/${hex.replace(/(.{4})(?!$)/g, '$1:')}::/64`
}

interface ConnectionLike { id: string, remotePeer: { toString: () => string }, remoteAddr: Multiaddr }
interface ConnectionEvents {
  addEventListener: (type: 'connection:open' | 'connection:close', fn: (e: CustomEvent<ConnectionLike>) => void) => void
  removeEventListener: (type: 'connection:open' | 'connection:close', fn: (e: CustomEvent<ConnectionLike>) => void) => void
}

/**
 * Each connected peer's host, kept from libp2p's connection events: the hot path (every gossip
 * message) asks by peer id and gets a map lookup: the host of one of its connections that has
 * one (a direct one's, else its circuits' relay's); none when none has (counted per peer).
 */
export class PeerHosts {
  /** peer → connection id → host (undefined: loopback, WebRTC). */
  private readonly byPeer = new Map<string, Map<string, string | undefined>>()
  private readonly events: ConnectionEvents
  private readonly onOpen = (e: CustomEvent<ConnectionLike>): void => {
    const peer = e.detail.remotePeer.toString()
    const conns = this.byPeer.get(peer) ?? new Map<string, string | undefined>()
    conns.set(e.detail.id, hostKey(e.detail.remoteAddr))
    this.byPeer.set(peer, conns)
  }

  private readonly onClose = (e: CustomEvent<ConnectionLike>): void => {
    const peer = e.detail.remotePeer.toString()
    const conns = this.byPeer.get(peer)
    conns?.delete(e.detail.id)
    if (conns?.size === 0) this.byPeer.delete(peer)
  }

  constructor (events: ConnectionEvents) {
    this.events = events
    events.addEventListener('connection:open', this.onOpen)
    events.addEventListener('connection:close', this.onClose)
  }

  of (peer: string): string | undefined {
    const conns = this.byPeer.get(peer)
    if (conns === undefined) return undefined
    // a direct connection's host before a circuit's
    let circuit: string | undefined
    for (const host of conns.values()) {
      if (host === undefined) continue
      if (!host.startsWith('circuit/')) return host
      circuit ??= host
    }
    return circuit
  }

  stop (): void {
    this.events.removeEventListener('connection:open', this.onOpen)
    this.events.removeEventListener('connection:close', this.onClose)
    this.byPeer.clear()
  }
}
