import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

describe('question bus: ask → received → answer → show/watch → close', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('carries a question and its contributions end to end', async () => {
    daemons.push(...await startDaemons([{ federation: 'fed:a', config: fast }, { federation: 'fed:a', config: fast }, { federation: 'fed:a', config: fast }], 'full'))
    const [a, b, c] = daemons

    const asked = await a.json(['ask', 'How do I rotate a trust root?', '--tag', 'trust', '--urgency', 'high', '--ttl', '120'])
    expect(asked.id).toMatch(/^question:[0-9A-Z]{26}$/)
    expect(asked.envelope).toMatchObject({ type: 'swarm/question', id: asked.id, question: { text: 'How do I rotate a trust root?', tags: ['trust'], urgency: 'high' }, delivery: { scope: 'federation-local' } })

    for (const d of [b, c]) {
      const list = await eventually(async () => {
        const l = await d.json(['questions'])
        return l.length === 1 ? l : undefined
      }, { what: 'question reaches peer' })
      expect(list[0]).toMatchObject({ id: asked.id, text: 'How do I rotate a trust root?', scope: 'federation-local', urgency: 'high', state: 'open', role: 'receiver', contributions: 0 })
      expect(typeof list[0].expiresAt).toBe('string')
    }
    const mine = await a.json(['questions'])
    expect(mine[0]).toMatchObject({ id: asked.id, role: 'asker', state: 'open' })

    const ans = await b.json(['answer', asked.id, 'Use a cross-signed transition period.', '--kind', 'recommendation', '--confidence', '0.8', '--source', 'rfc:5011'])
    expect(ans.id).toMatch(/^contribution:/)
    const fact = await c.json(['answer', asked.id, 'Old nodes pin the root key.', '--kind', 'fact', '--confidence', '0.9', '--reply-to', ans.id])

    const shown = await eventually(async () => {
      const s = await a.json(['show', asked.id])
      return s.contributions.length === 2 ? s : undefined
    }, { what: 'asker sees both contributions' })
    expect(shown.state).toBe('answered')
    expect(shown.role).toBe('asker')
    expect(shown.secretary).toBe(null)
    expect(shown.envelope.id).toBe(asked.id)
    const byId = Object.fromEntries(shown.contributions.map((x: any) => [x.id, x]))
    expect(byId[ans.id]).toMatchObject({ kind: 'recommendation', confidence: 0.8, sources: ['rfc:5011'], text: 'Use a cross-signed transition period.' })
    expect(byId[fact.id]['in-reply-to']).toBe(ans.id)
    const roles = Object.fromEntries(shown.participants.map((p: any) => [p.nodeId, p.role]))
    expect(roles[a.nodeId]).toBe('asker')
    expect(roles[b.nodeId]).toBe('participant')

    // b's list now shows it joined as a participant
    const bl = await b.json(['questions'])
    expect(bl[0]).toMatchObject({ role: 'participant' })

    // a watcher sees history, then the close, then the stream ends
    const watching = c.cli(['watch', asked.id, '--json'], { timeoutMs: 30_000 })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const closed = await a.json(['close', asked.id, '--accept', ans.id, '--note', 'thanks'])
    expect(closed.state).toBe('resolved')
    const w = await watching
    expect(w.code).toBe(0)
    const types = w.lines.map((l: any) => l.type)
    expect(types).toContain('contribution')
    expect(types).toContain('close')
    expect(w.lines.at(-1)).toMatchObject({ type: 'state', state: 'resolved' })

    const after = await eventually(async () => {
      const s = await b.json(['show', asked.id])
      return s.state === 'resolved' ? s : undefined
    }, { what: 'b sees resolved' })
    expect(after.close).toMatchObject({ resolution: 'accepted-answer', accepted: [ans.id] })

    const late = await c.cli(['answer', asked.id, 'too late', '--json'])
    expect(late.code).toBe(1)
    expect(late.json.error.code).toBe('closed')

    const stats = await a.json(['stats'])
    expect(stats.questions.byState.resolved).toBe(1)
    expect(typeof stats.channels).toBe('number')
  })

  it('ask --wait streams the ask result, then the channel as NDJSON', async () => {
    const [a, b] = daemons
    const waiting = a.cli(['ask', 'Streaming question?', '--wait', '8', '--json'], { timeoutMs: 30_000 })
    const q = await eventually(async () => (await b.json(['questions'])).find((x: any) => x.text === 'Streaming question?'), { what: 'b gets the streamed question' })
    const ans = await b.json(['answer', q.id, 'streamed answer', '--kind', 'fact', '--confidence', '0.6'])
    const res = await waiting
    expect(res.code).toBe(0)
    expect(res.lines[0]).toMatchObject({ id: q.id, envelope: { type: 'swarm/question' } })
    const contribution = res.lines.find((l: any) => l.type === 'contribution')
    expect(contribution).toMatchObject({ id: ans.id, questionId: q.id, from: b.nodeId, envelope: { text: 'streamed answer' } })

    const human = await a.cli(['show', q.id])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('streamed answer')
    const missing = await a.cli(['show', 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9', '--json'])
    expect(missing.code).toBe(1)
    expect(missing.json.error.code).toBe('not-found')
    const bad = await a.cli(['ask', 'x', '--scope', 'nowhere'])
    expect(bad.code).toBe(2)
  })
})
