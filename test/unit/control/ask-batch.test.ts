// parseBatchLine (pure): every line made of valid flag fields becomes the `ask` parameters;
// anything else is a bad-json or bad-line error naming what is wrong, never a throw of another kind.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { askBatch, parseBatchLine } from '../../../src/control/ask-batch.ts'

const code = (fn: () => unknown): string | undefined => { try { fn(); return undefined } catch (err: any) { return err.code } }

describe('parseBatchLine', () => {
  it('maps flag names to the ask method\'s parameters', () => {
    expect(parseBatchLine(JSON.stringify({ text: 'q', ttl: 60, tag: 'x', 'require-model': ['m'], 'min-reputation': 0.5, to: 'node:a', 'no-follow-ups': true }))).toEqual({
      text: 'q', ttlSec: 60, tags: ['x'], requireModels: ['m'], minReputation: 0.5, to: ['node:a'], scope: 'private', followUps: false
    })
    expect(parseBatchLine(JSON.stringify({ text: 'q', scope: 'private-to-swarm', to: ['n'] })).scope).toBe('private')
    expect(parseBatchLine(JSON.stringify({ text: 'q' }), { scope: 'global', tags: ['d'] })).toEqual({ text: 'q', scope: 'global', tags: ['d'] })
  })

  it('accepts every line of valid fields', () => {
    const line = fc.record({
      text: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
      scope: fc.constantFrom('federation-local', 'cross-federation', 'global'),
      ttl: fc.integer({ min: 1, max: 30 * 86400 }),
      urgency: fc.constantFrom('low', 'normal', 'high', 'critical'),
      tag: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
      lang: fc.array(fc.constantFrom('en', 'pl'), { maxLength: 2 })
    }, { requiredKeys: ['text'] })
    fc.assert(fc.property(line, (o) => {
      const p = parseBatchLine(JSON.stringify(o))
      expect(p.text).toBe(o.text)
      if (o.ttl !== undefined) expect(p.ttlSec).toBe(o.ttl)
    }))
  })

  it('refuses garbage with bad-json or bad-line only', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
      expect(['bad-json', 'bad-line', undefined]).toContain(code(() => parseBatchLine(s)))
    }))
    expect(code(() => parseBatchLine('{'))).toBe('bad-json')
    expect(code(() => parseBatchLine('"text"'))).toBe('bad-line')
    expect(code(() => parseBatchLine('{"text":"q","ttl":1.5}'))).toBe('bad-line')
    expect(code(() => parseBatchLine('{"text":"q","follow-ups":"yes"}'))).toBe('bad-line')
    expect(code(() => parseBatchLine('{"text":"q","tag":[1]}'))).toBe('bad-line')
  })

  it('askBatch keeps input order with many calls in flight and survives a failing call', async () => {
    let n = 0
    const client = {
      call: async (_m: string, p: any) => {
        await new Promise((resolve) => setTimeout(resolve, (7 * n++) % 5))
        if (p.text === 'fail') throw Object.assign(new Error('refused'), { code: 'rate-limited' })
        return { id: `question:${p.text as string}`, envelope: { delivery: { scope: 'global' }, 'ttl-sec': 1 } }
      }
    }
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ text: i === 50 ? 'fail' : String(i) }))
    const out = []
    for await (const r of askBatch(client as any, lines, { window: 8 })) out.push(r)
    expect(out.map((r) => r.line)).toEqual(lines.map((_, i) => i + 1))
    expect((out[50] as any).error.message).toBe('refused')
    expect((out[49] as any).id).toBe('question:49')
  })
})
