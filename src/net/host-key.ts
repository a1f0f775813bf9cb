// Which host a connection comes from, for limits a stranger must not multiply by making keys.
// Peer ids are free: eight identities from one machine held every slot a protocol had for
// inbound streams (256 at once, 32 a peer), and each got its own share of the stream rate. So
// the stream gate and the admission also count by host: an IPv4 address, or an IPv6 /64 (one
// subscriber's prefix). No node: imports (pure).
//
// A relayed connection counts as the relay's host (its address starts with the relay's): any
// connected peer can make itself a relay and have this node take circuits through it, each from
// a fresh identity and, unless the relay says otherwise, unlimited, so counted per peer they
// escaped every per-host limit. Honest peers behind one public relay share its host's share until
// they upgrade to a direct connection (hole punching).
//
// No host (undefined; the peer id alone counts) for loopback — this machine is the operator's
// (its own tools, a test swarm), as libp2p's own per-host connection rate exempts it — and for an
// address without an IP (a WebRTC connection's `/webrtc/p2p/…`).

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
  try {
    bytes = addr.bytes
  } catch {
    return undefined
  }
  // the address's own bytes: no text to parse (IPv6 has many spellings of one address)
  if (bytes[0] === IP4 && bytes.length >= 5) return ipv4Key(bytes.subarray(1, 5))
  if (bytes[0] === IP6 && bytes.length >= 17) return ipv6Key(bytes.subarray(1, 17))
  return undefined
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
 * message) asks by peer id and gets a map lookup. A peer with a direct connection has that
 * connection's host; one reached only through relays has none (counted per peer).
 */
export class PeerHosts {
  /** peer → connection id → host (undefined: loopback, relayed). */
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
    for (const host of conns.values()) if (host !== undefined) return host
    return undefined
  }

  stop (): void {
    this.events.removeEventListener('connection:open', this.onOpen)
    this.events.removeEventListener('connection:close', this.onClose)
    this.byPeer.clear()
  }
}
