// Advert pacing: small swarms refresh at the configured interval; larger ones stretch it so the
// federation-wide advert rate (and so each node's idle forwarding) stays flat; an advert always
// outlives a few refresh intervals; waits are jittered.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ADVERT_PACE_NODES, ADVERT_TTL_INTERVALS, advertIntervalMs, advertTtlSec, nextRefreshMs } from '../../../src/tasks/advert-pace.ts'
import { ADVERT_MAX_TTL_SEC } from '../../../src/tasks/constants.ts'

describe('advert pace', () => {
  it('keeps the configured interval up to ADVERT_PACE_NODES known nodes', () => {
    for (let n = 0; n <= ADVERT_PACE_NODES; n++) expect(advertIntervalMs(30_000, n)).toBe(30_000)
    expect(advertIntervalMs(1000, 3)).toBe(1000) // tests' fast adverts are untouched
  })

  it('holds the federation-wide refresh rate flat as the swarm grows (until the TTL cap)', () => {
    const rate = (n: number): number => n / advertIntervalMs(30_000, n) // adverts per ms, all nodes
    expect(rate(25)).toBeCloseTo(rate(100), 12)
    expect(rate(100)).toBeCloseTo(ADVERT_PACE_NODES / 30_000, 12)
  })

  it('never goes below the configured interval, never above what the expiry cap covers', () => {
    fc.assert(fc.property(fc.integer({ min: 200, max: 3_600_000 }), fc.integer({ min: 0, max: 1_000_000 }), (cfg, n) => {
      const i = advertIntervalMs(cfg, n)
      return i >= cfg && i <= Math.max(cfg, ADVERT_MAX_TTL_SEC * 1000 / ADVERT_TTL_INTERVALS) && advertIntervalMs(cfg, n + 1) >= i
    }))
  })

  it('an advert lives several refresh intervals (within the receivers\' cap)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 200, max: 1_200_000 }), (ttl, interval) => {
      const t = advertTtlSec(ttl, interval)
      return t >= Math.min(ttl, ADVERT_MAX_TTL_SEC) && t <= Math.max(ttl, ADVERT_MAX_TTL_SEC) && (t === ADVERT_MAX_TTL_SEC || t * 1000 >= ADVERT_TTL_INTERVALS * interval)
    }))
  })

  it('jitters each wait within ±20 %', () => {
    fc.assert(fc.property(fc.integer({ min: 1000, max: 1_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (i, r) => {
      const w = nextRefreshMs(i, r)
      return w >= Math.floor(i * 0.8) && w <= Math.ceil(i * 1.2)
    }))
  })
})
