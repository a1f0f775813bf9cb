// A member that restarts rejoins its channels and sees what happened after its restart, even
// what was published while it could not be reached: the channel log's `previous` names what it
// lacks, and it fetches that from members (docs/channel-log.md).

import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

async function contributionIds (d: TestDaemon, id: string): Promise<string[]> {
  return (await d.json(['show', id])).contributions.map((x: any) => x.id)
}

describe('question bus: a restarted member rejoins its channel', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('receives contributions made while it was away from their author, and the asker gets them too', async () => {
    // a — b — c: b is the only path between the asker and the third contributor
    daemons.push(...await startDaemons([{ config: fast }, { config: fast }, { config: fast }], 'chain'))
    const [a, b, c] = daemons
    const asked = await a.json(['ask', 'Which port does the relay use?', '--ttl', '600'])
    const id = asked.id as string
    await eventually(async () => (await c.json(['questions'])).some((q: any) => q.id === id), { what: 'question reaches c through b' })
    const first = await b.json(['answer', id, 'It listens on 4001.', '--kind', 'fact'])
    await eventually(async () => (await contributionIds(a, id)).includes(first.id), { what: 'asker sees b\'s answer' })

    // b crashes and comes back, connected to the asker only: its rejoin backfill is served there
    await b.kill()
    await b.start()
    await b.json(['connect', a.tcpAddr])
    await eventually(async () => {
      const shown = await b.json(['show', id])
      return shown.joined === true && shown.contributions.some((x: any) => x.id === first.id)
    }, { what: 'b rejoined with its history' })
    await new Promise((resolve) => setTimeout(resolve, 1000))

    // c, cut off (its only peer was b), contributes: the envelope exists at c alone
    const lonely = await c.json(['answer', id, 'Unless it was changed in config.json.', '--kind', 'hypothesis'])
    expect((await contributionIds(a, id))).not.toContain(lonely.id)
    // then b reaches c again, and c contributes once more right away
    await b.json(['connect', c.tcpAddr])
    const right = await c.json(['answer', id, 'Check `swarm status` for the listen addresses.', '--kind', 'recommendation'])

    for (const [name, d] of [['b (restarted)', b], ['a (asker)', a]] as const) {
      await eventually(async () => {
        const ids = await contributionIds(d, id)
        return ids.includes(lonely.id) && ids.includes(right.id)
      }, { timeoutMs: 20_000, what: `${name} sees both of c's contributions` })
    }
    // still a member of the channel after the restart
    expect((await b.json(['show', id])).joined).toBe(true)
    const shown = await a.json(['show', id])
    expect(shown.state).toBe('answered')
    expect(shown.participants.map((p: any) => p.nodeId)).toEqual(expect.arrayContaining([a.nodeId, b.nodeId, c.nodeId]))
  })
})
