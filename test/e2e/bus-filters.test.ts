import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

describe('question bus: filters, TTL and follow-ups', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('enforces filters at both ends, refuses late answers and clarification requests without follow-ups', async () => {
    daemons.push(...await startDaemons([
      { federation: 'fed:a', config: { ...fast, node: { languages: ['en'] }, reputation: { default: 0.5 } } },
      { federation: 'fed:a', config: { ...fast, node: { languages: ['pl', 'en'] }, reputation: { default: 0.9 } } },
      { federation: 'fed:a', config: { ...fast, node: { languages: ['en'] } } }
    ], 'full'))
    const [a, pl, en] = daemons

    // a language filter excludes a node
    const polish = await a.json(['ask', 'Pytanie po polsku?', '--lang', 'pl', '--ttl', '120'])
    await eventually(async () => (await pl.json(['questions'])).some((q: any) => q.id === polish.id), { what: 'the Polish speaker gets it' })
    const hidden = await eventually(async () => (await en.json(['questions', '--all'])).find((q: any) => q.id === polish.id), { what: 'the other node records it' })
    expect(hidden.eligible).toBe(false)
    expect((await en.json(['questions'])).some((q: any) => q.id === polish.id)).toBe(false)
    const refused = await en.cli(['answer', polish.id, 'I do not speak Polish', '--json'])
    expect(refused.code).toBe(1)
    expect(refused.json.error.code).toBe('filtered-out')
    await pl.json(['answer', polish.id, 'Tak.', '--kind', 'fact'])

    // the asker drops a contribution whose sender is below its reputation bar (pl thinks itself fine)
    const picky = await a.json(['ask', 'Only trusted nodes, please', '--min-reputation', '0.6', '--ttl', '120'])
    await eventually(async () => (await pl.json(['questions'])).some((q: any) => q.id === picky.id), { what: 'pl gets the picky question' })
    const dropped = await pl.cli(['answer', picky.id, 'trust me', '--json'])
    expect(dropped.code).toBe(1)
    expect(dropped.json.error.code).toBe('filtered-out')
    const shown = await eventually(async () => {
      const s = await a.json(['show', picky.id])
      return s.excluded.length === 1 ? s : undefined
    }, { what: 'the asker records the exclusion' })
    expect(shown.contributions).toEqual([])
    expect(shown.excluded[0]).toMatchObject({ from: pl.nodeId, reason: 'filtered-out' })
    expect((await en.cli(['answer', picky.id, 'me neither', '--json'])).json.error.code).toBe('filtered-out')

    // follow-ups off: clarification requests are refused
    const terse = await a.json(['ask', 'No questions back, please', '--no-follow-ups', '--ttl', '120'])
    expect(terse.envelope.delivery['follow-ups?']).toBe(false)
    await eventually(async () => (await en.json(['questions'])).some((q: any) => q.id === terse.id), { what: 'en gets the terse question' })
    const clar = await en.cli(['answer', terse.id, 'What do you mean?', '--kind', 'clarification-request', '--json'])
    expect(clar.code).toBe(1)
    expect(clar.json.error.code).toBe('no-follow-ups')

    // a late answer is refused; the question expires
    const brief = await a.json(['ask', 'Quick one', '--ttl', '2', '--urgency', 'critical'])
    await eventually(async () => (await en.json(['questions'])).some((q: any) => q.id === brief.id), { what: 'en gets the brief question' })
    const first = await a.json(['questions'])
    expect(first[0].id).toBe(brief.id) // critical comes first
    const expired = await eventually(async () => {
      const s = await a.json(['show', brief.id])
      return s.state === 'expired' && s.close !== null ? s : undefined
    }, { what: 'the question expires with a close envelope' })
    expect(expired.close.resolution).toBe('expired')
    const late = await en.cli(['answer', brief.id, 'sorry I am late', '--json'])
    expect(late.code).toBe(1)
    expect(late.json.error.code).toBe('late')

    const stats = await a.json(['stats'])
    expect(stats.questions.byState.expired).toBeGreaterThanOrEqual(1)
  })
})
