import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { clustered, connected, randomDegree } from '../../../scripts/scale/topology.ts'

describe('scale topologies', () => {
  it('random-degree graphs are connected, simple, and near the degree', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 120 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (n, d, seed) => {
      const links = randomDegree(n, d, seed)
      expect(connected(n, links)).toBe(true)
      const keys = links.map(([i, j]) => `${Math.min(i, j)}-${Math.max(i, j)}`)
      expect(new Set(keys).size).toBe(links.length)
      expect(links.every(([i, j]) => i !== j && i >= 0 && j >= 0 && i < n && j < n)).toBe(true)
      // a spanning tree plus extras that stop at the degree: never more than n·d/2 + n links
      expect(links.length).toBeLessThanOrEqual(Math.ceil(n * d / 2) + n)
    }), { numRuns: 200 })
  })

  it('clustered graphs are connected through their bridges', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 100 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (n, k, d, seed) => {
      expect(connected(n, clustered(n, k, d, 1, seed))).toBe(true)
    }), { numRuns: 200 })
  })

  it('is deterministic for a seed', () => {
    expect(randomDegree(50, 4, 7)).toEqual(randomDegree(50, 4, 7))
    expect(randomDegree(50, 4, 7)).not.toEqual(randomDegree(50, 4, 8))
  })
})
