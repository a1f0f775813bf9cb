// Which addresses are worth telling a remote peer about. Pure functions over IP text and
// multiaddrs. The three IPv4 documentation ranges (RFC 5737) count as public here, on purpose:
// they never appear on the real internet, and swarmd's simulated networks use them as its
// "internet", so reachability, relaying and hole punching behave there as they would for real
// (@libp2p/utils isPrivate calls them private, which is why stock AutoNAT and DCUtR skip them).

import type { Multiaddr } from '@multiformats/multiaddr'

export type AddressClass = 'loopback' | 'unspecified' | 'link-local' | 'private' | 'shared' | 'documentation' | 'public'

const DOCUMENTATION_V4 = ['192.0.2.', '198.51.100.', '203.0.113.']

function v4Octets (ip: string): number[] | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  const n = parts.map((p) => /^\d{1,3}$/.test(p) ? Number(p) : NaN)
  return n.every((x) => x >= 0 && x <= 255) ? n : undefined
}

/** Classifies an IPv4 or IPv6 address given as text; anything unparseable is 'unspecified'. */
export function classifyIp (ip: string): AddressClass {
  const v4 = v4Octets(ip)
  if (v4 !== undefined) {
    const [a, b] = v4
    if (DOCUMENTATION_V4.some((p) => ip.startsWith(p))) return 'documentation'
    if (a === 127) return 'loopback'
    if (a === 0) return 'unspecified'
    if (a === 169 && b === 254) return 'link-local'
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'
    if (a === 100 && b >= 64 && b <= 127) return 'shared' // carrier-grade NAT (RFC 6598)
    if (a >= 224) return 'unspecified' // multicast and reserved: never a peer's address
    return 'public'
  }
  const v6 = ip.toLowerCase()
  if (!v6.includes(':')) return 'unspecified'
  if (v6 === '::1') return 'loopback'
  if (v6 === '::') return 'unspecified'
  if (/^fe[89ab]/.test(v6)) return 'link-local'
  if (/^f[cd]/.test(v6)) return 'private' // unique local addresses
  if (v6.startsWith('2001:db8:') || v6.startsWith('2001:0db8:')) return 'documentation'
  if (v6.startsWith('::ffff:')) return classifyIp(v6.slice(7))
  if (/^ff/.test(v6)) return 'unspecified'
  return 'public'
}

/** Reachable from another network: public, or a documentation range (the simulated internet). */
export function isRoutableIp (ip: string): boolean {
  const c = classifyIp(ip)
  return c === 'public' || c === 'documentation'
}

/** Loopback, link-local or unspecified: useless to any other host. */
export function isHostOnlyIp (ip: string): boolean {
  const c = classifyIp(ip)
  return c === 'loopback' || c === 'link-local' || c === 'unspecified'
}

/** The IP host of a multiaddr's first component, or undefined (dns, circuit-only, …). */
export function hostOf (ma: Multiaddr): string | undefined {
  const first = ma.getComponents()[0]
  if (first === undefined) return undefined
  return first.name === 'ip4' || first.name === 'ip6' ? first.value : undefined
}

export function isRelayed (ma: Multiaddr): boolean {
  return ma.getComponents().some((c) => c.name === 'p2p-circuit')
}

/**
 * What identify tells peers: without loopback, link-local and unspecified addresses, unless
 * those are all the node has (a daemon bound to 127.0.0.1 for a local test or a single host).
 * Private LAN addresses stay: peers on the same LAN (mDNS) dial them.
 */
export function announceFilter (addrs: Multiaddr[]): Multiaddr[] {
  const useful = addrs.filter((ma) => {
    const host = hostOf(ma)
    return host === undefined || !isHostOnlyIp(host)
  })
  return useful.length > 0 ? useful : addrs
}

/**
 * What goes to strangers through the DHT: only addresses another network can dial (routable
 * hosts, names, and circuits through a routable relay).
 */
export function remoteAddresses (addrs: Multiaddr[]): Multiaddr[] {
  return addrs.filter((ma) => {
    const host = hostOf(ma)
    if (host !== undefined) return isRoutableIp(host)
    const first = ma.getComponents()[0]?.name ?? ''
    return first.startsWith('dns')
  })
}
