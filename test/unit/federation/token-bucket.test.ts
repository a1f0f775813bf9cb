import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { TokenBuckets } from '../../../src/federation/token-bucket.ts'

describe('token buckets', () => {
  it('never admits more than burst + rate × elapsed', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100 }),
      fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 300 }),
      (rate, burst, gaps) => {
        let t = 0
        const b = new TokenBuckets({ ratePerSec: rate, burst }, { now: () => t })
        let admitted = 0
        for (const g of gaps) { t += g; if (b.take('k')) admitted++ }
        expect(admitted).toBeLessThanOrEqual(burst + Math.floor(rate * t / 1000) + 1)
      }))
  })

  it('a sender within its rate is never refused', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 20 }), (rate, burst) => {
      let t = 0
      const b = new TokenBuckets({ ratePerSec: rate, burst }, { now: () => t })
      for (let i = 0; i < 200; i++) { t += Math.ceil(1000 / rate); expect(b.take('k')).toBe(true) }
    }))
  })

  it('keys are independent, refills are capped at burst, the table is bounded', () => {
    let t = 0
    const b = new TokenBuckets({ ratePerSec: 1, burst: 2 }, { now: () => t, maxKeys: 3 })
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([true, true, false])
    expect(b.take('b')).toBe(true)
    t += 60_000
    expect(b.available('a')).toBe(2)
    for (const k of ['c', 'd', 'e']) b.take(k)
    expect(b.size).toBeLessThanOrEqual(3)
    expect(() => new TokenBuckets({ ratePerSec: 0, burst: 1 })).toThrow(RangeError)
  })
})
