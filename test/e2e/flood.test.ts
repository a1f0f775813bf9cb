import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const FED = 'fed:flood'
const TOPIC = `swarm/1/fed/${FED}/questions`
const fast = { presence: { heartbeatSec: 0.5 } }
const hooks = { SWARM_TEST_HOOKS: '1' }

describe('peer scoring: a flooding node is graylisted and disconnected, honest traffic flows', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('1,000 invalid messages/s for 10 s from two flooders; an honest question still reaches everyone', async () => {
    daemons.push(...await startDaemons([
      { federation: FED, config: fast },
      { federation: FED, config: fast },
      { federation: FED, config: fast, env: hooks },
      { federation: FED, config: fast, env: hooks }
    ], 'full'))
    const [a, b, garbage, forger] = daemons
    // let the gossipsub meshes form before the flood
    await eventually(async () => (await a.json(['stats'])).peers.connected === 3 && (await b.json(['stats'])).peers.connected === 3, { what: 'full mesh' })
    await new Promise((resolve) => setTimeout(resolve, 1500))

    const { ControlClient } = await import('../../src/control/client.ts')
    const call = async (d: TestDaemon, method: string, params: unknown): Promise<any> => {
      const c = await ControlClient.connect(`${d.home}/swarm.sock`, d.home, AbortSignal.timeout(5000))
      try { return await c.call(method, params) } finally { c.close() }
    }
    // the hook exists only where SWARM_TEST_HOOKS=1
    await expect(call(a, 'debug.flood', { topic: TOPIC })).rejects.toThrow(/unknown method/)
    const floods = [
      call(garbage, 'debug.flood', { topic: TOPIC, count: 10_000, ratePerSec: 1000, kind: 'garbage', wait: true }),
      call(forger, 'debug.flood', { topic: TOPIC, count: 10_000, ratePerSec: 1000, kind: 'bad-signature', wait: true })
    ]

    // while the flood runs: an honest question reaches the other honest node within 10 s
    await new Promise((resolve) => setTimeout(resolve, 500))
    const asked = await a.json(['ask', 'Is the swarm still listening?', '--scope', 'federation-local'])
    const t0 = Date.now()
    await eventually(async () => (await b.json(['questions'])).some((q: any) => q.id === asked.id), { what: 'honest question during the flood', timeoutMs: 10_000, intervalMs: 100 })
    expect(Date.now() - t0).toBeLessThan(10_000)

    // both honest nodes graylist, then hang up on, both flooders
    for (const d of [a, b]) {
      const stats = await eventually(async () => {
        const s = await d.json(['stats'])
        const banned = s.admission.banned.map((x: any) => x.peerId)
        return banned.includes(garbage.peerId) && banned.includes(forger.peerId) ? s : undefined
      }, { what: 'flooders banned', timeoutMs: 15_000 })
      expect(stats.admission.graylistedTotal).toBeGreaterThanOrEqual(2)
      expect(stats.envelopes.rejected['bad-json']).toBeGreaterThanOrEqual(1)
      expect(stats.envelopes.rejected['bad-signature']).toBeGreaterThanOrEqual(1)
      const peers = (await d.json(['peers'])).map((p: any) => p.peerId)
      expect(peers).not.toContain(garbage.peerId)
      expect(peers).not.toContain(forger.peerId)
    }
    const done = await Promise.all(floods)
    expect(done[0].published + done[0].failed).toBe(10_000)
    expect(done[0].ms).toBeGreaterThanOrEqual(9_000)

    // honest traffic keeps flowing afterwards, both ways
    const after = await b.json(['ask', 'And after the flood?', '--scope', 'federation-local'])
    await eventually(async () => (await a.json(['questions'])).some((q: any) => q.id === after.id), { what: 'question after the flood', timeoutMs: 10_000 })
    // a banned flooder cannot come back
    const back = await garbage.cli(['connect', a.tcpAddr, '--json'])
    if (back.code === 0) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect((await a.json(['peers'])).map((p: any) => p.peerId)).not.toContain(garbage.peerId)
    }
  })
})
