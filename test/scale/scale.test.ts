// The scale harness at the size npm test affords (20 and 40 real daemons in a few processes):
// every question reaches every node, and a node's idle traffic does not grow with the swarm
// beyond a stated bound (heartbeats, adverts and announcements stay per-neighbour, not per-node).
// The large sizes run from `npm run scale`; `npm run bench` reports N=25 and N=100.

import { describe, expect, it } from 'vitest'
import { runScale } from '../../scripts/scale/run.ts'

/** Stated bound: idle bytes per node per second at N=40 ≤ 1.5× N=20, plus 200 B/s of slack. */
const IDLE_GROWTH = 1.5
const IDLE_SLACK = 200

describe('scale', () => {
  it('delivers every question to every node at 20 and 40 nodes, with idle traffic per node flat', async () => {
    // adverts are the idle traffic that floods the swarm, paced by its size; at the default
    // interval a 5 s window holds zero or one of them (a coin toss, not a rate), so they are made
    // frequent enough here that both windows see their steady rate
    const small = await runScale({ nodes: 20, degree: 4, questions: 3, idleSec: 5, answerers: 0.2, seed: 3, advertIntervalSec: 2 })
    const large = await runScale({ nodes: 40, degree: 4, questions: 3, idleSec: 5, answerers: 0.2, seed: 3, advertIntervalSec: 2 })
    for (const r of [small, large]) {
      expect(r.delivered, `delivered at N=${String(r.nodes)}`).toBe(r.questions)
      expect((r['first-contribution-ms'] as any).samples).toBeGreaterThan(0)
    }
    const idle20 = small['idle-bytes-per-node-per-s'] as number
    const idle40 = large['idle-bytes-per-node-per-s'] as number
    console.log(JSON.stringify({ idleBytesPerNodePerS: { n20: idle20, n40: idle40 }, advertsPerS: { n20: small['idle-adverts-per-s'], n40: large['idle-adverts-per-s'] } }))
    expect(idle40, `idle bytes/node/s: N=20 ${idle20}, N=40 ${idle40}`).toBeLessThanOrEqual(idle20 * IDLE_GROWTH + IDLE_SLACK)
  }, 420_000)
})
