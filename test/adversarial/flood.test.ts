// Free-key floods. A stranger signs valid questions with 100 fresh keys (so no per-sender limit
// bites) and pushes them at 1,000 msg/s straight to every daemon. Before: the scope's shared
// rate limit dropped an honest question with the flood, and the flooder never lost score
// (over-limit was IGNOREd with no consequence). Now: each peer gets at most half of a scope's
// rate before any validator runs, a peer whose traffic is mostly refused loses score, is
// graylisted and then banned, and every honest question reaches every node.
import { afterAll, describe, expect, it } from 'vitest'
import { buildQuestion } from '../../src/envelope/index.ts'
import { eventually } from '../helpers/daemons.ts'
import { hostileArena } from './arena.ts'
import { flood } from './hostile-peer.ts'

const FED = 'fed:flood-keys'
const arena = hostileArena(FED)
const TOPIC = arena.topic

describe('adversarial: free-key flood', () => {
  afterAll(async () => { await arena.stop() })

  it('100 fresh keys at 1,000 msg/s: the flooder is graylisted and banned, every honest question arrives everywhere', async () => {
    const h = await arena.start(3)
    const daemons = arena.daemons
    const [a, b, c] = daemons

    const keys = Array.from({ length: 100 }, () => h.freshSigner(FED))
    const messages = Array.from({ length: 6000 }, (_, i) => JSON.stringify(buildQuestion(keys[i % keys.length], { text: `flood ${i}: buy now`, scope: 'federation-local' })))
    const running = flood(h, { targets: daemons.map((d) => d.peerId), topic: TOPIC, messages, ratePerSec: 1000, durationMs: 6000 })

    // honest questions asked during the flood
    const asked: string[] = []
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (let i = 0; i < 4; i++) asked.push((await a.json(['ask', `Honest question ${i} during the flood`, '--scope', 'federation-local'])).id)
    const done = await running
    expect(done.sent).toBeGreaterThanOrEqual(5000)
    if (process.env.HOSTILE_DEBUG === '1') for (const d of daemons) { const st = await d.json(['stats']); process.stderr.write(`flood ${JSON.stringify({ done, adm: st.admission, env: st.envelopes })}\n`) }

    for (const d of daemons) {
      const s = await eventually(async () => {
        const st = await d.json(['stats'])
        return st.admission.banned.some((x: any) => x.peerId === h.peerId) ? st : undefined
      }, { what: 'flooder banned', timeoutMs: 15_000 })
      expect(s.admission.graylistedTotal).toBeGreaterThanOrEqual(1)
      expect(s.admission.flood.charged).toBeGreaterThan(0)
      expect(s.envelopes.rejected['rate-limited'] ?? 0).toBeLessThan(1000)
      // the honest neighbours were never charged into the graylist
      for (const other of daemons) if (other !== d) expect(s.admission.banned.map((x: any) => x.peerId)).not.toContain(other.peerId)
    }
    for (const d of [b, c]) {
      await eventually(async () => {
        const ids = new Set((await d.json(['questions'])).map((q: any) => q.id))
        return asked.every((id) => ids.has(id))
      }, { what: 'every honest question everywhere', timeoutMs: 10_000 })
    }
    // and afterwards, both ways
    const after = await c.json(['ask', 'After the flood?', '--scope', 'federation-local'])
    await eventually(async () => (await a.json(['questions'])).some((q: any) => q.id === after.id), { what: 'question after the flood', timeoutMs: 10_000 })
  })
})
