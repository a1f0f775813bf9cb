// Bounded costs: finished questions leave the disk after their retention, the oldest finished
// ones go when more than bus.maxQuestions are stored, and a channel keeps at most
// bus.maxChannelEnvelopes envelopes — each bite counted. Live questions are never swept.

import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { buildContribution, buildQuestion, createSigner } from '../../../src/envelope/index.ts'
import { startBusNode, stopBusNodes } from '../../helpers/bus-nodes.ts'

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
