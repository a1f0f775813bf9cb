// The pure channel core: order independence (fast-check) and the channel authority rule
// (DESIGN.md "Who may act for a channel"), known cases kept apart from the property suite.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { buildClose, buildContribution, buildPresence, buildQuestion, buildSecretaryClaim, buildSummary, type EnvelopeBase } from '../../../src/envelope/index.ts'
import { Channel, QuestionBook } from '../../../src/bus/core/index.ts'
import { asker, bob, carol, eve, HB, iso, mallory, pool, q, SKEW, snapshot, t0 } from './channel-scenario.ts'
import { hasBoundId } from '../../../src/envelope/bound-id.ts'

describe('channel core: the same envelopes in any order give the same channel', () => {
  it('property: any subset, any order, any arrival delays, live or history, any observer', () => {
    fc.assert(fc.property(
      fc.shuffledSubarray(pool.map((_, i) => i)),
      fc.array(fc.integer({ min: 0, max: 45_000 }), { minLength: pool.length, maxLength: pool.length }),
      fc.array(fc.boolean(), { minLength: pool.length, maxLength: pool.length }),
      fc.constantFrom(carol.nodeId, asker.nodeId, bob.nodeId),
      (order, delays, history, self) => {
        const make = (): Channel => new Channel(q, { self, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
        const feed = (ch: Channel, idx: number[]): void => {
          for (const i of idx) ch.admit(pool[i].e, JSON.stringify(pool[i].e), { now: pool[i].t + delays[i], skewMs: SKEW, history: history[i] })
        }
        const shuffled = make()
        feed(shuffled, order)
        const sorted = make()
        feed(sorted, [...order].sort((a, b) => a - b))
        expect(snapshot(shuffled)).toEqual(snapshot(sorted))
      }
    ), { numRuns: 300 })
  })

  it('property: a restored channel (entries from the store) says what the live one said', () => {
    // heartbeats are not stored: a restarted member relearns the asker's presence from the next one
    const stored = pool.map((_, i) => i).filter((i) => (pool[i].e as { event?: string }).event !== 'heartbeat')
    fc.assert(fc.property(fc.shuffledSubarray(stored), fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: pool.length, maxLength: pool.length }), (order, delays) => {
      const live = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
      for (const i of order) live.admit(pool[i].e, '', { now: pool[i].t + delays[i], skewMs: SKEW })
      const restored = new Channel(q, { self: carol.nodeId, since: Date.now(), heartbeatSec: HB, skewMs: SKEW })
      for (const e of live.entries) restored.restore({ ...e })
      const a = snapshot(live)
      const b = snapshot(restored)
      // heartbeats are not stored: only what rests on entries is compared
      expect({ ...b, participants: undefined }).toEqual({ ...a, participants: undefined })
    }), { numRuns: 150 })
  })
})

describe('who stood for the channel when (synthesis merges the sub-questions they asked)', () => {
  it('stoodFor: the asker always; the appointed shadow as the channel judged its acts; a volunteer secretary and a stranger never', () => {
    fc.assert(fc.property(fc.shuffledSubarray(pool.map((_, i) => i), { minLength: pool.length, maxLength: pool.length }), (order) => {
      const ch = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
      for (const i of order) ch.admit(pool[i].e, '', { now: pool[i].t, skewMs: SKEW })
      let secretaries = 0
      for (const e of ch.entries) {
        const act = e.type === 'swarm/close' || (e.type === 'swarm/summary' && (e.envelope as { status?: string }).status === 'final')
        if (!act) continue
        const sender = e.envelope.sender['node/id']
        const stood = ch.stoodFor(sender, Date.parse(e.envelope['created-at']))
        if (sender === asker.nodeId || sender === ch.shadow) expect(stood).toBe(e.excluded !== 'not-authorized')
        else expect(stood).toBe(false)
        if (sender === ch.shadow && e.excluded !== 'not-authorized') secretaries++
      }
      expect(secretaries).toBeGreaterThan(0) // the scenario's shadow acted as secretary
      for (let s = 0; s <= 120; s += 5) {
        expect(ch.stoodFor(asker.nodeId, t0 + s * 1000)).toBe(true)
        expect(ch.stoodFor(mallory.nodeId, t0 + s * 1000)).toBe(false)
        expect(ch.stoodFor(eve.nodeId, t0 + s * 1000)).toBe(false)
      }
    }), { numRuns: 60 })
  })
})

