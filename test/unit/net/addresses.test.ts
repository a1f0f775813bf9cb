import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { multiaddr } from '@multiformats/multiaddr'
import { announceFilter, classifyIp, isRoutableIp, remoteAddresses } from '../../../src/net/addresses.ts'
import { connectionPath, webrtcUpgradeAddr } from '../../../src/net/punch.ts'
import { networkMode, relaysOf } from '../../../src/net/service.ts'
import { bindingResponse } from '../../netns/stun-server.ts'

const PEER = '12D3KooWGhonHiBnRqPttetDL1zXMZiB2SJ4x3V6NvgSv1UcacXp'
const RELAY = '12D3KooWMmi7byFT9G1b1nZJ3GD2NUAy2Vapm2tb9KpjbJiYjNvw'
const octet = fc.integer({ min: 0, max: 255 })

describe('address classes', () => {
  it('the documentation ranges count as routable (the simulated internet); private ones do not', () => {
    for (const ip of ['192.0.2.1', '198.51.100.200', '203.0.113.9', '8.8.8.8', '2001:db8::1', '2a00::1']) expect(isRoutableIp(ip), ip).toBe(true)
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '224.0.0.251', 'nonsense']) expect(isRoutableIp(ip), ip).toBe(false)
    expect(classifyIp('203.0.113.1')).toBe('documentation')
    expect(classifyIp('::ffff:127.0.0.1')).toBe('loopback')
  })

  it('every 203.0.113.x, 198.51.100.x and 192.0.2.x is documentation; 10.x is private', () => {
    fc.assert(fc.property(fc.constantFrom('192.0.2', '198.51.100', '203.0.113'), octet, (net, d) => classifyIp(`${net}.${d}`) === 'documentation'))
    fc.assert(fc.property(octet, octet, octet, (b, c, d) => classifyIp(`10.${b}.${c}.${d}`) === 'private'))
  })

  it('announce drops loopback and link-local unless they are all there is', () => {
    const lo = multiaddr('/ip4/127.0.0.1/tcp/7700')
    const lan = multiaddr('/ip4/192.168.1.5/tcp/7700')
    const doc = multiaddr('/ip4/203.0.113.5/tcp/7700')
    expect(announceFilter([lo, lan, doc]).map(String)).toEqual([lan, doc].map(String))
    expect(announceFilter([lo]).map(String)).toEqual([String(lo)])
    const circuit = multiaddr(`/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit`)
    expect(announceFilter([lo, circuit]).map(String)).toEqual([String(circuit)])
  })

  it('the DHT tells strangers only routable addresses, names and circuits through routable relays', () => {
    const addrs = ['/ip4/127.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/1', '/ip4/198.51.100.3/tcp/1', '/dns4/example.org/tcp/1', `/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`, `/ip4/192.168.0.1/tcp/1/p2p/${RELAY}/p2p-circuit`]
    expect(remoteAddresses(addrs.map((a) => multiaddr(a))).map(String)).toEqual([addrs[2], addrs[3], addrs[4]])
  })

  it('announce never returns an empty list from a non-empty one', () => {
    fc.assert(fc.property(fc.array(fc.tuple(octet, octet, octet, octet), { minLength: 1, maxLength: 6 }), (ips) => {
      const addrs = ips.map(([a, b, c, d]) => multiaddr(`/ip4/${a}.${b}.${c}.${d}/tcp/7700`))
      return announceFilter(addrs).length > 0
    }))
  })
})

describe('connection paths', () => {
  it('direct, relayed, punched from the remote address', () => {
    expect(connectionPath('/ip4/203.0.113.1/tcp/7700')).toBe('direct')
    expect(connectionPath(`/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`)).toBe('relayed')
    expect(connectionPath(`/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe('punched')
    expect(connectionPath(`/webrtc/p2p/${PEER}`)).toBe('punched')
    expect(connectionPath('/ip4/203.0.113.1/udp/7702/webrtc-direct')).toBe('direct')
  })

  it('the WebRTC upgrade address of a relayed connection', () => {
    const relayed = multiaddr(`/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`)
    expect(webrtcUpgradeAddr(relayed, PEER)?.toString()).toBe(`/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)
    expect(webrtcUpgradeAddr(multiaddr('/ip4/203.0.113.1/tcp/7700'), PEER)).toBeUndefined()
  })

  it('status mode from reachability and relays; relays from our own circuit addresses', () => {
    expect(networkMode('public', 0)).toBe('public')
    expect(networkMode('private', 1)).toBe('behind-nat-relayed')
    expect(networkMode('private', 0)).toBe('behind-nat')
    expect(networkMode('unknown', 0)).toBe('unknown')
    expect(relaysOf([`/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`, `/ip4/203.0.113.1/tcp/7700/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`, '/ip4/192.0.2.2/tcp/7700'])).toEqual([RELAY])
  })
})

describe('the test STUN responder', () => {
  it('answers a Binding request with the XOR-mapped source address', () => {
    const req = Buffer.alloc(20)
    req.writeUInt16BE(0x0001, 0)
    req.writeUInt32BE(0x2112a442, 4)
    req.fill(7, 8, 20)
    const res = bindingResponse(req, '203.0.113.11', 50000) as Buffer
    expect(res.readUInt16BE(0)).toBe(0x0101)
    expect(res.subarray(8, 20)).toEqual(req.subarray(8, 20))
    expect(res.readUInt16BE(20)).toBe(0x0020)
    expect(res.readUInt16BE(26) ^ 0x2112).toBe(50000)
    expect(((res.readUInt32BE(28) ^ 0x2112a442) >>> 0).toString(16)).toBe((((203 << 24) | (0 << 16) | (113 << 8) | 11) >>> 0).toString(16))
    expect(bindingResponse(Buffer.from('garbage'), '203.0.113.11', 1)).toBeUndefined()
  })
})
