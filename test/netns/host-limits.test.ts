// Adversarial: a stranger's many identities on one host cannot take every slot a daemon has for
// a protocol's inbound streams. X (one host, its own keys, the wire spoken directly: host-flood.ts)
// opens silent history streams from twelve identities, 384 in all against the protocol's 256;
// the daemon keeps at most a host's share (64) and refuses the rest (`stream-limit`, or
// `rate-limited` once the host's stream bucket runs dry), and an honest peer on another host
// still gets its page in the same run. Hosts need distinct addresses: a simulated network.

import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { ROOT, cleanupHomes } from '../helpers/daemons.ts'
import { nsDaemon, type NsDaemon } from './daemons.ts'
import { PUBLIC_IP, SimNet, cannotSimulate } from './sim.ts'

const skip = cannotSimulate()
if (skip !== undefined) console.warn(`netns host-limits suite skipped: ${skip}`)

describe.skipIf(skip !== undefined)('per-host stream limits', () => {
  let sim: SimNet | undefined
  let daemon: NsDaemon | undefined
  afterAll(async () => {
    await daemon?.stop().catch(() => {})
    sim?.destroy()
    await cleanupHomes()
  })

  it('twelve identities on one host hold no more than the host\'s share; an honest host is served', async () => {
    sim = new SimNet().build([])
    for (const ip of ['203.0.113.3', '203.0.113.4', '203.0.113.5']) await sim.exec(sim.pub, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'br0'])
    daemon = await nsDaemon(sim, sim.pub, { config: { listen: [`/ip4/${PUBLIC_IP}/tcp/7700`], mdns: false } })
    await daemon.start()
    const target = `/ip4/${PUBLIC_IP}/tcp/7700/p2p/${daemon.peerId}`
    const out = await flood(target, 'direct')
    const tally = out.stranger as Record<string, number>
    // a quarter of the protocol's 256 slots for the host, whichever of its identities asked
    expect(tally.held).toBeLessThanOrEqual(64)
    expect(tally.held).toBeGreaterThan(0)
    expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(12 * 32)
    for (const reason of Object.keys(tally)) expect(['held', 'stream-limit', 'rate-limited']).toContain(reason)
    // the honest peer's request was answered (a question the daemon does not hold), not refused
    expect(out.honest).toEqual({ question: null, envelopes: [], next: null })
    // and the daemon counted what it refused, by protocol and reason (`swarm stats`)
    const stats = await daemon.json(['stats']) as { admission?: { streamsRefused?: Record<string, number> } }
    const refused = stats.admission?.streamsRefused ?? {}
    expect(refused['/swarm/history/1.0.0 stream-limit']).toBeGreaterThan(0)
    console.log(JSON.stringify({ stranger: tally, strangerMs: out.strangerMs, honestWithinMs: out.honestWithinMs, refused }))
  }, 120_000)

  it('the same identities as circuits through a relay of the stranger\'s own count as the relay\'s host', async () => {
    // (the first run's silent streams were held until their 10 s timeout, which it waited out)
    const out = await flood(`/ip4/${PUBLIC_IP}/tcp/7700/p2p/${daemon!.peerId}`, 'relayed')
    expect(out.via).toBe('relay')
    console.log(JSON.stringify({ relayed: out }))
    const tally = out.stranger as Record<string, number>
    expect(tally.held).toBeLessThanOrEqual(64)
    expect(tally.held).toBeGreaterThan(0)
    expect(out.honest).toEqual({ question: null, envelopes: [], next: null })

  }, 120_000)

  async function flood (target: string, mode: 'direct' | 'relayed'): Promise<Record<string, any>> {
    const res = await sim!.exec(sim!.pub, [process.execPath, join(ROOT, 'test', 'netns', 'host-flood.ts'), target, '12', mode], 90_000)
    expect(res.code, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1) as string)
    expect(out.error, res.stderr).toBeUndefined()
    return out
  }
})
