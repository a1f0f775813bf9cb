// Adversarial: a stranger's identities on one host cannot take a topic's whole admission between
// them. Six identities on 203.0.113.4 (host-gossip-flood.ts: their own keys, gossipsub spoken
// directly) each relay valid questions signed by fresh keys at exactly one peer's pace, so none
// is ever mostly refused or graylisted; together they offered the questions topic 300/s against
// the 200/s its scope admits, and an honest daemon's questions were refused `rate-limited` in
// turn with theirs (lost: gossipsub had marked them seen). Now the flood gate paces the host, all
// its peers together, as one peer: every honest question asked during the flood arrives.

import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { cleanupHomes, eventually, ROOT } from '../helpers/daemons.ts'
import { nsDaemon, type NsDaemon } from './daemons.ts'
import { PUBLIC_IP, SimNet, cannotSimulate } from './sim.ts'

const skip = cannotSimulate()
if (skip !== undefined) console.warn(`netns host-gossip suite skipped: ${skip}`)

const FED = 'fed:hosts'
const FLOOD_SEC = 12

describe.skipIf(skip !== undefined)('per-host gossip pace', () => {
  let sim: SimNet | undefined
  const daemons: NsDaemon[] = []
  afterAll(async () => {
    await Promise.all(daemons.map(async (d) => { await d.stop().catch(() => {}) }))
    sim?.destroy()
    await cleanupHomes()
  })

  it('six identities on one host at one peer\'s pace each: every honest question asked during their flood arrives', async () => {
    sim = new SimNet().build([])
    for (const ip of ['203.0.113.3', '203.0.113.4']) await sim.exec(sim.pub, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'br0'])
    const victim = await nsDaemon(sim, sim.pub, { federation: FED, config: { listen: [`/ip4/${PUBLIC_IP}/tcp/7700`], mdns: false } })
    const honest = await nsDaemon(sim, sim.pub, { federation: FED, config: { listen: ['/ip4/203.0.113.3/tcp/7701'], mdns: false } })
    daemons.push(victim, honest)
    await Promise.all([victim.start(), honest.start()])
    const linked = await victim.cli(['connect', `/ip4/203.0.113.3/tcp/7701/p2p/${honest.peerId}`])
    expect(linked.code, linked.stderr).toBe(0)

    const running = sim.exec(sim.pub, [process.execPath, join(ROOT, 'test', 'netns', 'host-gossip-flood.ts'), `/ip4/${PUBLIC_IP}/tcp/7700/p2p/${victim.peerId}`, victim.peerId as string, FED, String(FLOOD_SEC)], 90_000)
    // the stranger's six identities are in; the flood starts as soon as their gossip streams are
    await eventually(async () => (await victim.json(['peers']) as unknown[]).length >= 7 ? true : undefined, { what: 'six identities connected', timeoutMs: 30_000 })
    // the scope's burst (400) is gone after ~4 s of an unpaced host; then ask, during the flood
    await new Promise((resolve) => setTimeout(resolve, 5000))
    const asked: string[] = []
    for (let i = 0; i < 10; i++) {
      asked.push((await honest.json(['ask', `Honest question ${i} during the flood`, '--scope', 'federation-local'])).id)
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
    const res = await running
    expect(res.code, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1) as string)
    expect(out.error, res.stderr).toBeUndefined()
    // six identities flooded (each within its own pace: their excess over the host's pace is
    // refused at the gate, `host-rate-limited`, which charges nobody)
    expect(out.sent).toHaveLength(6)
    for (const n of out.sent) expect(n).toBeGreaterThan(0)

    const missing = await eventually(async () => {
      const ids = new Set((await victim.json(['questions']) as Array<{ id: string }>).map((q) => q.id))
      const lost = asked.filter((id) => !ids.has(id))
      return lost.length === 0 ? lost : undefined
    }, { what: 'every honest question at the victim', timeoutMs: 15_000 }).catch(() => undefined)
    const stats = await victim.json(['stats']) as { envelopes?: { rejected?: Record<string, number> }, admission?: { flood?: Record<string, unknown> } }
    console.log(JSON.stringify({ sent: out.sent, rejected: stats.envelopes?.rejected, flood: stats.admission?.flood }))
    expect(missing, 'honest questions lost at the victim').toEqual([])
  }, 150_000)
})
