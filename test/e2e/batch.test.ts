// `swarm ask --batch`: NDJSON questions on stdin through one control connection, one result a
// line in input order; bad lines (not JSON, unknown fields, bad values, refused by the daemon)
// get their own error line and the batch goes on. The questions reach the other daemon.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

let A: TestDaemon, B: TestDaemon

beforeAll(async () => {
  ;[A, B] = await startDaemons([{}, {}], 'full')
}, 120_000)

afterAll(async () => {
  await stopAll([A, B].filter((d) => d !== undefined))
  await cleanupHomes()
})

describe('ask --batch', () => {
  it('asks every good line, reports every bad one, in order, and goes on', async () => {
    const input = [
      JSON.stringify({ text: 'first?' }),
      'this is not json',
      JSON.stringify({ text: 'second?', scope: 'global', tag: ['a', 'b'], urgency: 'high', ttl: 120 }),
      JSON.stringify({ text: 'bad field', colour: 'red' }),
      '',
      JSON.stringify({ text: 'bad ttl', ttl: -1 }),
      JSON.stringify({ scope: 'global' }),
      JSON.stringify({ text: 'private without recipients', scope: 'private' }),
      JSON.stringify({ text: 'third?', tag: 'single', lang: ['en'], 'no-follow-ups': true }),
      '[1,2,3]'
    ].join('\n') + '\n'
    const r = await A.cli(['ask', '--batch', '--json', '--tag', 'batch'], { input })
    expect(r.code).toBe(1) // some lines failed
    const lines = r.lines
    expect(lines.map((l: any) => l.line)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10])
    const ok = lines.filter((l: any) => l.error === undefined)
    expect(ok.map((l: any) => l.line)).toEqual([1, 3, 9])
    for (const l of ok) expect(l.id).toMatch(/^question:/)
    expect(lines[0].scope).toBe('federation-local')
    expect(lines[2]).toMatchObject({ scope: 'global', 'ttl-sec': 120 })
    const err = (n: number): any => lines.find((l: any) => l.line === n).error
    expect(err(2).code).toBe('bad-json')
    expect(err(4).code).toBe('bad-line')
    expect(err(4).message).toContain('colour')
    expect(err(6).code).toBe('bad-line')
    expect(err(7).message).toContain('text is required')
    expect(err(8).code).toBe('usage') // the daemon's own refusal, passed through
    expect(err(10).code).toBe('bad-line')
    // the flags are every line's defaults; a line's own fields add to or override them
    const shown = await A.json(['show', lines[2].id])
    expect(shown.envelope.question.tags).toEqual(['a', 'b'])
    expect(shown.envelope.question.urgency).toBe('high')
    const third = await A.json(['show', lines.find((l: any) => l.line === 9).id])
    expect(third.envelope.question.tags).toEqual(['single'])
    expect(third.envelope.delivery['follow-ups?']).toBe(false)
    const first = await A.json(['show', lines[0].id])
    expect(first.envelope.question.tags).toEqual(['batch'])
    // and they reached the other daemon
    await eventually(async () => {
      const seen = JSON.stringify(await B.json(['questions']))
      return ok.every((l: any) => seen.includes(l.id))
    }, { what: 'batch questions reach B' })
  })

  it('human output: one line per question, errors named by line; all good exits 0', async () => {
    const input = `${JSON.stringify({ text: 'one' })}\n${JSON.stringify({ text: 'two' })}\n`
    const r = await A.cli(['ask', '--batch'], { input })
    expect(r.code).toBe(0)
    const out = r.stdout.trim().split('\n')
    expect(out).toHaveLength(2)
    for (const l of out) expect(l).toMatch(/^asked question:\S+ \(federation-local, ttl \d+ s\)$/)
    const bad = await A.cli(['ask', '--batch'], { input: 'nope\n' })
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/^line 1: bad-json: /)
  })

  it('text and --batch together is a usage error; so is no text without --batch', async () => {
    expect((await A.cli(['ask', 'x', '--batch'])).code).toBe(2)
    expect((await A.cli(['ask'])).code).toBe(2)
  })
})