describe('channel authority', () => {
  const live = (ch: Channel, e: EnvelopeBase, now = Date.parse(e['created-at'])) => ch.admit(e, JSON.stringify(e), { now, skewMs: SKEW })

  it('a back-dated takeover is refused outright (not kept), a fresh one while the asker is present is not admitted', () => {
    const t = Date.now()
    const fresh = buildQuestion(asker, { text: 'q', ttlSec: 600 }, { createdAt: iso(t) })
    for (const self of [asker.nodeId, carol.nodeId]) {
      const ch = new Channel(fresh, { self, since: t - 60_000, heartbeatSec: HB, skewMs: SKEW })
      live(ch, buildPresence(asker, { questionId: fresh.id, event: 'join', role: 'asker' }, { createdAt: iso(t) }))
      const old = buildSecretaryClaim(mallory, { questionId: fresh.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: '2000-01-01T00:00:00.000Z' })
      const r = live(ch, old, t + 1000)
      expect(r.refused).toBe('not-authorized')
      expect(ch.has(old.id)).toBe(false)
      const now = buildSecretaryClaim(mallory, { questionId: fresh.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t + 2000) })
      expect(live(ch, now).entry?.excluded).toBe('not-authorized')
      const close = buildClose(mallory, { questionId: fresh.id, resolution: 'resolved' }, { createdAt: iso(t + 3000) })
      expect(live(ch, close).entry?.excluded).toBe('not-authorized')
      expect(ch.secretary).toBe(null)
      expect(ch.acting).toBe(asker.nodeId)
      expect(ch.state(t + 4000)).toBe('open')
    }
  })

  it('the question stands for the asker\'s join: a stranger\'s takeover right after it is refused, live and from a history page; a takeover after the absence still stands', () => {
    const t = Date.now()
    const fresh = buildQuestion(asker, { text: 'q', ttlSec: 600 }, { createdAt: iso(t) })
    const claim = buildSecretaryClaim(mallory, { questionId: fresh.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t + 2000) })
    // a long-standing follower that got the question at t, and no asker envelope since
    const follower = (questionAt?: number): Channel => new Channel(fresh, { self: carol.nodeId, since: t - 60_000, heartbeatSec: HB, skewMs: SKEW, questionAt })
    const ch = follower(t)
    expect(ch.participants.get(asker.nodeId)).toMatchObject({ role: 'asker', present: true, lastSeen: t })
    expect(live(ch, claim).entry?.excluded).toBe('not-authorized')
    expect(ch.secretary).toBe(null)
    // from a history page too: the follower got the question at t, which its window holds
    const paged = follower(t)
    paged.admit(claim, '', { now: t + 6000, skewMs: SKEW, history: true })
    expect(paged.secretary).toBe(null)
    // what the seed prevents: without it, nothing of the asker's would be known and the claim would stand
    const unseeded = follower()
    live(unseeded, claim)
    expect(unseeded.secretary).toBe(mallory.nodeId)
    const pagedUnseeded = follower()
    pagedUnseeded.admit(claim, '', { now: t + 6000, skewMs: SKEW, history: true })
    expect(pagedUnseeded.secretary).toBe(mallory.nodeId)
    // a node that joined after the claim was made never admits it, seed or not: it saw nothing
    for (const questionAt of [t + 5000, undefined]) {
      const late = new Channel(fresh, { self: carol.nodeId, since: t + 5000, heartbeatSec: HB, skewMs: SKEW, questionAt })
      late.admit(claim, '', { now: t + 6000, skewMs: SKEW, history: true })
      expect(late.secretary).toBe(null)
    }
    // honest: once the asker has been silent for the absence window, a volunteer's takeover stands
    const after = buildSecretaryClaim(carol, { questionId: fresh.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t + 60_000) })
    const ok = follower(t)
    expect(live(ok, after).secretaryChanged).toBe(true)
    expect(ok.secretary).toBe(carol.nodeId)
  })

  it('the asker never sees itself absent: only the appointed shadow may take over on the asker node', () => {
    const ch = new Channel(q, { self: asker.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
    live(ch, pool[0].e)
    live(ch, buildSecretaryClaim(eve, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 60_000) }))
    expect(ch.secretary).toBe(null)
    live(ch, pool[1].e) // appoints bob
    live(ch, buildSecretaryClaim(bob, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 61_000) }))
    expect(ch.secretary).toBe(bob.nodeId)
  })

  it('a volunteer takes over after the asker was absent N heartbeats; it may close; the asker returning voids it', () => {
    const watcher = (): Channel => {
      const ch = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
      live(ch, pool[0].e)
      return ch
    }
    const claim = buildSecretaryClaim(eve, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 20_000) })
    // 20 s without the asker is less than 3 heartbeats of 10 s (less half an interval): not admitted
    const early = watcher()
    expect(live(early, claim).entry?.excluded).toBe('not-authorized')
    // a node that only just began following cannot have seen the asker absent
    const newcomer = new Channel(q, { self: carol.nodeId, since: t0 + 55_000, heartbeatSec: HB, skewMs: SKEW })
    live(newcomer, pool[0].e)
    const later = buildSecretaryClaim(eve, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 60_000) })
    expect(live(newcomer, later).entry?.excluded).toBe('not-authorized')
    const ch = watcher()
    expect(live(ch, later).secretaryChanged).toBe(true)
    expect(ch.secretary).toBe(eve.nodeId)
    const close = buildClose(eve, { questionId: q.id, resolution: 'resolved' }, { createdAt: iso(t0 + 70_000) })
    expect(live(ch, close).closed).toBe(true)
    expect(ch.state()).toBe('resolved')
    // the same close on a node that saw the asker come back first: refused
    const other = watcher()
    live(other, later)
    const back = live(other, buildPresence(asker, { questionId: q.id, event: 'heartbeat', role: 'asker' }, { createdAt: iso(t0 + 65_000) }))
    expect(back.askerReturned).toBe(true)
    expect(other.secretary).toBe(null)
    expect(live(other, close).entry?.excluded).toBe('not-authorized')
    expect(other.state(t0 + 71_000)).toBe('open')
  })

  it('a takeover from a history page stands only where this node watched the asker stay away; a late joiner admits only the shadow\'s', () => {
    const claim = buildSecretaryClaim(eve, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 60_000) })
    // a late joiner saw none of the asker's absence: the claim stays refused, live or from a page, in either order
    const late = (): Channel => {
      const ch = new Channel(q, { self: carol.nodeId, since: t0 + 58_000, heartbeatSec: HB, skewMs: SKEW })
      ch.admit(pool[0].e, '', { now: t0 + 58_000, skewMs: SKEW, history: true })
      return ch
    }
    const a = late()
    expect(a.admit(claim, '', { now: t0 + 61_000, skewMs: SKEW }).entry?.excluded).toBe('not-authorized')
    a.admit(claim, '', { now: t0 + 62_000, skewMs: SKEW, history: true })
    expect(a.secretary).toBe(null)
    const b = late()
    expect(b.admit(claim, '', { now: t0 + 62_000, skewMs: SKEW, history: true }).entry?.excluded).toBe('not-authorized')
    expect(b.secretary).toBe(null)
    // the appointed shadow's claim stands on a late joiner from a page (its appointment is in the page too)
    const c = late()
    c.admit(pool[1].e, '', { now: t0 + 59_000, skewMs: SKEW, history: true })
    c.admit(buildSecretaryClaim(bob, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 62_000) }), '', { now: t0 + 63_000, skewMs: SKEW, history: true })
    expect(c.secretary).toBe(bob.nodeId)
    // a follower that missed the claim live reads it from a page: it stands when this node saw
    // nothing from the asker over the window, not when heartbeats came (which no page carries)
    const follower = (): Channel => {
      const ch = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
      ch.admit(pool[0].e, '', { now: t0, skewMs: SKEW })
      return ch
    }
    const quiet = follower()
    quiet.admit(claim, '', { now: t0 + 90_000, skewMs: SKEW, history: true })
    expect(quiet.secretary).toBe(eve.nodeId)
    const heard = follower()
    heard.admit(buildPresence(asker, { questionId: q.id, event: 'heartbeat', role: 'asker' }, { createdAt: iso(t0 + 55_000) }), '', { now: t0 + 55_000, skewMs: SKEW })
    expect(heard.admit(claim, '', { now: t0 + 90_000, skewMs: SKEW, history: true }).entry?.excluded).toBe('not-authorized')
    expect(heard.secretary).toBe(null)
  })

  it('a stranger\'s appointment appoints no one: the asker alone names a shadow', () => {
    const forged = buildSecretaryClaim(mallory, { questionId: q.id, mode: 'shadow', askerNodeId: mallory.nodeId, reason: `appoint ${mallory.nodeId}` }, { createdAt: iso(t0 + 10_000) })
    // inside the absence window (the asker joined at t0): only a shadow could take over now
    const takeover = buildSecretaryClaim(mallory, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 11_000) })
    const close = buildClose(mallory, { questionId: q.id, resolution: 'withdrawn' }, { createdAt: iso(t0 + 11_001) })
    // on the asker's own node, on a follower, live and from a page
    for (const self of [asker.nodeId, carol.nodeId]) {
      for (const history of [false, true]) {
        const ch = new Channel(q, { self, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
        ch.admit(pool[0].e, '', { now: t0, skewMs: SKEW })
        const applied = ch.admit(forged, '', { now: t0 + 10_000, skewMs: SKEW, history })
        expect(applied.entry?.excluded).toBe('not-authorized')
        expect(ch.shadow).toBe(null)
        ch.admit(takeover, '', { now: t0 + 11_000, skewMs: SKEW, history })
        ch.admit(close, '', { now: t0 + 11_001, skewMs: SKEW, history })
        expect(ch.secretary).toBe(null)
        expect(ch.close).toBeUndefined()
        expect(ch.appointment).toBeUndefined()
        // the asker's own appointment still names its shadow, whatever came first
        ch.admit(pool[1].e, '', { now: t0 + 12_000, skewMs: SKEW, history })
        expect(ch.shadow).toBe(bob.nodeId)
        expect(ch.appointment?.id).toBe(pool[1].e.id)
      }
    }
  })

  it('a final summary only from the authority; an intermediate one from anyone', () => {
    const ch = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
    live(ch, pool[0].e)
    expect(live(ch, buildSummary(carol, { questionId: q.id, status: 'final', uncertainty: 0.1 }, { createdAt: iso(t0 + 5000) })).entry?.excluded).toBe('not-authorized')
    expect(live(ch, buildSummary(carol, { questionId: q.id, status: 'intermediate', uncertainty: 0.1 }, { createdAt: iso(t0 + 6000) })).entry?.excluded).toBeUndefined()
    expect(live(ch, buildSummary(asker, { questionId: q.id, status: 'final', uncertainty: 0.1 }, { createdAt: iso(t0 + 7000) })).entry?.excluded).toBeUndefined()
  })
})

