// Which host a connection comes from (src/net/host-key.ts): an IPv4 address or an IPv6 /64,
// whatever the spelling; circuits through a relay together, apart from the relay; none for
// loopback and WebRTC, whose limits stay per peer.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { multiaddr } from '@multiformats/multiaddr'
import { hostKey, PeerHosts } from '../../../src/net/host-key.ts'

const PEER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

describe('host key', () => {
  it('names IPv4 hosts and IPv6 /64s, and no host for loopback, relayed or unknown addresses', () => {
    const key = (a: string): string | undefined => hostKey(multiaddr(a))
    expect(key('/ip4/203.0.113.4/tcp/1')).toBe('ip4/203.0.113.4')
    expect(key('/ip4/198.51.100.7/udp/9/webrtc-direct')).toBe('ip4/198.51.100.7')
    expect(key('/ip6/2001:db8:1:2:3:4:5:6/tcp/1')).toBe('ip6/2001:0db8:0001:0002::/64')
    expect(key('/ip6/::ffff:203.0.113.9/tcp/1')).toBe('ip4/203.0.113.9')
    // circuits through a relay count together, apart from the relay's own direct traffic
    expect(key(`/ip4/203.0.113.4/tcp/1/p2p/${PEER}/p2p-circuit/p2p/${PEER}`)).toBe('circuit/ip4/203.0.113.4')
    // a WebRTC connection punched through a relay is direct: not the relay's
    for (const none of ['/ip4/127.0.0.1/tcp/1', '/ip4/127.9.9.9/tcp/1', '/ip6/::1/tcp/1', '/ip6/::ffff:127.0.0.1/tcp/1', `/p2p/${PEER}/p2p-circuit/p2p/${PEER}`, `/webrtc/p2p/${PEER}`, `/ip4/203.0.113.4/tcp/1/p2p/${PEER}/p2p-circuit/webrtc/p2p/${PEER}`, '/dns4/example.com/tcp/1']) {
      expect(key(none), none).toBeUndefined()
    }
    expect(hostKey(undefined)).toBeUndefined()
  })

  it('a peer\'s host is its direct connection\'s, else its circuits\'; forgotten with its last connection', () => {
    const target = new EventTarget()
    const hosts = new PeerHosts(target as any)
    const conn = (id: string, addr: string): CustomEvent => new CustomEvent('x', { detail: { id, remotePeer: PEER, remoteAddr: multiaddr(addr) } })
    const emit = (type: string, e: CustomEvent): void => { target.dispatchEvent(new CustomEvent(type, { detail: e.detail })) }
    emit('connection:open', conn('c1', `/ip4/203.0.113.4/tcp/1/p2p/${PEER}/p2p-circuit/p2p/${PEER}`))
    expect(hosts.of(PEER)).toBe('circuit/ip4/203.0.113.4')
    emit('connection:open', conn('c2', '/ip4/198.51.100.7/tcp/4001'))
    expect(hosts.of(PEER)).toBe('ip4/198.51.100.7')
    emit('connection:close', conn('c2', '/ip4/198.51.100.7/tcp/4001'))
    expect(hosts.of(PEER)).toBe('circuit/ip4/203.0.113.4')
    emit('connection:close', conn('c1', '/ip4/203.0.113.4/tcp/1'))
    expect(hosts.of(PEER)).toBeUndefined()
    hosts.stop()
  })

  it('property: every address of one /64, however written, is one host; another /64 is another', () => {
    const group = fc.integer({ min: 0, max: 0xffff })
    fc.assert(fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.array(group, { minLength: 4, maxLength: 4 }), fc.boolean(), (g, low, upper) => {
      fc.pre(g[0] >= 0x2000 && g[0] < 0x4000) // global unicast: never loopback or IPv4-mapped
      const hex = (n: number): string => upper ? n.toString(16).toUpperCase() : n.toString(16)
      const full = g.map(hex).join(':')
      const sibling = [...g.slice(0, 4), ...low].map(hex).join(':')
      const padded = g.map((n) => n.toString(16).padStart(4, '0')).join(':')
      const a = hostKey(multiaddr(`/ip6/${full}/tcp/1`))
      expect(a).toBeDefined()
      expect(hostKey(multiaddr(`/ip6/${sibling}/tcp/2`))).toBe(a)
      expect(hostKey(multiaddr(`/ip6/${padded}/udp/3/webrtc-direct`))).toBe(a)
      const other = [...g]
      other[3] = (other[3] + 1) & 0xffff
      expect(hostKey(multiaddr(`/ip6/${other.map(hex).join(':')}/tcp/1`))).not.toBe(a)
    }), { numRuns: 300 })
  })
})
