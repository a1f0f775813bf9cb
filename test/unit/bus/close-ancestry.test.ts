// A contribution learnt from a history page has no arrival time, only the `created-at` its author
// chose. Where the close names its author's whole frontier (`previous`), what the close's chain
// does not reach was not held by the closer: a contribution published after the close but dated
// before it is `closed` on a node that learns the channel from history, in whatever order the
// page brings it, and after a restart; what the closer had seen still counts, even when it was
// made in the close's own second (which the dates alone count as after).
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { buildClose, buildContribution, buildPresence, buildQuestion, createSigner, type EnvelopeBase } from '../../../src/envelope/index.ts'
import { Channel } from '../../../src/bus/core/index.ts'

const signer = () => createSigner(randomBytes(32), 'fed:a')
const [asker, carol, eve, dave, mallory] = [signer(), signer(), signer(), signer(), signer()]
const SKEW = 30_000
const iso = (t: number): string => new Date(t).toISOString()
const t0 = Date.now() - 10 * 60_000
const q = buildQuestion(asker, { text: 'which relay?', ttlSec: 3600 }, { createdAt: iso(t0) })
const at = (s: number, previous: string[] = []) => ({ createdAt: iso(t0 + s * 1000), previous })
const c1 = buildContribution(carol, { questionId: q.id, kind: 'fact', text: 'relay a is up', confidence: 0.6 }, at(5))
const c2 = buildContribution(eve, { questionId: q.id, kind: 'hypothesis', text: 'relay b is faster', confidence: 0.5 }, at(8, [c1.id]))
const c3 = buildContribution(dave, { questionId: q.id, kind: 'fact', text: 'relay c is down', confidence: 0.9 }, at(9)) // concurrent with c2
// made in the close's own second (timestamps are whole seconds): the close names it, so it counts
const c4 = buildContribution(eve, { questionId: q.id, kind: 'recommendation', text: 'pin relay b', confidence: 0.7 }, at(20, [c2.id]))
const close = buildClose(asker, { questionId: q.id, resolution: 'resolved' }, at(20, [c4.id, c3.id]))
// published after the close, dated before it, naming what it could have seen
const backdated = buildContribution(mallory, { questionId: q.id, kind: 'recommendation', text: 'use my relay', confidence: 1 }, at(15, [c2.id]))
const honest = [c1, c2, c3, c4]

function verdicts (ch: Channel): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of ch.allContributions()) out[e.id] = e.excluded ?? 'ok'
  return out
}
const expected = { [c1.id]: 'ok', [c2.id]: 'ok', [c3.id]: 'ok', [c4.id]: 'ok', [backdated.id]: 'closed' }

describe('the close\'s chain decides what came before it, for a channel learnt from history', () => {
  it('in any order a page brings them: the closer\'s contributions count, the back-dated one is closed', () => {
    fc.assert(fc.property(fc.shuffledSubarray([...honest, close, backdated], { minLength: 6, maxLength: 6 }), (order: EnvelopeBase[]) => {
      const ch = new Channel(q, { since: Date.now() })
      for (const e of order) ch.admit(e, '', { now: Date.now(), skewMs: SKEW, history: true })
      expect(ch.close?.id).toBe(close.id)
      expect(verdicts(ch)).toEqual(expected)
    }), { numRuns: 120 })
  })

  it('the same after a restart (entries restored from the store), and live arrival still decides for a node that followed', () => {
    const learnt = new Channel(q, { since: Date.now() })
    for (const e of [close, backdated, ...honest]) learnt.admit(e, '', { now: Date.now(), skewMs: SKEW, history: true })
    const restored = new Channel(q, { since: Date.now() })
    for (const entry of learnt.entries) restored.restore(structuredClone(entry))
    expect(verdicts(restored)).toEqual(expected)

    // a node that followed live: a contribution it received before the close counts even if the
    // closer never saw it; the back-dated one arrived after the close
    const live = new Channel(q, { since: t0 })
    const unseen = buildContribution(carol, { questionId: q.id, kind: 'fact', text: 'relay d exists', confidence: 0.4 }, at(12))
    let now = t0 + 5000
    for (const e of [c1, c2, c3, c4, unseen, close, backdated]) live.admit(e, '', { now: now += 1000, skewMs: SKEW })
    expect(verdicts(live)).toEqual({ ...expected, [unseen.id]: 'ok' })
  })

  it('a link of the chain missing here (a full channel, a refused author) falls back to the dates until it arrives', () => {
    const ch = new Channel(q, { since: Date.now() })
    // c2 links c1 to the close; without it c1 would look unseen by the closer
    for (const e of [c1, c3, c4, close, backdated]) ch.admit(e, '', { now: Date.now(), skewMs: SKEW, history: true })
    expect(verdicts(ch)).toEqual({ [c1.id]: 'ok', [c3.id]: 'ok', [c4.id]: 'closed', [backdated.id]: 'ok' }) // the dates: c4 in the close's second
    ch.admit(c2, '', { now: Date.now(), skewMs: SKEW, history: true })
    expect(verdicts(ch)).toEqual(expected)
  })

  it('a contribution the chain reaches but dated after the close is closed: naming its own future id beforehand does not let it in', () => {
    const later = buildContribution(mallory, { questionId: q.id, kind: 'fact', text: 'after the fact', confidence: 1 }, at(30))
    const naming = buildPresence(mallory, { questionId: q.id, event: 'join', role: 'watcher' }, at(10, [later.id]))
    const close2 = buildClose(asker, { questionId: q.id, resolution: 'resolved' }, at(20, [c4.id, c3.id, naming.id]))
    const ch = new Channel(q, { since: Date.now() })
    for (const e of [...honest, naming, close2, later]) ch.admit(e, '', { now: Date.now(), skewMs: SKEW, history: true })
    expect(verdicts(ch)).toEqual({ [c1.id]: 'ok', [c2.id]: 'ok', [c3.id]: 'ok', [c4.id]: 'ok', [later.id]: 'closed' })
  })

  it('a close that names nothing, or a full `previous` list, falls back to the envelopes\' own times', () => {
    for (const prev of [[], Array.from({ length: 8 }, (_, i) => i === 0 ? c2.id : `contribution:01J0000000000000000000000${i}`)]) {
      const full = buildClose(asker, { questionId: q.id, resolution: 'resolved' }, at(20, prev))
      const ch = new Channel(q, { since: Date.now() })
      for (const e of [c1, c2, c3, full, backdated]) ch.admit(e, '', { now: Date.now(), skewMs: SKEW, history: true })
      expect(verdicts(ch)[c3.id]).toBe('ok')
    }
  })
})
