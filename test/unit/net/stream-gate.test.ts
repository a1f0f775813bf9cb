// The stream gate's node-wide bound: at most maxActive inbound streams of one protocol are
// handled at once, all peers together; the next is refused (`stream-limit`) and counted, and
// a slot freed lets the next stream through.

import { describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
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

  it('leaves ungated protocols alone', async () => {
    let registered: any
    const node = { handle: async (_p: any, h: any) => { registered = h } }
    gateInboundStreams(node, { protocols: new Set(['/p/1']), judge: () => ({ ok: false, action: 'reject', reason: 'x' }), maxActive: 0 })
    const h = async (): Promise<void> => {}
    await node.handle('/other/1', h)
    expect(registered).toBe(h)
  })
})
