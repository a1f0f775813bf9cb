// The stream gate's node-wide bound: at most maxActive inbound streams of one protocol are
// handled at once, all peers together; the next is refused (`stream-limit`) and counted, and
// a slot freed lets the next stream through.

import { describe, expect, it } from 'vitest'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { gateInboundStreams } from '../../../src/net/stream-gate.ts'

const PEER = peerIdFromString('12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK')
const stream = (): any => ({ protocol: '/p/1', aborted: false, abort () { this.aborted = true } })

describe('stream gate limits', () => {
  it('refuses streams beyond maxActive per protocol, counts them, and admits again once one ends', async () => {
    let gated: any
    const node = { handle: async (_p: any, h: any) => { gated = h } }
    const refused: string[] = []
    const stats = gateInboundStreams(node, {
      protocols: new Set(['/p/1']),
      judge: () => ({ ok: true }),
      onRefused: (_p, _peer, v) => { refused.push(v.reason) },
      maxActive: 2,
      maxActivePerPeer: 2 // one peer here: the node-wide bound is what is tested
    })
    const release: Array<() => void> = []
    let handled = 0
    await node.handle('/p/1', async () => { handled++; await new Promise<void>((resolve) => release.push(resolve)) })
    const conn = { remotePeer: PEER }
    const first = gated(stream(), conn)
    const second = gated(stream(), conn)
    const s3 = stream()
    await gated(s3, conn) // the third waits for nothing: refused at once
    expect(handled).toBe(2)
    expect(refused).toEqual(['stream-limit'])
    expect(s3.aborted).toBe(true) // the stub cannot carry the refusal frame: the stream is aborted
    expect(stats()['/p/1']).toEqual({ active: 2, max: 2, refused: 1 })
    release[0]()
    await first
    const fourth = gated(stream(), conn) // a slot is free again: honest traffic still flows
    expect(handled).toBe(3)
    release[1](); release[2]()
    await Promise.all([second, fourth])
    expect(stats()['/p/1']).toEqual({ active: 0, max: 2, refused: 1 })
  })

  it('one peer holds at most its share of the slots; another peer is still admitted', async () => {
    let gated: any
    const node = { handle: async (_p: any, h: any) => { gated = h } }
    const stats = gateInboundStreams(node, { protocols: new Set(['/p/1']), judge: () => ({ ok: true }), maxActive: 16 })
    const release: Array<() => void> = []
    let handled = 0
    await node.handle('/p/1', async () => { handled++; await new Promise<void>((resolve) => release.push(resolve)) })
    const hog = { remotePeer: PEER }
    const held = Array.from({ length: 2 }, () => gated(stream(), hog))
    const s3 = stream()
    await gated(s3, hog) // 16 / 8 = 2 for one peer: the third is refused
    expect(s3.aborted).toBe(true)
    expect(handled).toBe(2)
    const other = gated(stream(), { remotePeer: peerIdFromString('12D3KooWFKLds99tq6BpWddvYAVt278xYigzg4awPHApeLbPWbjK') })
    expect(handled).toBe(3)
    expect(stats()['/p/1']).toMatchObject({ active: 3, refused: 1 })
    for (const r of release) r()
    await Promise.all([...held, other])
    const again = gated(stream(), hog) // its share is free again
    expect(handled).toBe(4)
    release[3]()
    await again
  })

  it('one host\'s peers together hold at most the host\'s share; another host, and loopback, are still admitted', async () => {
    let gated: any
    const node = { handle: async (_p: any, h: any) => { gated = h } }
    const refused: string[] = []
    // 32 slots: 4 a peer, 8 a host
    gateInboundStreams(node, { protocols: new Set(['/p/1']), judge: () => ({ ok: true }), onRefused: (_p, _peer, v) => { refused.push(v.detail ?? '') }, maxActive: 32 })
    const release: Array<() => void> = []
    let handled = 0
    await node.handle('/p/1', async () => { handled++; await new Promise<void>((resolve) => release.push(resolve)) })
    const from = async (ip: string): Promise<{ remotePeer: any, remoteAddr: any }> => ({ remotePeer: peerIdFromPrivateKey(await generateKeyPair('Ed25519')), remoteAddr: multiaddr(`/ip4/${ip}/tcp/4001`) })
    // a stranger's identities on one host: two fill the host's share, the third gets nothing
    const sybils = await Promise.all([from('203.0.113.4'), from('203.0.113.4'), from('203.0.113.4')])
    const held = sybils.flatMap((c) => Array.from({ length: 4 }, () => gated(stream(), c)))
    await Promise.resolve()
    expect(handled).toBe(8)
    expect(refused).toEqual(Array.from({ length: 4 }, () => '8 /p/1 streams open from this host'))
    // honest traffic: another host, and this machine's own peers (loopback: no host), still get in
    const honest = [gated(stream(), await from('203.0.113.3')), gated(stream(), await from('127.0.0.1'))]
    expect(handled).toBe(10)
    for (const r of release) r()
    await Promise.all([...held, ...honest])
  })

  it('leaves ungated protocols alone', async () => {
    let registered: any
    const node = { handle: async (_p: any, h: any) => { registered = h } }
    gateInboundStreams(node, { protocols: new Set(['/p/1']), judge: () => ({ ok: false, action: 'reject', reason: 'x' }), maxActive: 0 })
    const h = async (): Promise<void> => {}
    await node.handle('/other/1', h)
    expect(registered).toBe(h)
  })
})
