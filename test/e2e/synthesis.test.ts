import { afterAll, describe, expect, it } from 'vitest'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cleanupHomes, eventually, NODE, startDaemons, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }
const hooks = { SWARM_TEST_HOOKS: '1' }
const SEED_KEYS = ['type', 'id', 'sender', 'created-at', 'ttl-sec', 'question', 'delivery', 'filters', 'reward', 'signature'].sort()

/** An operator's answerer: `#!/bin/sh` exec'ing the pinned node on a script, reading JSON on stdin. */
async function answerer (name: string, body: string): Promise<string> {
  const dir = await tempHome('swarm-answerer-')
  const js = join(dir, `${name}.mjs`)
  await writeFile(js, `let s = ''\nprocess.stdin.on('data', (d) => { s += d }).on('end', () => {\n  const i = JSON.parse(s)\n  const t = i.question.question.text\n  const out = []\n${body}\n  process.stdout.write(JSON.stringify(out))\n})\n`)
  const sh = join(dir, name)
  await writeFile(sh, `#!/bin/sh\nexec "${NODE}" "${js}"\n`)
  await chmod(sh, 0o755)
  return sh
}

// B states a fact; C doubts it ("disagree" questions), agrees otherwise, and asks back on vague ones
const FACT = `  if (t.includes('overlap')) out.push({ kind: 'fact', text: 'The overlap should last thirty days.', confidence: 0.9, sources: ['runbook:overlap'] })
  else if (!t.includes('vague')) out.push({ kind: 'fact', text: 'Rotating the trust root requires restarting every old node.', confidence: 0.8, sources: ['runbook:rotation'] })`
const DOUBT = `  if (t.includes('vague')) {
    const clar = i.contributions.find((c) => c.kind === 'clarification')
    out.push(clar === undefined
      ? { kind: 'clarification-request', text: 'Which protocol version do your nodes run?', confidence: 1, sources: [] }
      : { kind: 'fact', text: 'For ' + clar.text + ' nodes, keep a thirty-day overlap.', confidence: 0.7, sources: [clar.id] })
  } else if (t.includes('overlap')) out.push({ kind: 'hypothesis', text: 'A shorter overlap may be enough for small federations.', confidence: 0.5, sources: [] })
  else if (t.includes('disagree')) out.push({ kind: 'hypothesis', text: 'Rotating the trust root does not require restarting every old node.', confidence: 0.8, sources: [] })
  else out.push({ kind: 'hypothesis', text: 'Rotating the trust root requires restarting every old node first.', confidence: 0.8, sources: [] })`

async function call (d: TestDaemon, method: string, params: unknown): Promise<any> {
  const { ControlClient } = await import('../../src/control/client.ts')
  const c = await ControlClient.connect(`${d.home}/swarm.sock`, d.home, AbortSignal.timeout(5000))
  try { return await c.call(method, params) } finally { c.close() }
}

const items = (s: any): any[] => [...s.content.facts, ...s.content.hypotheses, ...s.content.recommendations]

