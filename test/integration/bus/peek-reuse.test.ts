// A channel put away from memory is read from the store once for a run of looks, not once per
// look: a stranger's questions tagged as sub-questions of an old parent each made synthesis ask
// who stood for that parent, and each read the parent's channel whole. The channel built for a
// look is reused until the stored entries change; the answers stay the same.

import { afterAll, describe, expect, it, vi } from 'vitest'
import { randomBytes } from 'node:crypto'
import { buildContribution, createSigner } from '../../../src/envelope/index.ts'
import { startBusNode, stopBusNodes } from '../../helpers/bus-nodes.ts'

describe('looks at a channel not in memory', () => {
  afterAll(async () => { await stopBusNodes() })

  it('read the store once while it is unchanged, and again once it changed', async () => {
    const node = await startBusNode()
    const bus = node.bus
    const stranger = createSigner(randomBytes(32), 'fed:it')
    const { id } = await bus.ask({ text: 'Which port does the relay use?', ttlSec: 300 })
    await bus.close(id, { resolution: 'withdrawn' })
    bus.ctx.book.unload(id, Date.now())
    expect(bus.ctx.book.channels.has(id)).toBe(false)
    const reads = vi.spyOn(bus.store, 'entries')
    const me = node.identity.nodeId
    const t = Date.now()
    // a flood of looks (each a sub-question a stranger tagged with this parent)
    for (let i = 0; i < 50; i++) {
      expect(await bus.stoodFor(id, stranger.nodeId, t)).toBe(false)
      expect(await bus.stoodFor(id, me, t)).toBe(true)
    }
    expect(reads).toHaveBeenCalledTimes(1)
    expect(bus.ctx.book.channels.has(id)).toBe(false) // a look keeps nothing in the book

    // the stored channel changes: the next look reads it again, and sees the change
    const late = buildContribution(stranger, { questionId: id, kind: 'fact', text: '4001', confidence: 0.9 })
    await bus.store.putEntry(id, { seq: 1000, id: late.id, type: late.type, envelope: late, wire: JSON.stringify(late), at: Date.now() })
    const seen = await bus.channelContributions(id)
    expect(seen.map((c) => c.envelope.id)).toContain(late.id)
    expect(reads).toHaveBeenCalledTimes(2)
    await bus.channelContributions(id)
    expect(reads).toHaveBeenCalledTimes(2)
    reads.mockRestore()
  })

  it('who stood for many old parents in turn is answered without reading each parent again', async () => {
    const node = await startBusNode()
    const bus = node.bus
    const stranger = createSigner(randomBytes(32), 'fed:it')
    const parents: string[] = []
    for (let i = 0; i < 6; i++) {
      const { id } = await bus.ask({ text: `old question ${i}`, ttlSec: 300 })
      await bus.close(id, { resolution: 'withdrawn' })
      bus.ctx.book.unload(id, Date.now())
      parents.push(id)
    }
    const reads = vi.spyOn(bus.store, 'entries')
    // a stranger's sub-questions cycling over more parents than the channel memo holds
    for (let round = 0; round < 10; round++) for (const p of parents) expect(await bus.stoodFor(p, stranger.nodeId, Date.now())).toBe(false)
    expect(reads.mock.calls.length).toBeLessThanOrEqual(parents.length)
    // the asker itself needs no channel at all
    for (const p of parents) expect(await bus.stoodFor(p, node.identity.nodeId, Date.now())).toBe(true)
    expect(reads.mock.calls.length).toBeLessThanOrEqual(parents.length)
    reads.mockRestore()
  })

  it('a channel\'s write mark changes with every write and delete, and never comes back once evicted', async () => {
    const node = await startBusNode()
    const store = node.bus.store
    const signer = createSigner(randomBytes(32), 'fed:it')
    const c = buildContribution(signer, { questionId: 'question:01J0000000000000000000000Q', kind: 'fact', text: 'x', confidence: 0.5 })
    const put = async (qid: string): Promise<void> => { await store.putEntry(qid, { seq: 1, id: c.id, type: c.type, envelope: c, wire: JSON.stringify(c), at: 1 }) }
    const first = store.writeMark('q-a')
    await put('q-a')
    const written = store.writeMark('q-a')
    expect(written).not.toBe(first)
    expect(store.writeMark('q-a')).toBe(written)
    await store.deleteQuestion('q-a')
    const deleted = store.writeMark('q-a')
    expect(deleted).not.toBe(written)
    // 4,096 other channels written since: q-a's mark is evicted, and what stands for it is new
    for (let i = 0; i < 4096; i++) await put(`q-${i}`)
    expect([first, written, deleted]).not.toContain(store.writeMark('q-a'))
  })
})
