import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

describe('question bus: a sparse mesh (chain a — relay — b)', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('a channel works between nodes with no direct link, through a node outside the channel', async () => {
    daemons.push(...await startDaemons([{ federation: 'fed:a', config: fast }, { federation: 'fed:a', config: fast }, { federation: 'fed:a', config: fast }], 'chain'))
    const [asker, relay, far] = daemons
    const q = await asker.json(['ask', 'Can you hear me from afar?', '--ttl', '120'])
    await eventually(async () => (await far.json(['questions'])).some((x: any) => x.id === q.id), { what: 'the far node gets the question' })
    const ans = await far.json(['answer', q.id, 'Loud and clear', '--kind', 'fact'])
    await eventually(async () => (await asker.json(['show', q.id])).contributions.some((c: any) => c.id === ans.id), { what: 'the asker gets the far contribution' })
    await asker.json(['close', q.id, '--accept', ans.id])
    await eventually(async () => (await far.json(['show', q.id])).state === 'resolved', { what: 'the far node sees the close' })
    const relayed = await relay.json(['show', q.id])
    expect(relayed.joined).toBe(false)
    expect(relayed.contributions).toEqual([])
  })
})
