import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { REACH_MAX_FRAME, dialBackTargets, hostKey, judgeReachability, parseReachRequest, type ReachAnswer } from '../../../src/net/reach-rules.ts'

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))
const PEER = '12D3KooWGhonHiBnRqPttetDL1zXMZiB2SJ4x3V6NvgSv1UcacXp'

describe('reach request parsing', () => {
  it('accepts every valid request', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 4 }), (tcp) => {
      const r = parseReachRequest(enc({ tcp }))
      return r.ok && r.value.tcp.join() === tcp.join()
    }))
  })

  it('rejects garbage with a stable reason, never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
      const r = parseReachRequest(bytes)
      return r.ok ? Array.isArray(r.value.tcp) : ['bad-json', 'bad-schema', 'too-large'].includes(r.reason)
    }))
    expect(parseReachRequest(enc('{'))).toEqual({ ok: false, reason: 'bad-json' })
    expect(parseReachRequest(enc({ tcp: [1, 2, 3, 4, 5] }))).toEqual({ ok: false, reason: 'bad-schema' })
    expect(parseReachRequest(enc({ tcp: [80], addr: '/ip4/8.8.8.8/tcp/80' }))).toEqual({ ok: false, reason: 'bad-schema' })
    expect(parseReachRequest(enc({ tcp: [0] }))).toEqual({ ok: false, reason: 'bad-schema' })
    expect(parseReachRequest(enc({ tcp: [80, 80] }))).toEqual({ ok: false, reason: 'bad-schema' })
    expect(parseReachRequest(new Uint8Array(REACH_MAX_FRAME + 1))).toEqual({ ok: false, reason: 'too-large' })
  })
})

describe('dial-back targets', () => {
  it('only the IP the request came from, never another host', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 4 }), (d, tcp) => {
      const ip = `198.51.100.${d}`
      const t = dialBackTargets(ip, false, { tcp }, PEER)
      return t.ok && t.value.length === tcp.length && t.value.every((a) => a.startsWith(`/ip4/${ip}/tcp/`) && a.endsWith(`/p2p/${PEER}`))
    }))
  })

  it('refuses relayed, loopback and private requesters', () => {
    expect(dialBackTargets('203.0.113.4', true, { tcp: [1] }, PEER)).toEqual({ ok: false, reason: 'not-routable' })
    for (const ip of ['127.0.0.1', '10.0.0.1', '192.168.1.1', undefined]) expect(dialBackTargets(ip, false, { tcp: [1] }, PEER)).toEqual({ ok: false, reason: 'not-routable' })
  })
})

describe('reachability verdict', () => {
  const answer = fc.record({ peer: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5'), reachable: fc.boolean(), at: fc.integer({ min: 0, max: 1000 }) })

  it('is the majority of the latest answer per distinct peer, whatever the order', () => {
    fc.assert(fc.property(fc.array(answer, { maxLength: 20 }), (answers) => {
      const v1 = judgeReachability(answers, 1000)
      const v2 = judgeReachability([...answers].reverse().map((a) => ({ ...a })), 1000)
      const latest = new Map<string, ReachAnswer>()
      for (const a of [...answers].sort((x, y) => x.at - y.at)) latest.set(a.peer, a)
      const yes = [...latest.values()].filter((a) => a.reachable).length
      const no = latest.size - yes
      // equal timestamps from one peer may disagree: then the order decides, but only for that peer
      const ties = answers.some((a) => answers.some((b) => a.peer === b.peer && a.at === b.at && a.reachable !== b.reachable))
      return ties || (v1 === v2 && v1 === (yes > no ? 'public' : no > yes ? 'private' : 'unknown'))
    }))
  })

  it('one lying peer cannot outvote two honest ones; stale answers do not count', () => {
    const now = 1_000_000
    expect(judgeReachability([{ peer: 'a', reachable: false, at: now }, { peer: 'b', reachable: false, at: now }, { peer: 'liar', reachable: true, at: now }], now)).toBe('private')
    expect(judgeReachability([{ peer: 'a', reachable: true, at: now - 11 * 60_000 }], now)).toBe('unknown')
    expect(judgeReachability([], now)).toBe('unknown')
    // repeated answers from one peer count once
    expect(judgeReachability([{ peer: 'x', reachable: true, at: 1 }, { peer: 'x', reachable: true, at: 2 }, { peer: 'y', reachable: false, at: 2 }], 3)).toBe('unknown')
    // many identities from one address count once: two honest hosts outvote ten liars behind one
    const liars = Array.from({ length: 10 }, (_, i) => ({ peer: `liar${i}`, reachable: true, at: now, host: '203.0.113.9' }))
    expect(judgeReachability([...liars, { peer: 'a', reachable: false, at: now, host: '198.51.100.1' }, { peer: 'b', reachable: false, at: now, host: '198.51.100.2' }], now)).toBe('private')
    // and many addresses of one IPv6 /64 count once
    const v6 = Array.from({ length: 10 }, (_, i) => ({ peer: `v6liar${i}`, reachable: true, at: now, host: `2001:db8:1:2::${(i + 1).toString(16)}` }))
    expect(judgeReachability([...v6, { peer: 'a', reachable: false, at: now, host: '198.51.100.1' }, { peer: 'b', reachable: false, at: now, host: '2001:db8:9::1' }], now)).toBe('private')
    expect(hostKey('2001:0db8:0001:0002:0000:0000:0000:00ff')).toBe(hostKey('2001:db8:1:2::1'))
    expect(hostKey('203.0.113.9')).toBe('203.0.113.9')
  })
})
