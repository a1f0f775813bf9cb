// Which host a connection comes from, for limits a stranger must not multiply by making keys.
// Peer ids are free: eight identities from one machine held every slot a protocol had for
// inbound streams (256 at once, 32 a peer), and each got its own share of the stream rate. So
// the stream gate and the admission also count by host: an IPv4 address, or an IPv6 /64 (one
// subscriber's prefix). No node: imports (pure).
//
// No host (undefined; the peer id alone counts) for loopback — this machine is the operator's
// (its own tools, a test swarm), as libp2p's own per-host connection rate exempts it — and for a
// relayed connection, whose address is the relay's: every peer behind one relay would share it,
// and the relay itself limits what a relayed connection carries.

import type { Multiaddr } from '@multiformats/multiaddr'

/** Multiaddr codes (one-byte varints) of the address families that name a host. */
const IP4 = 0x04
const IP6 = 0x29

export function hostKey (addr: Multiaddr | undefined): string | undefined {
  if (addr === undefined) return undefined
  let bytes: Uint8Array
  try {
    if (addr.getComponents().some((c) => c.name === 'p2p-circuit')) return undefined
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
