// A stranger's shares cost the receiving node disk: each imported reflection is stored with its
// postings, so many identities sharing within their per-sender rates would fill it without end.
// `reflections.maxFromSwarm` bounds what a node keeps; beyond it the earliest arrivals go.
import { afterAll, describe, expect, it } from 'vitest'
import { buildReflection } from '../../src/envelope/index.ts'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FED = 'fed:reflection-store'
const TOPIC = `swarm/1/fed/${FED}/reflections`
const MAX = 5

describe('adversarial: imported reflections are bounded', () => {
  let daemons: TestDaemon[] = []
  let hostile: HostilePeer | undefined
  afterAll(async () => {
    await hostile?.stop().catch(() => {})
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('a stranger\'s flood of shares keeps at most maxFromSwarm, and an honest share after it is kept', async () => {
    daemons = await startDaemons([{ federation: FED, config: { reflections: { maxFromSwarm: MAX } } }, { federation: FED }], 'full')
    const [victim, honest] = daemons
    hostile = await startHostilePeer({ federation: FED })
    await hostile.connect(victim.tcpAddr)
    hostile.subscribe(TOPIC)
    await hostile.ready(victim.peerId)
    const flood = Array.from({ length: 20 }, (_, i) => buildReflection(hostile!.identity, {
      category: 'spam', description: `junk reflection number ${i} that fills a disk`, outcome: 'success', tags: ['junk']
    }))
    await hostile.sendManyTo(victim.peerId, TOPIC, flood.map((e) => JSON.stringify(e)))
    await eventually(async () => (await victim.json(['stats'])).reflections.integrated === flood.length, { what: 'the flood imported', timeoutMs: 20_000 })
    const afterFlood = (await victim.json(['stats'])).reflections
    expect(afterFlood).toMatchObject({ swarm: MAX, evicted: flood.length - MAX })
    // the latest arrivals are the ones kept
    const kept = (await victim.json(['reflect', 'list', '--source', 'swarm'])).map((r: any) => r.id).sort()
    expect(kept).toEqual(flood.slice(-MAX).map((e) => e.id).sort())
    expect(await victim.json(['reflect', 'search', 'junk', 'number', '0'])).not.toContainEqual(expect.objectContaining({ id: flood[0].id }))

    // honest traffic still flows: a member's share arrives and is kept
    const mine = await honest.json(['reflect', 'add', '--description', 'pin the relay before dialing through it', '--outcome', 'successful', '--share'])
    await eventually(async () => (await victim.json(['reflect', 'list', '--source', 'swarm'])).some((r: any) => r.id === mine.id), { what: 'the honest share kept' })
    expect((await victim.json(['stats'])).reflections.swarm).toBe(MAX)
  })
})
