import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, createDaemon, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

describe('question bus: secretary, shadow and history', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('the shadow takes over from a killed asker, which resumes and backfills on return', async () => {
    daemons.push(...await startDaemons([{ federation: 'fed:a', config: fast }, { federation: 'fed:a', config: fast }, { federation: 'fed:a', config: fast }], 'full'))
    const [asker, shadow, other] = daemons

    const q = await asker.json(['ask', 'Who keeps the minutes?', '--shadow', shadow.nodeId, '--ttl', '300'])
    const following = await eventually(async () => {
      const s = await shadow.json(['show', q.id]).catch(() => undefined)
      return s?.role === 'shadow' && s.shadow === shadow.nodeId ? s : undefined
    }, { what: 'the shadow follows the channel' })
    expect(following.secretary).toBe(null)
    await other.json(['answer', q.id, 'Before the crash', '--kind', 'fact'])
    await eventually(async () => (await asker.json(['show', q.id])).contributions.length === 1, { what: 'asker has the first answer' })

    await asker.kill()
    const took = await eventually(async () => {
      const s = await shadow.json(['show', q.id])
      return s.secretary === shadow.nodeId ? s : undefined
    }, { what: 'the shadow takes over after missed heartbeats' })
    expect(took.role).toBe('secretary')
    await eventually(async () => (await other.json(['show', q.id])).secretary === shadow.nodeId, { what: 'the other member agrees on the secretary' })

    // the channel goes on without the asker
    const during = await other.json(['answer', q.id, 'While the asker was away', '--kind', 'hypothesis', '--confidence', '0.4'])
    // the secretary decomposes the question it acts for; its sub-question is answered and summarized
    const dec = await shadow.json(['decompose', q.id, 'Who keeps the spare minutes?'])
    const subId = dec.questions[0].id as string
    await eventually(async () => (await other.json(['show', subId]).catch(() => undefined)) !== undefined, { what: 'the other member gets the sub-question' })
    await other.json(['answer', subId, 'The deputy keeps them', '--kind', 'fact', '--confidence', '0.9'])
    await eventually(async () => (await shadow.json(['show', subId])).contributions.length === 1, { what: 'the secretary gets the sub-answer' })
    const subSummary = await shadow.json(['summarize', subId, '--final'])

    // the asker comes back: it backfills what it missed, and the secretary steps back
    await asker.start()
    await asker.json(['connect', shadow.tcpAddr])
    await asker.json(['connect', other.tcpAddr])
    const back = await eventually(async () => {
      const s = await asker.json(['show', q.id])
      return s.contributions.some((c: any) => c.id === during.id) && s.secretary === null ? s : undefined
    }, { what: 'asker backfills and resumes' })
    expect(back.role).toBe('asker')
    const steppedBack = await eventually(async () => {
      const s = await shadow.json(['show', q.id])
      return s.secretary === null ? s : undefined
    }, { what: 'the secretary steps back' })
    expect(steppedBack.role).toBe('shadow')
    // the asker, back, merges what its secretary decomposed while it stood for the question,
    // though that secretary has stepped back since
    const merged = await eventually(async () => {
      const s = await asker.json(['summarize', q.id])
      return [...s.content.facts, ...s.content.hypotheses, ...s.content.recommendations].some((i: any) => i.sources.includes(subSummary.id)) ? s : undefined
    }, { what: 'the asker merges the secretary\'s sub-question', timeoutMs: 20_000, intervalMs: 1000 })
    expect(merged.content.facts).toContainEqual(expect.objectContaining({ text: 'The deputy keeps them', sources: [subSummary.id] }))

    const watch = await other.cli(['watch', q.id, '--json', '--timeout', '1'])
    const claims = watch.lines.filter((l: any) => l.type === 'secretary-claim').map((l: any) => l.envelope.mode)
    expect(claims).toEqual(expect.arrayContaining(['shadow', 'takeover', 'step-back']))

    const closed = await asker.json(['close', q.id, '--resolution', 'handed-off', '--handed-off-to', 'fed:a ops on-call', '--note', 'escalated'])
    expect(closed.state).toBe('handed-off')
    await eventually(async () => (await other.json(['show', q.id])).state === 'handed-off', { what: 'members see handed-off' })
  })

  it('a late joiner gets the open question and backfills the channel', async () => {
    const [a, b] = await startDaemons([{ federation: 'fed:a', config: fast }, { federation: 'fed:a', config: fast }], 'full')
    daemons.push(a, b)
    const q = await a.json(['ask', 'What did we decide?', '--ttl', '300'])
    await eventually(async () => (await b.json(['questions'])).some((x: any) => x.id === q.id), { what: 'b gets the question' })
    const c1 = await b.json(['answer', q.id, 'first point', '--kind', 'fact'])
    const c2 = await b.json(['answer', q.id, 'second point', '--kind', 'recommendation', '--reply-to', c1.id])
    await eventually(async () => (await a.json(['show', q.id])).contributions.length === 2, { what: 'asker has both' })

    const late = await createDaemon({ federation: 'fed:a', config: fast })
    daemons.push(late)
    await late.start()
    await late.json(['connect', a.tcpAddr])
    // published long before it subscribed: re-announced to it directly
    await eventually(async () => (await late.json(['questions'])).some((x: any) => x.id === q.id), { what: 'late joiner gets the open question' })
    const w = await late.cli(['watch', q.id, '--json', '--timeout', '4'])
    const seen = w.lines.filter((l: any) => l.type === 'contribution').map((l: any) => l.id)
    expect(seen).toEqual(expect.arrayContaining([c1.id, c2.id]))
    const shown = await late.json(['show', q.id])
    expect(shown.contributions.map((c: any) => c.id)).toEqual([c1.id, c2.id])
  })

  it('without a shadow, volunteers agree on one secretary, which closes the question on expiry', async () => {
    const vol = { ...fast, secretary: { volunteer: true } }
    const [asker, v1, v2] = await startDaemons([{ federation: 'fed:a', config: fast }, { federation: 'fed:a', config: vol }, { federation: 'fed:a', config: vol }], 'full')
    daemons.push(asker, v1, v2)
    const q = await asker.json(['ask', 'Anyone minding the store?', '--ttl', '15'])
    for (const v of [v1, v2]) {
      await eventually(async () => {
        const s = await v.json(['show', q.id]).catch(() => undefined)
        return s?.joined === true && s.participants.some((p: any) => p.nodeId === asker.nodeId)
      }, { what: 'volunteers watch the channel' })
    }
    await asker.kill()
    const secretary = await eventually(async () => {
      const [s1, s2] = await Promise.all([v1.json(['show', q.id]), v2.json(['show', q.id])])
      return s1.secretary !== null && s1.secretary === s2.secretary ? s1.secretary : undefined
    }, { what: 'both volunteers agree on a secretary' })
    expect([v1.nodeId, v2.nodeId]).toContain(secretary)
    const expired = await eventually(async () => {
      const s = await v2.json(['show', q.id])
      return s.close !== null ? s : undefined
    }, { what: 'the secretary closes on expiry', timeoutMs: 40_000 })
    expect(expired.state).toBe('expired')
    expect(expired.close.resolution).toBe('expired')
    expect(expired.close.sender['node/id']).toBe(secretary)
  })
})
