// A scope's budget shared fairly (src/federation/fair-scope.ts): flooders with keys of their own
// drain it only to its reserve, a light sender keeps getting in, and the cap still holds.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { FairScopes, reserveIntervalMs } from '../../../src/federation/fair-scope.ts'
import { TokenBuckets } from '../../../src/federation/token-bucket.ts'

const RATE = { ratePerSec: 200, burst: 400 }

/** Simulated seconds of `flooders` drawing `floodPerSec` each and one honest sender `honestPerSec`, in 1 ms steps. */
function run (take: (who: string) => boolean, o: { flooders: number, floodPerSec: number, honestPerSec: number, seconds: number, tick: (ms: number) => void }) {
  let honestTried = 0
  let honestIn = 0
  let total = 0
  const due = new Array(o.flooders).fill(0).map((_, i) => i * 1000 / o.floodPerSec / o.flooders)
  let honestDue = 500
  for (let t = 0; t < o.seconds * 1000; t++) {
    for (let i = 0; i < o.flooders; i++) {
      while (due[i] <= t) { if (take(`sybil-${i}`)) total++; due[i] += 1000 / o.floodPerSec }
    }
    while (honestDue <= t) { honestTried++; if (take('honest')) { honestIn++; total++ } honestDue += 1000 / o.honestPerSec }
    o.tick(1)
  }
  return { honestTried, honestIn, total }
}

describe('fair scope', () => {
  it('ten flooders at 10× the scope\'s rate between them: a bucket alone refuses the honest sender nearly always; the fair scope lets it in, and the cap holds', () => {
    let t = 0
    const plain = new TokenBuckets(RATE, { now: () => t })
    const before = run((who) => plain.take('topic'), { flooders: 10, floodPerSec: 200, honestPerSec: 2, seconds: 20, tick: (ms) => { t += ms } })
    expect(before.honestIn / before.honestTried).toBeLessThan(0.2)
    t = 0
    const fair = new FairScopes(RATE, { now: () => t })
    const after = run((who) => fair.take('topic', who) === undefined, { flooders: 10, floodPerSec: 200, honestPerSec: 2, seconds: 20, tick: (ms) => { t += ms } })
    expect(after.honestIn / after.honestTried).toBeGreaterThan(0.95)
    expect(after.total).toBeLessThanOrEqual(RATE.burst + RATE.ratePerSec * 20)
    expect(after.total).toBeGreaterThan(RATE.ratePerSec * 20 * 0.9) // the flooders still get the rest: nothing is wasted
    expect(fair.refusedOverShare).toBeGreaterThan(0)
  })

  it('one sender alone may use the scope\'s whole rate, and half its burst (the rest is kept for others)', () => {
    let t = 0
    const fair = new FairScopes(RATE, { now: () => t })
    let n = 0
    while (fair.take('topic', 'only') === undefined) n++
    expect(n).toBeGreaterThanOrEqual(RATE.burst / 2)
    expect(n).toBeLessThanOrEqual(RATE.burst / 2 + 1)
    // sustained: a draw every millisecond for 10 s gets the whole refill
    n = 0
    for (let i = 0; i < 10_000; i++) { t += 1; if (fair.take('topic', 'only') === undefined) n++ }
    expect(n).toBeGreaterThanOrEqual(RATE.ratePerSec * 10 - 1)
  })

  it('property: whatever the flooders, the scope never admits more than its burst and rate; a sender under an even split gets in', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 5, max: 400 }), (flooders, floodPerSec) => {
      let t = 0
      const fair = new FairScopes(RATE, { now: () => t })
      const share = RATE.ratePerSec / (flooders + 1)
      const honestPerSec = Math.min(2, share / 4)
      const r = run((who) => fair.take('topic', who) === undefined, { flooders, floodPerSec, honestPerSec, seconds: 10, tick: (ms) => { t += ms } })
      expect(r.total).toBeLessThanOrEqual(RATE.burst + RATE.ratePerSec * 10)
      expect(r.honestIn / r.honestTried).toBeGreaterThan(0.9)
    }), { numRuns: 25 })
  })

  it('in the reserve, a drawer\'s share is the rate split evenly among recent drawers, at least two', () => {
    expect(reserveIntervalMs(200, 10)).toBe(50)
    expect(reserveIntervalMs(200, 1)).toBe(10)
    expect(reserveIntervalMs(200, 0)).toBe(10)
  })

  it('identities made up one after another win one token of the reserve each, not a share of its burst', () => {
    let t = 0
    const fair = new FairScopes(RATE, { now: () => t })
    while (fair.take('topic', 'first') === undefined) { /* the top half, and one */ }
    let newcomers = 0
    for (let i = 0; i < 50; i++) if (fair.take('topic', `fresh-${i}`) === undefined) newcomers++
    for (let i = 0; i < 50; i++) expect(fair.take('topic', `fresh-${i}`)?.refused).toBe('over-share')
    expect(newcomers).toBe(50)
    expect(fair.take('topic', 'honest')).toBeUndefined()
  })

  it('scopes are apart: one drained scope leaves another whole', () => {
    let t = 0
    const fair = new FairScopes(RATE, { now: () => t })
    for (let i = 0; i < 1000; i++) fair.take('a', 'flooder')
    const refused = fair.take('a', 'flooder')
    expect(refused?.refused).toBe('over-share')
    expect(fair.take('b', 'flooder')).toBeUndefined()
    // the refusal says when the next draw is taken: not a moment before, then yes
    t += refused!.retryAfterMs - 1
    expect(fair.take('a', 'flooder')?.refused).toBe('over-share')
    t += 1
    expect(fair.take('a', 'flooder')).toBeUndefined()
  })

  it('many senders at once drain the scope only to its reserve: a newcomer still gets in', () => {
    let t = 0
    const fair = new FairScopes(RATE, { now: () => t })
    for (let i = 0; i < 2000; i++) fair.take('a', `s${i % 20}`)
    expect(fair.take('a', 's0')?.refused).toBe('over-share')
    expect(fair.take('a', 'newcomer')).toBeUndefined()
  })
})
