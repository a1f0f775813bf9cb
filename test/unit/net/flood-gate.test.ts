// The flood gate: a peer whose traffic is mostly refused loses score, a relay whose refusals
// are a minority never does, and one peer never takes more than its share of a scope.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FloodGate, HOST_REFUSED, mostlyBad, outcomeOf } from '../../../src/net/flood-gate.ts'
import { HOST_PEERS } from '../../../src/net/host-key.ts'
import { PeerGuard, peerIdOfPubkey } from '../../../src/net/peer-guard.ts'
import { createSigner } from '../../../src/envelope/index.ts'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

const TOPIC = 'swarm/1/fed/fed:x/questions'

function gate (now: () => number): { gate: FloodGate, charged: Map<string, number> } {
  const charged = new Map<string, number>()
  const g = new FloodGate({ perPeer: { ratePerSec: 100, burst: 200 }, penalize: (p, w) => charged.set(p, (charged.get(p) ?? 0) + w), now })
  return { gate: g, charged }
}

describe('flood gate', () => {
  it('outcomes: accept good; rejects, rate-limited and duplicates bad; timing, equivocation and membership neutral', () => {
    expect(outcomeOf('accept')).toBe('good')
    for (const r of ['bad-json', 'bad-signature', 'wrong-scope']) expect(outcomeOf('reject', r)).toBe('bad')
    for (const r of ['rate-limited', 'duplicate', 'unknown-topic']) expect(outcomeOf('ignore', r)).toBe('bad')
    for (const r of ['expired', 'from-future', 'equivocation', 'sender-rate-limited']) expect(outcomeOf('ignore', r)).toBe('neutral')
    expect(outcomeOf('reject', 'not-member')).toBe('neutral')
  })

  it('mostlyBad: never when bad is at most the share, always when well over it with enough volume', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (good, bad) => {
      if (bad <= good) expect(mostlyBad(good, bad, 0.5, 20)).toBe(false)
      if (bad < 20) expect(mostlyBad(good, bad, 0.5, 20)).toBe(false)
      if (bad >= 20 && bad > 1.01 * good) expect(mostlyBad(good, bad, 0.5, 20)).toBe(true)
    }))
  })

  it('a flooder at 1,000 msg/s is charged within about a second of its first refusals and kept to its share; a relay refused a third of the time never is', () => {
    let t = 0
    const { gate: g, charged } = gate(() => t)
    let admitted = 0
    let firstCharge = -1
    let afterCharge = 0
    for (let ms = 0; ms < 3000; ms++) {
      t = ms
      // flooder: one message a millisecond, every admitted one accepted downstream
      const wait = g.admit('flooder', TOPIC)
      if (wait >= 0) { admitted++; if (firstCharge >= 0) afterCharge++; g.note('flooder', 'accept', undefined, wait > 0) } else g.note('flooder', 'ignore', 'rate-limited')
      if (firstCharge < 0 && charged.has('flooder')) firstCharge = ms
      // relay: 60 msg/s, every third refused by someone's rate limit or a stale copy
      if (ms % 16 === 0) g.note('relay', ms % 48 === 0 ? 'ignore' : 'accept', ms % 48 === 0 ? 'rate-limited' : undefined)
    }
    // the burst, the pace over 3 s, and at most 2 s of waiting slots
    expect(admitted).toBeLessThanOrEqual(200 + 100 * 3 + 200 + 1)
    expect(charged.get('flooder') ?? 0).toBeGreaterThan(40)
    // refusals begin once 2 s of slots are queued (~0.6 s at 1,000/s); charging follows within a second
    expect(firstCharge).toBeGreaterThan(0)
    expect(firstCharge).toBeLessThan(2000)
    // once caught, it gets nothing more while it keeps flooding
    expect(afterCharge).toBe(0)
    expect(charged.has('relay')).toBe(false)
  })

  it('one pace per peer and topic: a burst goes now, the next 2 s of slots wait their turn, the rest are refused; other topics and peers are untouched', () => {
    const { gate: g } = gate(() => 0)
    const waits = Array.from({ length: 500 }, () => g.admit('p', TOPIC))
    expect(waits.filter((w) => w === 0)).toHaveLength(200)
    const delayed = waits.filter((w) => w > 0)
    expect(delayed).toHaveLength(200)
    expect(delayed).toEqual([...delayed].sort((x, y) => x - y))
    expect(Math.max(...delayed)).toBeLessThanOrEqual(2000)
    expect(waits.filter((w) => w < 0)).toHaveLength(100)
    expect(g.admit('q', TOPIC)).toBe(0)
    expect(g.admit('p', 'swarm/1/global/questions')).toBe(0)
  })

  it('a peer\'s own messages have a lane apart at their own rate: a full relay lane holds none of them up, and a full own lane none of the relayed', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 30 }), (relayed, own) => {
      const g = new FloodGate({ perPeer: { ratePerSec: 50, burst: 100 }, ownPerPeer: { ratePerSec: 20, burst: 60 }, penalize: () => {}, now: () => 0 })
      for (let i = 0; i < relayed; i++) g.admit('relay', TOPIC)
      // however full the relay lane, the peer's own messages within their burst go at once
      for (let i = 0; i < own; i++) expect(g.admit('relay', TOPIC, true)).toBe(0)
      // and its own lane is paced at its own rate: past its burst and 2 s of slots, refused
      const ownWaits = Array.from({ length: 200 }, () => g.admit('relay', TOPIC, true))
      expect(ownWaits.filter((w) => w >= 0)).toHaveLength(60 - own + 40)
      // the relay lane is where the relayed messages left it
      const next = g.admit('relay', TOPIC)
      expect(next).toBe(relayed < 100 ? 0 : relayed < 200 ? (relayed - 99) * 20 : -1)
    }))
  })

  it('one host\'s peers together get one peer\'s relay pace and HOST_PEERS peers\' own pace; another host and a host-less peer keep theirs', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 12 }), (sybils) => {
      const hosts = new Map<string, string | undefined>([['honest', 'ip4/203.0.113.3'], ['local', undefined]])
      for (let i = 0; i < sybils; i++) hosts.set(`sybil${i}`, 'ip4/203.0.113.4')
      const g = new FloodGate({ perPeer: { ratePerSec: 50, burst: 100 }, ownPerPeer: { ratePerSec: 20, burst: 60 }, hostOf: (p) => hosts.get(p), penalize: () => {}, now: () => 0 })
      // each identity relays 300 at once: together they get one peer's burst and 2 s of slots
      let relayed = 0
      for (let i = 0; i < sybils; i++) for (let k = 0; k < 300; k++) if (g.admit(`sybil${i}`, TOPIC) >= 0) relayed++
      expect(relayed).toBe(100 + 100)
      // each sends 300 of its own: each at most its burst 60 and 2 s at 20/s, together at most HOST_PEERS of that
      let own = 0
      for (let i = 0; i < sybils; i++) for (let k = 0; k < 300; k++) if (g.admit(`sybil${i}`, TOPIC, true) >= 0) own++
      expect(own).toBe(Math.min(sybils, HOST_PEERS) * (60 + 40))
      // honest traffic: a peer on another host, and one with no host, go at once
      expect(g.admit('honest', TOPIC)).toBe(0)
      expect(g.admit('honest', TOPIC, true)).toBe(0)
      expect(g.admit('local', TOPIC)).toBe(0)
    }), { numRuns: 20 })
  })

  it('others on a peer\'s address filling the host\'s pace with neutral junk never get that peer charged', () => {
    // forty identities share an honest peer's address (a NAT, a /64), each far under its own pace;
    // together ~1.6 × the host's relay pace, in messages that end neutral (expired)
    let t = 0
    const hosts = new Map<string, string>([['h', 'ip4/198.51.100.9']])
    for (let i = 0; i < 40; i++) hosts.set(`s${i}`, 'ip4/198.51.100.9')
    const charged: string[] = []
    const g = new FloodGate({ perPeer: { ratePerSec: 50, burst: 100 }, ownPerPeer: { ratePerSec: 20, burst: 60 }, hostOf: (p) => hosts.get(p), penalize: (p) => { charged.push(p) }, now: () => t })
    const send = (peer: string, judged: 'accept' | 'ignore', reason?: string): number => {
      const wait = g.admit(peer, TOPIC)
      if (wait === HOST_REFUSED) g.note(peer, 'ignore', 'host-rate-limited')
      else if (wait < 0) g.note(peer, 'ignore', 'rate-limited')
      else g.note(peer, judged, reason, wait > 0)
      return wait
    }
    let honestRefused = 0
    for (let ms = 0; ms < 20_000; ms += 10) {
      t = ms
      for (let i = 0; i < 40; i++) if ((ms / 10 + i * 7) % 62 === 0) send(`s${i}`, 'ignore', 'expired')
      if (ms % 100 === 0 && send('h', 'accept') < 0) honestRefused++
    }
    expect(honestRefused).toBeGreaterThan(0) // the host's pace did bite
    expect(charged).not.toContain('h')
    expect(g.admit('h', TOPIC, true)).toBeGreaterThanOrEqual(0)
  })

  it('a flooder sharing its host with a second identity is still charged for going past its own pace', () => {
    let t = 0
    const hosts = new Map<string, string>([['a', 'ip4/203.0.113.4'], ['b', 'ip4/203.0.113.4']])
    const charged = new Set<string>()
    const g = new FloodGate({ perPeer: { ratePerSec: 50, burst: 100 }, hostOf: (p) => hosts.get(p), penalize: (p) => { charged.add(p) }, now: () => t })
    const send = (peer: string): void => {
      const wait = g.admit(peer, TOPIC)
      if (wait === HOST_REFUSED) g.note(peer, 'ignore', 'host-rate-limited')
      else if (wait < 0) g.note(peer, 'ignore', 'rate-limited')
      else g.note(peer, 'accept', undefined, wait > 0)
    }
    // b gets one message through first; then a floods at 1,000/s
    send('b')
    for (let ms = 0; ms < 5000; ms++) { t = ms; send('a') }
    expect(charged.has('a')).toBe(true)
    expect(charged.has('b')).toBe(false)
  })

  it('a peer within its pace is never delayed', () => {
    let t = 0
    const { gate: g } = gate(() => t)
    for (let i = 0; i < 1000; i++) { t = i * 11; expect(g.admit('relay', TOPIC)).toBe(0) }
  })
})

