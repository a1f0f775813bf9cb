// The scale harness at the size npm test affords (20 and 40 real daemons in a few processes):
// every question reaches every node, and a node's idle traffic does not grow with the swarm
// beyond a stated bound (heartbeats, adverts and announcements stay per-neighbour, not per-node).
// The large sizes run from `npm run scale`; `npm run bench` reports N=25 and N=100.

import { describe, expect, it } from 'vitest'
import { runScale } from '../../scripts/scale/run.ts'

/**
 * Stated bounds. A node's idle traffic is the swarm's advert rate times what each advert costs a
 * node (it floods every node). What each advert costs a node must not grow with N beyond the mesh
 * degree: at N=40 ≤ 1.5× N=20, plus 100 B of slack. The swarm's advert rate is paced by its size:
 * a fixed interval would double it from 20 to 40 nodes; it must stay below 1.8× (the harness opens
 * the idle window once every directory holds every node, when the pacing holds the rate flat; the
 * slack is for refreshes still scheduled from before).
 */
const PER_ADVERT_GROWTH = 1.5
const PER_ADVERT_SLACK = 100
const ADVERT_RATE_GROWTH = 1.8

describe('scale', () => {
  it('delivers every question to every node at 20 and 40 nodes, with idle traffic per node flat', async () => {
    // adverts are the idle traffic that floods the swarm, paced by its size; at the default
    // interval a 5 s window holds zero or one of them (a coin toss, not a rate), so they are made
    // frequent enough here that both windows see their steady rate
    const small = await runScale({ nodes: 20, degree: 4, questions: 3, idleSec: 5, answerers: 0.2, seed: 3, advertIntervalSec: 2 })
    const large = await runScale({ nodes: 40, degree: 4, questions: 3, idleSec: 5, answerers: 0.2, seed: 3, advertIntervalSec: 2 })
    for (const r of [small, large]) {
      expect(r.delivered, `delivered at N=${String(r.nodes)} (missed: ${JSON.stringify(r.missed)}, links failed: ${String(r['links-failed'])}, load ${JSON.stringify(r['load-average'])})`).toBe(r.questions)
      expect((r['first-contribution-ms'] as any).samples).toBeGreaterThan(0)
    }
    const idle20 = small['idle-bytes-per-node-per-s'] as number
    const idle40 = large['idle-bytes-per-node-per-s'] as number
    console.log(JSON.stringify({ idleBytesPerNodePerS: { n20: idle20, n40: idle40 }, advertsPerS: { n20: small['idle-adverts-per-s'], n40: large['idle-adverts-per-s'] } }))
    const rate20 = small['idle-adverts-per-s'] as number
    const rate40 = large['idle-adverts-per-s'] as number
    expect(rate20).toBeGreaterThan(0)
    const perAdvert20 = idle20 / rate20
    const perAdvert40 = idle40 / Math.max(rate40, 1e-9)
    expect(perAdvert40, `idle bytes per node per advert: N=20 ${perAdvert20}, N=40 ${perAdvert40}`).toBeLessThanOrEqual(perAdvert20 * PER_ADVERT_GROWTH + PER_ADVERT_SLACK)
    expect(rate40, `adverts/s in the swarm: N=20 ${rate20}, N=40 ${rate40} (directories full after ${String(small['directory-settled-ms'])} and ${String(large['directory-settled-ms'])} ms; -1: not in time)`).toBeLessThanOrEqual(rate20 * ADVERT_RATE_GROWTH)
  }, 420_000)
})
