// The question bus in one process: three real libp2p nodes on loopback TCP, each with the real
// QuestionBus (no spawned daemons): ask, contribute, secretary takeover, close and history.

import { afterAll, describe, expect, it } from 'vitest'
import { connect, startBusNode, stopBusNodes, until, type BusNode } from '../../helpers/bus-nodes.ts'

const show = async (n: BusNode, id: string): Promise<any> => await n.bus.show(id)

describe('question bus, in process', () => {
  afterAll(async () => { await stopBusNodes() })

  it('ask, contribute, close: every member agrees; a late joiner backfills the history', async () => {
    const [a, b, c] = await Promise.all([startBusNode(), startBusNode(), startBusNode()])
    await connect(b, a)
    await connect(c, a)
    await connect(c, b)
    const { id } = await a.bus.ask({ text: 'Which port does the relay use?', ttlSec: 300 })
    await until(async () => (await b.bus.list()).some((x) => x.id === id) && (await c.bus.list()).some((x) => x.id === id), { what: 'b and c get the question' })
    const fact = await b.bus.contribute(id, { kind: 'fact', text: '4001', confidence: 0.9 })
    const rec = await c.bus.contribute(id, { kind: 'recommendation', text: 'use 443 behind a proxy', confidence: 0.6, replyTo: fact.id })
    for (const n of [a, b, c]) {
      await until(async () => (await show(n, id)).contributions.length === 2, { what: 'everyone holds both contributions' })
    }
    expect((await show(a, id)).state).toBe('answered')

    // a node that connects later gets the open question re-announced and backfills the channel
    const late = await startBusNode()
    await connect(late, a)
    await until(async () => (await late.bus.list()).some((x) => x.id === id), { what: 'the late joiner gets the question' })
    await late.bus.join(id, 'watcher')
    await until(async () => (await show(late, id)).contributions.map((x: any) => x.id).join() === [fact.id, rec.id].join(), { what: 'the late joiner backfills both contributions' })

    const closed = await a.bus.close(id, { accept: [fact.id] })
    expect(closed.state).toBe('resolved')
    for (const n of [b, c, late]) await until(async () => (await show(n, id)).state === 'resolved', { what: 'members see the close' })
    await expect(b.bus.contribute(id, { kind: 'fact', text: 'too late', confidence: 0.5 })).rejects.toMatchObject({ code: 'closed' })
  })

  it('the appointed shadow takes over when the asker goes silent; the other member agrees; the secretary may close', async () => {
    const [a, b, c] = await Promise.all([startBusNode(), startBusNode(), startBusNode()])
    await connect(b, a)
    await connect(c, a)
    await connect(c, b)
    const { id } = await a.bus.ask({ text: 'Who keeps the minutes?', ttlSec: 300, shadow: b.identity.nodeId })
    await until(async () => (await show(b, id)).role === 'shadow', { what: 'the shadow follows' })
    await until(async () => (await c.bus.list()).some((x) => x.id === id), { what: 'c gets the question' })
    await c.bus.contribute(id, { kind: 'fact', text: 'before the asker left', confidence: 0.7 })
    await until(async () => (await show(b, id)).contributions.length === 1, { what: 'the shadow holds the answer' })
    await a.stop()
    await until(async () => (await show(b, id)).secretary === b.identity.nodeId, { what: 'the shadow takes over' })
    await until(async () => (await show(c, id)).secretary === b.identity.nodeId, { what: 'the other member agrees' })
    expect((await show(b, id)).role).toBe('secretary')
    const closed = await b.bus.close(id, { resolution: 'resolved', note: 'closed by the secretary' })
    expect(closed.state).toBe('resolved')
    await until(async () => (await show(c, id)).state === 'resolved', { what: 'the member accepts the secretary\'s close' })
  })
})