describe('peer guard: bans by key', () => {
  it('peerIdOfPubkey is the libp2p peer id of the same Ed25519 key', async () => {
    const seed = new Uint8Array(32).fill(9)
    const signer = createSigner(seed)
    const peerId = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed)).toString()
    expect(peerIdOfPubkey(signer.pubkey)).toBe(peerId)
    expect(peerIdOfPubkey('ed25519:zz')).toBeUndefined()
  })

  it('ban hangs up a connected peer and refuses it; stats name the reason', async () => {
    const hung: string[] = []
    const node = {
      getConnections: () => [{ remotePeer: { toString: () => 'P1' } }, { remotePeer: { toString: () => 'P2' } }],
      hangUp: async (p: any) => { hung.push(p.toString()) },
      services: { pubsub: { getScore: () => 0 } }
    }
    let now = 1000
    const guard = new PeerGuard({ graylistThreshold: -80, disconnectAfterSec: 2, banSec: 600, now: () => now })
    guard.start(node)
    guard.ban('P1', 'equivocation')
    guard.ban('P1', 'equivocation')
    guard.stop()
    expect(hung).toEqual(['P1', 'P1'])
    expect(guard.isBanned('P1')).toBe(true)
    expect(guard.isBanned('P2')).toBe(false)
    const s = guard.stats() as any
    expect(s.banned).toEqual([{ peerId: 'P1', until: new Date(601_000).toISOString(), reason: 'equivocation' }])
    expect(s.bannedByReason).toEqual({ equivocation: 1 })
    now += 601_000
    expect(guard.isBanned('P1')).toBe(false)
  })
})

describe('peer guard: a penalised peer that has gone is still graylisted and banned', () => {
  it('bans on its own penalty alone, without a connection', () => {
    let now = 0
    const node = { getConnections: () => [], hangUp: async () => {}, services: { pubsub: { getScore: () => 0 } } }
    const guard = new PeerGuard({ graylistThreshold: -80, disconnectAfterSec: 2, banSec: 600, now: () => now })
    guard.start(node)
    guard.stop()
    for (let i = 0; i < 80; i++) guard.penalize('gone', 0.25)
    guard.tick()
    expect((guard.stats() as any).graylisted).toEqual(['gone'])
    now += 2500
    guard.tick()
    expect(guard.isBanned('gone')).toBe(true)
    guard.tick()
    expect(guard.graylistedTotal).toBe(1)
  })
})
