// A channel restored from the store after a restart judges the channel's authority as the live
// one did, heartbeats included. Heartbeats are not stored, so what a heartbeat proved (the asker
// came back, voiding a takeover) must travel with what is stored: the claim's `askerBack`, and
// every claim and act whose verdict a later envelope changed, stored again.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ChannelStore } from '../../../src/bus/repository.ts'
import { openDb } from '../../../src/store/db.ts'
import { buildClose, buildPresence, buildSecretaryClaim, type EnvelopeBase } from '../../../src/envelope/index.ts'
import { Channel, type Applied, type ChannelEntry } from '../../../src/bus/core/index.ts'
import { asker, carol, eve, HB, iso, pool, q, SKEW, snapshot, t0 } from './channel-scenario.ts'

/** What the daemon's store holds: each entry as stored by the effects of every admit (`entry`, `updated`, `rejudged`). */
class StoreModel {
  readonly held = new Map<string, ChannelEntry>()
  take (a: Applied): void {
    for (const e of [a.entry, a.updated, ...(a.rejudged ?? [])]) if (e !== undefined) this.held.set(e.id, structuredClone(e))
  }

  /** A node started again: a channel that follows from now on, given what was stored. */
  restart (entries = [...this.held.values()].sort((a, b) => a.seq - b.seq)): Channel {
    const ch = new Channel(q, { self: carol.nodeId, since: Date.now(), heartbeatSec: HB, skewMs: SKEW })
    for (const e of entries) ch.restore(structuredClone(e))
    return ch
  }
}

/** The scenario: a volunteer takes over while the asker is silent, a heartbeat says it is back, the volunteer closes anyway. */
function voidedByHeartbeat (): { ch: Channel, store: StoreModel, back: Applied, close: Applied } {
  const ch = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
  const store = new StoreModel()
  const live = (e: EnvelopeBase): Applied => {
    const a = ch.admit(e, JSON.stringify(e), { now: Date.parse(e['created-at']), skewMs: SKEW })
    store.take(a)
    return a
  }
  live(pool[0].e) // the asker's join
  live(buildSecretaryClaim(eve, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 60_000) }))
  expect(ch.secretary).toBe(eve.nodeId)
  const back = live(buildPresence(asker, { questionId: q.id, event: 'heartbeat', role: 'asker' }, { createdAt: iso(t0 + 65_000) }))
  const close = live(buildClose(eve, { questionId: q.id, resolution: 'resolved' }, { createdAt: iso(t0 + 70_000) }))
  return { ch, store, back, close }
}

describe('channel authority across a restart', () => {
  it('a takeover voided only by an asker heartbeat stays voided: the claimant\'s later close is still refused', () => {
    const { ch, store, back, close } = voidedByHeartbeat()
    expect(back.askerReturned).toBe(true)
    expect(back.rejudged?.map((e) => e.askerBack)).toEqual([t0 + 65_000])
    expect(close.entry?.excluded).toBe('not-authorized')
    expect(ch.close).toBeUndefined()

    const restarted = store.restart()
    expect(restarted.secretary).toBe(null)
    expect(restarted.close).toBeUndefined()
    expect(restarted.get(close.entry!.id)?.excluded).toBe('not-authorized')
    expect(restarted.state(t0 + 71_000)).toBe('open')

    // honest traffic in the same run: the asker's own close still closes the restarted channel
    restarted.admit(buildClose(asker, { questionId: q.id, resolution: 'accepted-answer' }, { createdAt: iso(t0 + 80_000) }), '', { now: t0 + 80_000, skewMs: SKEW })
    expect(restarted.state(t0 + 81_000)).toBe('resolved')
  })

  it('the claim\'s askerBack survives the real store (LevelDB, closed and opened again)', async () => {
    const { store, close } = voidedByHeartbeat()
    const dir = await mkdtemp(join(tmpdir(), 'swarmd-claim-restart-'))
    try {
      let db = await openDb(join(dir, 'db'))
      let disk = new ChannelStore(db.bucket('questions'), db.bucket('channel'))
      for (const e of store.held.values()) await disk.putEntry(q.id, e)
      await db.close()
      db = await openDb(join(dir, 'db'))
      disk = new ChannelStore(db.bucket('questions'), db.bucket('channel'))
      const restarted = store.restart(await disk.entries(q.id))
      await db.close()
      expect(restarted.secretary).toBe(null)
      expect(restarted.get(close.entry!.id)?.excluded).toBe('not-authorized')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a close that counted before the asker came back still counts after a restart', () => {
    const ch = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
    const store = new StoreModel()
    const live = (e: EnvelopeBase): void => { store.take(ch.admit(e, JSON.stringify(e), { now: Date.parse(e['created-at']), skewMs: SKEW })) }
    live(pool[0].e)
    live(buildSecretaryClaim(eve, { questionId: q.id, mode: 'takeover', askerNodeId: asker.nodeId }, { createdAt: iso(t0 + 60_000) }))
    live(buildClose(eve, { questionId: q.id, resolution: 'resolved' }, { createdAt: iso(t0 + 62_000) }))
    live(buildPresence(asker, { questionId: q.id, event: 'heartbeat', role: 'asker' }, { createdAt: iso(t0 + 65_000) }))
    expect(ch.state(t0 + 70_000)).toBe('resolved')
    expect(store.restart().state(t0 + 70_000)).toBe('resolved')
  })

  it('property: any order, any arrival delays, heartbeats included: the restarted channel says what the live one said', () => {
    fc.assert(fc.property(
      fc.shuffledSubarray(pool.map((_, i) => i)),
      fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: pool.length, maxLength: pool.length }),
      (order, delays) => {
        const ch = new Channel(q, { self: carol.nodeId, since: t0 - 1, heartbeatSec: HB, skewMs: SKEW })
        const store = new StoreModel()
        for (const i of order) store.take(ch.admit(pool[i].e, '', { now: pool[i].t + delays[i], skewMs: SKEW }))
        // presence is not stored (a restarted node relearns it): the rest must agree
        expect({ ...snapshot(store.restart()), participants: undefined }).toEqual({ ...snapshot(ch), participants: undefined })
      }
    ), { numRuns: 200 })
  })
})
