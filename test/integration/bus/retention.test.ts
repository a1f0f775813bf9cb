// Bounded costs: finished questions leave the disk after their retention, the oldest finished
// ones go when more than bus.maxQuestions are stored, and a channel keeps at most
// bus.maxChannelEnvelopes envelopes — each bite counted. Live questions are never swept. A
// finished channel a node does not follow leaves its memory a minute after the close.

import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { buildContribution, buildQuestion, createSigner } from '../../../src/envelope/index.ts'
import { connect, startBusNode, stopBusNodes, until } from '../../helpers/bus-nodes.ts'

describe('question bus retention and caps', () => {
  afterAll(async () => { await stopBusNodes() })

  it('deletes finished questions past retention and beyond the cap, keeps the live ones', async () => {
    const node = await startBusNode({ configure: (c) => { c.bus.retentionSec = 3600; c.bus.maxQuestions = 16 } })
    const stranger = createSigner(randomBytes(32), 'fed:it')
    const hour = 3600_000
    const store = node.bus.store
    // 5 long past their retention, 15 finished recently, 1 still open
    const at = (msAgo: number, ttlSec = 60) => buildQuestion(stranger, { text: 'q', ttlSec }, { createdAt: new Date(Date.now() - msAgo).toISOString() })
    const old = Array.from({ length: 5 }, (_, i) => at(3 * hour + i * 1000))
    const recent = Array.from({ length: 15 }, (_, i) => at(10 * 60_000 + i * 1000))
    const open = at(1000, 600)
    for (const q of [...old, ...recent, open]) await store.putQuestion({ id: q.id, envelope: q, wire: JSON.stringify(q), role: 'receiver', eligible: true, joined: false, receivedAt: Date.now() })
    const mine = await node.bus.ask({ text: 'still mine', ttlSec: 600 })
    await node.bus.sweep()
    const left = new Set((await store.allQuestions()).map((r) => r.id))
    for (const q of old) expect(left.has(q.id)).toBe(false)
    expect(left.has(open.id)).toBe(true)
    expect(left.has(mine.id)).toBe(true)
    expect(left.size).toBe(16)
    expect(node.counters.get('bus.deleted', 'expired')).toBe(5)
    expect(node.counters.get('bus.deleted', 'cap')).toBe(22 - 5 - 16)
    // the oldest recent ones went first
    expect(left.has(recent[14].id)).toBe(false)
    expect(left.has(recent[0].id)).toBe(true)
  })

  it('a node keeps no channel in memory for a question it does not follow, and puts one it followed away a minute after the close', async () => {
    const [a, b, c] = await Promise.all([startBusNode(), startBusNode(), startBusNode()])
    await connect(b, a)
    await connect(c, a)
    const { id } = await a.bus.ask({ text: 'Which port does the relay use?', ttlSec: 300 })
    await until(async () => (await b.bus.list()).some((x) => x.id === id) && (await c.bus.list()).some((x) => x.id === id), { what: 'b and c get the question' })
    await b.bus.contribute(id, { kind: 'fact', text: '4001', confidence: 0.9 })
    await until(async () => ((await a.bus.show(id)) as { contributions: unknown[] }).contributions.length === 1, { what: 'the asker holds the answer' })
    await a.bus.close(id, { resolution: 'resolved' })
    // a and b took part, and leave after the close; c saw the channel's envelopes go by, unread
    for (const n of [a, b]) await until(() => n.bus.ctx.book.channels.get(id)?.state() === 'resolved' && n.bus.ctx.book.records.get(id)?.joined === false, { what: 'the close reached them, and they follow no more' })
    expect(c.bus.ctx.book.records.has(id)).toBe(true)
    expect(c.bus.ctx.book.channels.has(id)).toBe(false)
    for (const n of [a, b]) {
      n.bus.prune(Date.now() + 30_000)
      expect(n.bus.ctx.book.channels.has(id)).toBe(true) // not yet: a minute after the close
      n.bus.prune(Date.now() + 61_000)
      expect(n.bus.ctx.book.channels.has(id)).toBe(false)
      expect(n.bus.ctx.book.digests.get(id)).toEqual({ state: 'resolved', contributions: 1, closed: true })
      expect((await n.bus.list()).find((x) => x.id === id)).toMatchObject({ state: 'resolved', phase: 'resolved', contributions: 1 })
      // show brings it back from the store, whole
      const shown = await n.bus.show(id) as { state: string, contributions: Array<{ text: string }> }
      expect(shown.state).toBe('resolved')
      expect(shown.contributions.map((x) => x.text)).toEqual(['4001'])
      expect(n.bus.ctx.book.channels.has(id)).toBe(true)
      expect(n.bus.ctx.book.digests.has(id)).toBe(false)
    }
  })

  it('a channel refuses envelopes beyond its cap (counted) and keeps the earlier ones', async () => {
    const node = await startBusNode({ configure: (c) => { c.bus.maxChannelEnvelopes = 16 } })
    const { id } = await node.bus.ask({ text: 'a small channel', ttlSec: 600 })
    const peers = Array.from({ length: 3 }, () => createSigner(randomBytes(32), 'fed:it'))
    const ch = node.bus.ctx.book.channels.get(id)!
    let refused = 0
    for (let i = 0; i < 30; i++) {
      const c = buildContribution(peers[i % 3], { questionId: id, kind: 'fact', text: `f${i}`, confidence: 0.5 })
      const out = node.bus.ctx.book.ingest({ envelope: c, wire: JSON.stringify(c) }, { kind: 'gossip' }, Date.now())
      if (out.applied === 'channel-full') refused++
    }
    expect(ch.entries.length).toBe(16)
    expect(refused).toBeGreaterThan(0)
  })
})
