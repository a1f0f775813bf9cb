import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { channelDelta } from '../../../src/mcp/channel-delta.ts'
import { answerable } from '../../../src/mcp/question-tools.ts'
import { noticeOf } from '../../../src/mcp/serve.ts'
import type { ChannelEvent, QuestionRow } from '../../../src/client/types.ts'

const KINDS = ['contribution', 'presence', 'summary', 'close'] as const

function event (seq: number, type: typeof KINDS[number]): ChannelEvent {
  const envelope: any = { type: `swarm/${type}`, id: `${type}:${seq}`, sender: { 'node/id': 'node:x' } }
  if (type === 'contribution') Object.assign(envelope, { kind: 'fact', text: `t${seq}`, confidence: 0.5, sources: [] })
  if (type === 'summary') Object.assign(envelope, { status: 'intermediate', content: {} })
  if (type === 'close') Object.assign(envelope, { resolution: 'resolved', accepted: [] })
  return { type, questionId: 'question:q', seq, id: envelope.id, from: 'node:x', envelope }
}

const channel = fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 60 })
  .chain((seqs) => fc.tuple(fc.constant(seqs), fc.array(fc.constantFrom(...KINDS), { minLength: seqs.length, maxLength: seqs.length })))
  .map(([seqs, kinds]) => seqs.map((s, i) => event(s, kinds[i])))

describe('channelDelta: the swarm_watch cursor', () => {
  it('successive calls from the returned cursor see every contribution exactly once, in order', () => {
    fc.assert(fc.property(channel, fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 8 }), (events, cuts) => {
      // the channel grows in steps; each call gets what has arrived so far and the last cursor
      const sorted = [...events].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
      const stops = [...new Set([...cuts.map((c) => Math.min(c, sorted.length)), sorted.length])].sort((a, b) => a - b)
      let cursor = 0
      const seen: number[] = []
      for (const n of stops) {
        const d = channelDelta(sorted.slice(0, n), cursor)
        expect(d.cursor).toBeGreaterThanOrEqual(cursor)
        seen.push(...d.contributions.map((c) => c.seq))
        cursor = d.cursor
      }
      expect(seen).toEqual(sorted.filter((e) => e.type === 'contribution').map((e) => e.seq))
    }))
  })

  it('ignores what lies at or before the cursor, duplicates and events without a position', () => {
    fc.assert(fc.property(channel, fc.integer({ min: 0, max: 500 }), (events, cursor) => {
      const noisy = [...events, ...events, { type: 'state', questionId: 'question:q', state: 'open' } as ChannelEvent]
      const d = channelDelta(noisy, cursor)
      expect(d.contributions.every((c) => c.seq > cursor)).toBe(true)
      expect(new Set(d.contributions.map((c) => c.seq)).size).toBe(d.contributions.length)
      const max = Math.max(cursor, ...events.map((e) => e.seq ?? 0))
      expect(d.cursor).toBe(max)
    }))
  })

  it('keeps reply-to and the exclusion of a contribution', () => {
    const e = event(3, 'contribution')
    e.envelope!['in-reply-to'] = 'contribution:1'
    e.excluded = 'filtered-out'
    expect(channelDelta([e], 0).contributions[0]).toMatchObject({ replyTo: 'contribution:1', excluded: 'filtered-out', text: 't3' })
  })
})

describe('answerable and the --serve notice', () => {
  const row = (o: Partial<QuestionRow>): QuestionRow => ({ id: 'question:a', text: 't', scope: 'global', urgency: 'normal', state: 'open', phase: 'open', role: 'receiver', contributions: 0, expiresAt: '', createdAt: '', from: 'node:y', eligible: true, ...o })
  it('lists open questions of others this node may answer', () => {
    const rows = [row({ id: '1' }), row({ id: '2', role: 'asker' }), row({ id: '3', eligible: false }), row({ id: '4', state: 'resolved' }), row({ id: '5', state: 'answered', role: 'participant' })]
    expect(answerable(rows).map((r) => r.id)).toEqual(['1', '5'])
  })
  it('announces only eligible received questions', () => {
    expect(noticeOf({ type: 'question:received', id: 'question:a', eligible: true, text: 'hi', from: 'node:y', scope: 'global', urgency: 'high' })).toEqual({ type: 'question', id: 'question:a', text: 'hi', from: 'node:y', scope: 'global', urgency: 'high' })
    expect(noticeOf({ type: 'question:received', id: 'question:a', eligible: false })).toBeUndefined()
    expect(noticeOf({ type: 'question:asked', id: 'question:a', eligible: true })).toBeUndefined()
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (junk) => { expect(() => noticeOf(junk)).not.toThrow() }))
  })
})
