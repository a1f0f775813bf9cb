// A node's own pace: whatever the pattern of its publications, what it sends on the schedule
// paceStep gives (at OWN_SHARE of the peers' per-sender rate) is never refused by a peer's
// per-sender bucket, even when the network delays each message by its own amount. OwnPace is
// the thin shell: slots in call order, and a stop or an abort fails what still waits.

import { afterEach, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { paceOf, paceStep, TokenBuckets } from '../../../src/federation/token-bucket.ts'
import { DEFAULT_PER_SENDER, OWN_SHARE, OwnPace } from '../../../src/net/own-pace.ts'
import defaults from '../../../config/default.json' with { type: 'json' }

describe('own pace', () => {
  afterEach(() => { vi.useRealTimers() })

  it('what leaves on the schedule is never refused by a receiver of the full rate, jitter included', () => {
    fc.assert(fc.property(
      fc.integer({ min: 5, max: 100 }), fc.integer({ min: 20, max: 200 }),
      fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 400 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 400, maxLength: 400 }),
      (rate, burst, gaps, jitters) => {
        const own = paceOf({ ratePerSec: rate * OWN_SHARE, burst: Math.max(1, Math.floor(burst * OWN_SHARE)) })
        // the network may hold a message back by up to what the share leaves spare
        const maxJitterMs = 0.9 * (burst - Math.floor(burst * OWN_SHARE)) / (rate * OWN_SHARE) * 1000
        let t = 0
        let tat: number | undefined
        const arrivals: number[] = []
        gaps.forEach((g, i) => {
          t += g
          const { wait, next } = paceStep(tat, t, own)
          tat = next
          arrivals.push(t + wait + jitters[i] * maxJitterMs)
        })
        arrivals.sort((a, b) => a - b)
        let now = 0
        const receiver = new TokenBuckets({ ratePerSec: rate, burst }, { now: () => now })
        for (const a of arrivals) { now = a; expect(receiver.take('sender')).toBe(true) }
      }))
  })

  it('the page paces itself against the daemons\' default per-sender rate', () => {
    expect(DEFAULT_PER_SENDER).toEqual(defaults.rateLimit.perSender)
  })

  it('goes at once within its burst, then one slot per interval', () => {
    const pace = paceOf({ ratePerSec: 10, burst: 3 })
    let tat: number | undefined
    const waits = [0, 0, 0, 0, 0].map(() => { const s = paceStep(tat, 1000, pace); tat = s.next; return s.wait })
    expect(waits).toEqual([0, 0, 0, 100, 200])
  })

  it('releases publications in call order, a spare one (a heartbeat) only when no other waits', async () => {
    vi.useFakeTimers()
    let now = 0
    const pace = new OwnPace({ ratePerSec: 10, burst: 2 }, { share: 1, now: () => now })
    const order: string[] = []
    const go = async (name: string, spare = false): Promise<void> => { await pace.slot(undefined, { spare }); order.push(name) }
    const all = [go('a'), go('b'), go('heartbeat', true), go('c'), go('d')]
    await Promise.resolve()
    expect(order).toEqual(['a', 'b'])
    expect(pace.waiting).toBe(3)
    for (let t = 0; t < 4; t++) { now += 100; await vi.advanceTimersByTimeAsync(100) }
    await Promise.all(all)
    expect(order).toEqual(['a', 'b', 'c', 'd', 'heartbeat'])
    expect(pace.stats()).toMatchObject({ sent: 5, delayed: 3, waiting: 0 })
  })

  it('a heartbeat never starves behind a long burst: overdue, it takes every other slot', async () => {
    vi.useFakeTimers()
    let now = 0
    const pace = new OwnPace({ ratePerSec: 10, burst: 1 }, { share: 1, now: () => now, spareMaxWaitMs: 1000 })
    const order: string[] = []
    const go = async (name: string, spare = false): Promise<void> => { await pace.slot(undefined, { spare }); order.push(name) }
    // a burst of 100 questions (10 s at this pace), with three channels' heartbeats queued early on
    const all = [...Array.from({ length: 100 }, (_, i) => go(`q${i}`)), go('h1', true), go('h2', true), go('h3', true)]
    for (let t = 0; t < 120; t++) { now += 100; await vi.advanceTimersByTimeAsync(100) }
    await Promise.all(all)
    // overdue after 1 s (ten questions out), then every other slot: q, h, q, h, q, h
    const at = (name: string): number => order.indexOf(name)
    expect(at('h1')).toBeGreaterThanOrEqual(10)
    expect(at('h1')).toBeLessThanOrEqual(12)
    expect(at('h2') - at('h1')).toBe(2)
    expect(at('h3') - at('h2')).toBe(2)
    // the first line stays in call order and is never held back two slots in a row
    expect(order.filter((n) => n.startsWith('q'))).toEqual(Array.from({ length: 100 }, (_, i) => `q${i}`))
    expect(order.length).toBe(103)
  })

  it('fails a waiting publication on abort or stop, and forgets it', async () => {
    vi.useFakeTimers()
    const now = 0
    const pace = new OwnPace({ ratePerSec: 10, burst: 1 }, { share: 1, now: () => now })
    await pace.slot()
    const ac = new AbortController()
    const aborted = pace.slot(ac.signal)
    const stopped = pace.slot(undefined, { spare: true })
    expect(pace.waiting).toBe(2)
    ac.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' })
    expect(pace.waiting).toBe(1)
    pace.stop()
    await expect(stopped).rejects.toMatchObject({ code: 'aborted' })
    expect(pace.waiting).toBe(0)
  })
})
