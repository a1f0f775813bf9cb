// Adversarial: a hostile peer with its own key speaks /swarm/reach directly (reach-attack.ts,
// run in a simulated public network) and cannot aim the dial-back at another host, feed it
// garbage or flood it; honest peers before and after still learn they are public.

import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { ROOT } from '../helpers/daemons.ts'
import { SimNet, cannotSimulate } from './sim.ts'

const skip = cannotSimulate()
if (skip !== undefined) console.warn(`netns reach suite skipped: ${skip}`)

describe.skipIf(skip !== undefined)('dial-back reachability under attack', () => {
  let sim: SimNet | undefined
  afterAll(() => { sim?.destroy() })

  it('refuses hostile requests with stable reasons and dials back only the requester', async () => {
    sim = new SimNet().build([])
    const add = (ip: string): Promise<unknown> => sim!.exec(sim!.pub, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'br0'])
    for (const ip of ['203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6']) await add(ip)
    const res = await sim.exec(sim.pub, [process.execPath, join(ROOT, 'test', 'netns', 'reach-attack.ts')], 90_000)
    expect(res.code, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1) as string)
    expect(out.honestBefore).toBe('public')
    expect(out.garbage).toEqual({ error: 'bad-json' })
    expect(out.extraField).toEqual({ error: 'bad-schema' })
    expect(out.tooManyPorts).toEqual({ error: 'bad-schema' })
    expect(out.oversized).toEqual({ error: 'too-large' })
    expect(out.aimAtVictim).toEqual({ reachable: false })
    expect(out.flood).toEqual({ error: 'rate-limited' })
    expect(out.victimInboundFromS).toBe(0)
    expect(out.honestAfter).toBe('public')
    expect(out.serverStatus).toBe('started')
    expect(out.refused).toEqual({ 'bad-json': 1, 'bad-schema': 2, 'too-large': 1, 'rate-limited': 1 })
  })
})
