// What the page keeps across reloads (src/web/channel-keep.ts): bounded by channel count, by
// envelopes and bytes per channel; finished channels go first and are always gone a day after
// their deadline; open ones are never dropped while a finished one could be (fast-check).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { evictions, KEEP_AFTER_DEADLINE_MS, KEEP_CHANNEL_BYTES, KEEP_ENTRIES, keptEntries } from '../../../src/web/channel-keep.ts'
import type { ChannelEntry } from '../../../src/bus/core/index.ts'

const NOW = 1_800_000_000_000

describe('channels the page keeps', () => {
  it('evicts within the bound, finished before open, and always the long-finished', () => {
    const arb = fc.uniqueArray(fc.record({
      id: fc.uuid(),
      deadline: fc.integer({ min: NOW - 3 * KEEP_AFTER_DEADLINE_MS, max: NOW + 3600_000 }),
      finished: fc.boolean(),
      receivedAt: fc.integer({ min: NOW - 3 * KEEP_AFTER_DEADLINE_MS, max: NOW })
    }), { maxLength: 40, selector: (c) => c.id })
    fc.assert(fc.property(arb, fc.integer({ min: 1, max: 20 }), (kept, max) => {
      const gone = new Set(evictions(kept, NOW, max))
      const left = kept.filter((c) => !gone.has(c.id))
      const done = (c: typeof kept[number]): boolean => c.finished || c.deadline <= NOW
      for (const c of kept) if (done(c) && c.deadline + KEEP_AFTER_DEADLINE_MS <= NOW) expect(gone.has(c.id)).toBe(true)
      expect(left.length).toBeLessThanOrEqual(max)
      // an open channel goes only when no finished one is left to go
      if (kept.some((c) => gone.has(c.id) && !done(c))) expect(left.every((c) => !done(c))).toBe(true)
      // no more than needed
      const mustGo = kept.filter((c) => done(c) && c.deadline + KEEP_AFTER_DEADLINE_MS <= NOW).length
      expect(gone.size).toBe(Math.max(mustGo, kept.length - max))
    }))
  })

  it('keeps a channel\'s envelopes in order, bounded by count and bytes', () => {
    const entry = (i: number, bytes: number): ChannelEntry => ({ seq: i, id: `e${i}`, type: 'swarm/contribution', wire: 'x'.repeat(bytes), envelope: {} as never, at: i })
    const many = Array.from({ length: KEEP_ENTRIES + 10 }, (_, i) => entry(i, 10))
    expect(keptEntries(many).map((e) => e.id)).toEqual(many.slice(0, KEEP_ENTRIES).map((e) => e.id))
    const big = Array.from({ length: 5 }, (_, i) => entry(i, KEEP_CHANNEL_BYTES / 2 - 1))
    expect(keptEntries(big)).toHaveLength(2)
  })
})