describe('synthesis: answerers, clarification, decomposition, summaries, reputation', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })
  let a: TestDaemon, b: TestDaemon, c: TestDaemon, d: TestDaemon

  /** The asker's view of a question once every node in `from` has contributed (kinds: at least `n` each). */
  async function contributionsOf (qid: string, from: TestDaemon[], what: string): Promise<any> {
    return await eventually(async () => {
      const s = await a.json(['show', qid])
      const senders = new Set([...s.contributions, ...s.excluded.map((x: any) => x.envelope)].map((x: any) => x.sender['node/id']))
      return from.every((x) => senders.has(x.nodeId)) ? s : undefined
    }, { what, timeoutMs: 30_000 })
  }
  const by = (s: any, who: TestDaemon, kind?: string): any => s.contributions.find((x: any) => x.sender['node/id'] === who.nodeId && (kind === undefined || x.kind === kind))

  it('two disagreeing command answerers and a reflections answerer: cited summary, higher uncertainty, late contribution excluded', async () => {
    const fact = await answerer('fact', FACT)
    const doubt = await answerer('doubt', DOUBT)
    daemons.push(...await startDaemons([
      { federation: 'fed:a', config: fast },
      { federation: 'fed:a', config: { ...fast, answerers: [{ kind: 'command', command: fact, timeoutSec: 10 }] }, env: hooks },
      { federation: 'fed:a', config: { ...fast, answerers: [{ kind: 'command', command: doubt, timeoutSec: 10 }] } },
      { federation: 'fed:a', config: { ...fast, answerers: [{ kind: 'reflections', tags: ['trust'] }] } }
    ], 'full'))
    ;[a, b, c, d] = daemons
    // shared: a remote question is only ever answered from shared reflections (issue 23)
    const refl = await d.json(['reflect', 'add', '--description', 'Rotated the federation trust root with a 30-day overlap window', '--outcome', 'success', '--tag', 'trust', '--recommendation', 'Keep both roots valid during the overlap', '--share'])

    const q1 = await a.json(['ask', 'disagree: how do I rotate the federation trust root?', '--tag', 'trust', '--ttl', '20'])
    const q2 = await a.json(['ask', 'agree: how do I rotate the federation trust root?', '--tag', 'trust', '--ttl', '120'])
    const s1 = await contributionsOf(q1.id, [b, c, d], 'three answerers on q1')
    const s2 = await contributionsOf(q2.id, [b, c, d], 'three answerers on q2')

    const bFact = by(s1, b, 'fact')
    const cHyp = by(s1, c, 'hypothesis')
    const dFact = by(s1, d, 'fact')
    const dRec = await eventually(async () => by(await a.json(['show', q1.id]), d, 'recommendation'), { what: 'reflection recommendation' })
    expect(bFact).toMatchObject({ text: 'Rotating the trust root requires restarting every old node.', confidence: 0.8, sources: ['runbook:rotation'], origin: 'node-generated' })
    expect(cHyp).toMatchObject({ text: 'Rotating the trust root does not require restarting every old node.', origin: 'node-generated' })
    expect(dFact).toMatchObject({ text: 'Rotated the federation trust root with a 30-day overlap window', sources: [refl.id], origin: 'node-generated' })
    expect(dRec).toMatchObject({ text: 'Keep both roots valid during the overlap', sources: [refl.id] })

    const sum1 = await a.json(['summarize', q1.id])
    const sum2 = await a.json(['summarize', q2.id])
    expect(sum1).toMatchObject({ type: 'swarm/summary', 'question/id': q1.id, status: 'intermediate' })
    expect(sum1.id).toMatch(/^summary:[0-9A-Z]{26}$/)
    expect(sum1.content.facts).toEqual(expect.arrayContaining([
      { text: bFact.text, confidence: 0.8, sources: [bFact.id] },
      { text: dFact.text, confidence: dFact.confidence, sources: [dFact.id] }
    ]))
    expect(sum1.content.hypotheses).toEqual([{ text: cHyp.text, confidence: 0.8, sources: [cHyp.id] }])
    expect(sum1.content.recommendations).toEqual([{ text: dRec.text, confidence: dRec.confidence, sources: [dRec.id] }])
    expect(sum1.contributors).toEqual([b.nodeId, c.nodeId, d.nodeId].sort())
    for (const i of items(sum1)) expect(i.sources.length).toBeGreaterThan(0)
    // the same answers, except that C agrees: less uncertain
    expect(sum2.content.hypotheses[0].sources).toEqual([by(s2, c, 'hypothesis').id])
    expect(sum1.content.uncertainty).toBeGreaterThan(sum2.content.uncertainty)

    // the summary is a signed channel envelope: others see it, the asker's phase says so
    await eventually(async () => (await b.json(['show', q1.id])).summaries.some((x: any) => x.id === sum1.id), { what: 'summary reaches b' })
    expect((await a.json(['show', q2.id])).phase).toBe('summarized')
    // anyone in the channel may publish an intermediate summary; only the asker a final one
    const bFinal = await b.cli(['summarize', q1.id, '--final', '--json'])
    expect(bFinal.code).toBe(1)
    expect(bFinal.json.error.code).toBe('not-authorized')
    expect((await b.json(['summarize', q1.id])).status).toBe('intermediate')

    // after the TTL, a contribution that reaches the asker is late: listed, never used
    await eventually(async () => (await a.json(['show', q1.id])).state === 'expired', { what: 'q1 expires', timeoutMs: 40_000 })
    const late = await call(b, 'debug.push-contribution', { questionId: q1.id, to: a.nodeId, kind: 'fact', text: 'A late thought.', confidence: 1 })
    expect(late.verdict).toMatchObject({ ok: false, reason: 'late' })
    const final = await a.json(['summarize', q1.id, '--final'])
    expect(final.status).toBe('final')
    expect(final.excluded).toEqual([{ contribution: late.id, reason: 'late' }])
    expect(items(final).flatMap((i: any) => i.sources)).not.toContain(late.id)
    expect((await a.json(['show', q1.id])).excluded).toEqual([expect.objectContaining({ id: late.id, reason: 'late' })])
    // the same contributions give the same summary
    const again = await a.json(['summarize', q1.id, '--final'])
    expect(again.id).not.toBe(final.id)
    expect(JSON.stringify([again.content, again.contributors, again.excluded])).toBe(JSON.stringify([final.content, final.contributors, final.excluded]))
    expect(final.content).toEqual(sum1.content)
  })

  it('a clarification round: an answerer asks back, the asker clarifies, the answerer runs again', async () => {
    const q3 = await a.json(['ask', 'vague: my rotation broke, what now?', '--ttl', '120'])
    const asked = await eventually(async () => {
      const s = await a.json(['show', q3.id])
      return s.contributions.find((x: any) => x.kind === 'clarification-request') !== undefined ? s : undefined
    }, { what: 'clarification request', timeoutMs: 30_000 })
    const request = by(asked, c, 'clarification-request')
    expect(request).toMatchObject({ text: 'Which protocol version do your nodes run?', origin: 'node-generated' })
    expect(asked.phase).toBe('clarifying')
    expect(asked.state).toBe('open')
    const clar = await a.json(['answer', q3.id, 'v2', '--kind', 'clarification', '--reply-to', request.id, '--confidence', '1'])
    const after = await eventually(async () => {
      const s = await a.json(['show', q3.id])
      return by(s, c, 'fact') !== undefined ? s : undefined
    }, { what: 'answer after the clarification', timeoutMs: 30_000 })
    expect(by(after, c, 'fact')).toMatchObject({ text: 'For v2 nodes, keep a thirty-day overlap.', sources: [clar.id], origin: 'node-generated' })
    expect(after.contributions.find((x: any) => x.id === clar.id)).toMatchObject({ kind: 'clarification', 'in-reply-to': request.id, origin: 'node-mediated-human' })
    expect(after.contributions.filter((x: any) => x.kind === 'clarification-request')).toHaveLength(1)
    expect(after.phase).toBe('answered')
  })

  it('decomposition: sub-questions keep the seed shape, route by tags, and their summary is cited by the parent', async () => {
    const parent = await a.json(['ask', 'Plan the trust root rotation for our federation', '--tag', 'trust', '--ttl', '120'])
    const dec = await a.json(['decompose', parent.id, 'How long should the overlap be?', '--tag', 'overlap'])
    expect(dec.parent).toBe(parent.id)
    const sub = dec.questions[0]
    expect(sub.tags).toEqual(['overlap', `parent:${parent.id}`])
    const viaAsk = await a.json(['ask', 'Who runs the old nodes?', '--parent', parent.id, '--tag', 'inventory', '--ttl', '60'])
    expect(viaAsk.envelope.question.tags).toEqual(['inventory', `parent:${parent.id}`])

    const subShown = await contributionsOf(sub.id, [b, c], 'answers to the sub-question')
    expect(Object.keys(subShown.envelope).sort()).toEqual(SEED_KEYS)
    expect(subShown.envelope.delivery.scope).toBe('federation-local')
    // d's reflections answerer serves only `trust`: the sub-question is not its matter
    expect(subShown.contributions.some((x: any) => x.sender['node/id'] === d.nodeId)).toBe(false)
    const subSummary = await a.json(['summarize', sub.id, '--final'])
    expect(subSummary.content.facts[0]).toEqual({ text: 'The overlap should last thirty days.', confidence: 0.9, sources: [by(subShown, b, 'fact').id] })

    // another node tags a question of its own as this one's sub-question and publishes a final
    // summary in it: the parent's asker does not follow it, and its items stay out of the parent
    const foreign = await b.json(['ask', 'Is a one-day overlap enough?', '--parent', parent.id, '--ttl', '60'])
    const foreignAnswer = await b.json(['answer', foreign.id, 'One day is plenty.', '--confidence', '1'])
    const foreignSummary = await b.json(['summarize', foreign.id, '--final'])
    expect(foreignSummary.content.facts[0]?.sources).toEqual([foreignAnswer.id])
    await eventually(async () => (await a.cli(['show', foreign.id, '--json'])).code === 0, { what: 'a holds the foreign sub-question' })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await a.json(['show', foreign.id])).role).not.toBe('watcher')

    await contributionsOf(parent.id, [b, c, d], 'answers to the parent')
    const parentSummary = await a.json(['summarize', parent.id])
    expect(items(parentSummary).some((i: any) => i.sources.includes(foreignSummary.id) || i.text === 'One day is plenty.')).toBe(false)
    const cited = items(parentSummary).filter((i: any) => i.sources.includes(subSummary.id))
    expect(cited.map((i: any) => i.text).sort()).toEqual(['A shorter overlap may be enough for small federations.', 'The overlap should last thirty days.'])
    expect(parentSummary.content.facts).toContainEqual({ text: 'The overlap should last thirty days.', confidence: 0.9, sources: [subSummary.id] })

    // continuity: the matter is handed off, and the close says where
    const closed = await a.json(['close', parent.id, '--resolution', 'handed-off', '--handed-off-to', 'contact:ops@example.org', '--note', 'needs the operators'])
    expect(closed.state).toBe('handed-off')
    const shown = await eventually(async () => { const s = await b.json(['show', parent.id]); return s.state === 'handed-off' ? s : undefined }, { what: 'b sees the hand-off' })
    expect(shown.close).toMatchObject({ resolution: 'handed-off', 'handed-off-to': 'contact:ops@example.org', note: 'needs the operators' })
    expect(shown.phase).toBe('handed-off')
  })

  it('reputation from outcomes: accepted answers, upheld objections, invalid messages; min-reputation uses it', async () => {
    const qs = await a.json(['questions', '--all'])
    const q2 = qs.find((x: any) => x.text.startsWith('agree:'))
    const q3 = qs.find((x: any) => x.text.startsWith('vague:'))
    const s2 = await a.json(['show', q2.id])
    await a.json(['close', q2.id, '--accept', by(s2, b, 'fact').id])

    const s3 = await a.json(['show', q3.id])
    const cFact = by(s3, c, 'fact')
    const objection = await d.json(['answer', q3.id, 'Thirty days is too long for v2 nodes.', '--kind', 'objection', '--reply-to', cFact.id, '--confidence', '0.9'])
    await eventually(async () => (await a.json(['show', q3.id])).contributions.some((x: any) => x.id === objection.id), { what: 'objection reaches a' })
    await a.json(['close', q3.id, '--accept', objection.id])

    const rep = await eventually(async () => {
      const l = await a.json(['reputation'])
      const m = Object.fromEntries(l.map((r: any) => [r.nodeId, r]))
      return m[c.nodeId]?.objected === 1 ? m : undefined
    }, { what: 'objection upheld' })
    expect(rep[b.nodeId]).toMatchObject({ nodeId: b.nodeId, score: 0.55, accepted: 1, objected: 0 })
    expect(rep[c.nodeId]).toMatchObject({ score: 0.4, accepted: 0, objected: 1 })
    expect(rep[d.nodeId]).toMatchObject({ score: 0.55, accepted: 1, objected: 0 })
    for (const r of Object.values(rep) as any[]) expect(Object.keys(r)).toEqual(expect.arrayContaining(['nodeId', 'score', 'accepted', 'objected']))

    // c now sits below 0.45 in a's book: its contribution is filtered out at the asker and listed as such
    const picky = await a.json(['ask', 'agree: how do I rotate the federation trust root, trusted nodes only?', '--tag', 'trust', '--min-reputation', '0.45', '--ttl', '60'])
    const sp = await contributionsOf(picky.id, [b, c, d], 'answers to the picky question')
    expect(sp.excluded).toEqual([expect.objectContaining({ from: c.nodeId, reason: 'filtered-out' })])
    const sum = await a.json(['summarize', picky.id])
    expect(sum.excluded).toEqual([{ contribution: sp.excluded[0].id, reason: 'filtered-out' }])
    expect(sum.contributors).not.toContain(c.nodeId)

    // invalid messages from a peer lower its score
    await call(b, 'debug.flood', { topic: 'swarm/1/fed/fed:a/questions', count: 2, ratePerSec: 10, kind: 'garbage', wait: true })
    const charged = await eventually(async () => (await a.json(['reputation', b.nodeId]))[0].invalid >= 1 ? (await a.json(['reputation', b.nodeId]))[0] : undefined, { what: 'invalid message charged' })
    expect(charged.score).toBeLessThan(0.55)
    const human = await a.cli(['reputation'])
    expect(human.stdout).toContain(b.nodeId)
  })
})
