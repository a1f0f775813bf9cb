import { describe, expect, it } from 'vitest'
import { PeerGuard, type GuardedNode } from '../../../src/net/peer-guard.ts'

describe('peer guard', () => {
  it('hangs up on a peer that stays graylisted, bans it, and leaves honest peers alone', async () => {
    let t = 0
    const scores: Record<string, number> = { honest: 5, flooder: -500 }
    const hungUp: string[] = []
    const node: GuardedNode = {
      getConnections: () => Object.keys(scores).map((id) => ({ remotePeer: { toString: () => id } })),
      hangUp: async (peer: { toString: () => string }) => { hungUp.push(peer.toString()) },
      services: { pubsub: { getScore: (id: string) => scores[id] } }
    }
    const g = new PeerGuard({ graylistThreshold: -80, disconnectAfterSec: 2, banSec: 60, now: () => t })
    g.start(node)
    g.stop()
    g.tick()
    expect(g.stats()).toMatchObject({ graylisted: ['flooder'], graylistedTotal: 1 })
    t += 1000; g.tick()
    expect(hungUp).toEqual([])
    t += 1000; g.tick()
    expect(hungUp).toEqual(['flooder'])
    expect(g.isBanned('flooder')).toBe(true)
    expect(g.isBanned('honest')).toBe(false)
    t += 61_000
    expect(g.isBanned('flooder')).toBe(false)
  })

  it('the application score falls with invalid messages and recovers as they decay', () => {
    let t = 0
    const g = new PeerGuard({ graylistThreshold: -80, disconnectAfterSec: 2, banSec: 60, now: () => t })
    expect(g.appScore('p')).toBe(0)
    for (let i = 0; i < 10; i++) g.penalize('p')
    expect(g.appScore('p')).toBeCloseTo(-100)
    t += 60_000
    expect(g.appScore('p')).toBeGreaterThan(-0.5)
  })
})