describe('question book', () => {
  const book = (self = carol.nodeId) => new QuestionBook({ self, skewMs: SKEW, heartbeatSec: HB, profile: { models: [], languages: [] }, volunteer: false })

  it('a question id belongs to the key it is bound to: another key\'s copy never keeps it, whichever comes first', () => {
    const real = buildQuestion(asker, { text: 'who keeps the keys?', ttlSec: 600 })
    expect(hasBoundId(real)).toBe(true)
    // the stranger signs its own question under the real id: valid, but its id is not bound to its key
    const copy = buildQuestion(mallory, { text: 'who keeps the keys? (mine)', ttlSec: 600 }, { id: real.id, createdAt: real['created-at'] })
    expect(copy.id).toBe(real.id)
    expect(hasBoundId(copy)).toBe(false)
    const t = Date.parse(real['created-at'])
    for (const order of [[copy, real], [real, copy]]) {
      const b = book()
      const outcomes = order.map((q) => b.ingest({ envelope: q, wire: JSON.stringify(q) }, { kind: 'direct' }, t).applied)
      expect(b.records.get(real.id)?.envelope.sender['node/id']).toBe(asker.nodeId)
      expect(outcomes).toEqual(order[0] === copy ? [undefined, undefined] : [undefined, 'id-taken'])
    }
    // two unbound claims (other implementations' ids): the first keeps it
    const other = buildQuestion(eve, { text: 'x', ttlSec: 600 }, { id: 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9' })
    const other2 = buildQuestion(mallory, { text: 'y', ttlSec: 600 }, { id: 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9' })
    const b = book()
    b.ingest({ envelope: other, wire: JSON.stringify(other) }, { kind: 'direct' }, t)
    expect(b.ingest({ envelope: other2, wire: JSON.stringify(other2) }, { kind: 'direct' }, t).applied).toBe('id-taken')
    expect(b.records.get(other.id)?.envelope.sender['node/id']).toBe(eve.nodeId)
  })

  it('a channel of a bound question takes bound ids only: a stranger\'s envelope under a copied id never takes its place', () => {
    const t = Date.parse(q['created-at'])
    const real = buildContribution(carol, { questionId: q.id, kind: 'fact', text: 'the secretary of the day', confidence: 0.8 }, { createdAt: iso(t + 5000) })
    const copy = buildContribution(mallory, { questionId: q.id, kind: 'fact', text: 'trust me', confidence: 1 }, { id: real.id, createdAt: iso(t + 5000) })
    const ch = new Channel(q, { self: eve.nodeId, since: t - 1, heartbeatSec: HB, skewMs: SKEW })
    for (const history of [false, true]) {
      expect(ch.admit(copy, '', { now: t + 6000, skewMs: SKEW, history })).toMatchObject({ refused: 'key-mismatch' })
    }
    expect(ch.has(real.id)).toBe(false)
    expect(ch.admit(real, '', { now: t + 6000, skewMs: SKEW }).entry?.excluded).toBeUndefined()
    expect((ch.get(real.id)?.envelope as any).sender['node/id']).toBe(carol.nodeId)
    // a question of another implementation (unbound id): its channel takes unbound ids as before
    const foreign = buildQuestion(asker, { text: 'x', ttlSec: 600 }, { id: 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9', createdAt: q['created-at'] })
    const open = new Channel(foreign, { self: eve.nodeId, since: t - 1, heartbeatSec: HB, skewMs: SKEW })
    const unbound = buildContribution(carol, { questionId: foreign.id, kind: 'fact', text: 'y', confidence: 0.5 }, { id: 'contribution:01JNY6M2X6Y8M1G5R4Z3K7Q2P9', createdAt: iso(t + 5000) })
    expect(open.admit(unbound, '', { now: t + 6000, skewMs: SKEW }).refused).toBeUndefined()
  })

  it('bound ids of one signer made in one millisecond still sort by creation', () => {
    const ms = Date.now()
    const ids = Array.from({ length: 50 }, () => buildContribution(carol, { questionId: q.id, kind: 'fact', text: 'x', confidence: 0.5 }, { createdAt: ms }).id)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(hasBoundId({ id, sender: { pubkey: carol.pubkey } })).toBe(true)
    expect(hasBoundId({ id: ids[0], sender: { pubkey: eve.pubkey } })).toBe(false)
  })

  it('ingest: a question, then its channel envelopes; carried ones only for members; effects say what to do', () => {
    const b = book()
    const t = Date.parse(q['created-at'])
    const first = b.ingest({ envelope: q, wire: JSON.stringify(q) }, { kind: 'gossip' }, t)
    expect(first.applied).toBeUndefined()
    expect(first.effects.map((x) => x.type)).toEqual(['question'])
    expect(b.ingest({ envelope: q, wire: '' }, { kind: 'gossip' }, t).applied).toBe('duplicate')
    const c = pool[4].e
    expect(b.ingest({ envelope: c, wire: '', carried: true }, { kind: 'gossip' }, t + 5000).applied).toBe('not-member')
    const r = b.ingest({ envelope: c, wire: '' }, { kind: 'gossip' }, t + 5000)
    expect(r.applied).toBeUndefined()
    expect(r.effects.map((x) => x.type)).toContain('entry')
    expect(b.ingest({ envelope: pool[9].e, wire: '' }, { kind: 'direct' }, t + 50_000).applied).toBe('not-authorized')
  })

  it('an own contribution admitted after the asker\'s verdict stands before a close that landed meanwhile; another node\'s is judged by its arrival', () => {
    const b = book()
    const t = Date.parse(q['created-at'])
    b.ingest({ envelope: q, wire: '' }, { kind: 'gossip' }, t)
    const mine = buildContribution(carol, { questionId: q.id, kind: 'fact', text: 'made before the close', confidence: 0.6 }, { createdAt: iso(t + 5000) })
    const theirs = buildContribution(eve, { questionId: q.id, kind: 'fact', text: 'made before the close', confidence: 0.6 }, { createdAt: iso(t + 5000) })
    expect(b.ingest({ envelope: buildClose(asker, { questionId: q.id, resolution: 'resolved' }, { createdAt: iso(t + 6000) }), wire: '' }, { kind: 'gossip' }, t + 6000).applied).toBeUndefined()
    expect(b.ingest({ envelope: mine, wire: '', madeAt: t + 5000 }, { kind: 'self' }, t + 6500).applied).toBeUndefined()
    expect(b.ingest({ envelope: theirs, wire: '' }, { kind: 'gossip' }, t + 6500).applied).toBe('closed')
  })

  it('the asker\'s own close stands when it is made, not at the start of its second: a contribution that came in just before stays in', () => {
    const b = book(asker.nodeId)
    const t = Date.parse(q['created-at'])
    b.load({ id: q.id, envelope: q, wire: '', role: 'asker', eligible: true, joined: true, receivedAt: t })
    // created-at has whole seconds: both say t + 5 s, the contribution came 300 ms before the close
    const theirs = buildContribution(eve, { questionId: q.id, kind: 'fact', text: 'just in time', confidence: 0.6 }, { createdAt: iso(t + 5000) })
    expect(b.ingest({ envelope: theirs, wire: '' }, { kind: 'gossip' }, t + 5400).applied).toBeUndefined()
    const close = buildClose(asker, { questionId: q.id, resolution: 'resolved' }, { createdAt: iso(t + 5000) })
    expect(b.ingest({ envelope: close, wire: '', madeAt: t + 5700 }, { kind: 'self' }, t + 5700).applied).toBeUndefined()
    expect(b.channels.get(q.id)?.contributions().map((e) => e.id)).toEqual([theirs.id])
  })

  it('an appointment naming this node makes it the shadow, even before the question arrives', () => {
    const b = book(bob.nodeId)
    const t = Date.parse(q['created-at'])
    expect(b.ingest({ envelope: pool[1].e, wire: '' }, { kind: 'gossip' }, t).effects).toEqual([])
    const out = b.ingest({ envelope: q, wire: '' }, { kind: 'gossip' }, t)
    expect(out.effects.map((x) => x.type)).toEqual(expect.arrayContaining(['question', 'join', 'follow-as-shadow']))
    expect(b.records.get(q.id)?.role).toBe('shadow')
    expect(b.channels.get(q.id)?.shadow).toBe(bob.nodeId)
  })
})
