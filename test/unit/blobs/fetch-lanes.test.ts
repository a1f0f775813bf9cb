// Fetch lanes: fetches other nodes' envelopes trigger take turns by sender, at most `active` at once and `activePerLane` of one sender's, bounded waiting
// (`busy` beyond); a waiting one can be promoted, aborted, or released; a slot passes on.

import { describe, expect, it } from 'vitest'
import { FetchLanes } from '../../../src/blobs/fetch-lanes.ts'

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

describe('fetch lanes', () => {
  it('senders take turns: a sender naming many attachments holds its own slots, not everyone\'s', async () => {
    const lanes = new FetchLanes({ active: 3, activePerLane: 2, waiting: 100, waitingPerLane: 10 })
    const order: string[] = []
    const tickets = [
      ...Array.from({ length: 12 }, (_, i) => ({ name: `h${i}`, t: lanes.enter('hostile') })),
      { name: 'a0', t: lanes.enter('alice') },
      { name: 'b0', t: lanes.enter('bob') },
      { name: 'a1', t: lanes.enter('alice') }
    ]
    for (const { name, t } of tickets) void t.started.then(() => { order.push(name) })
    await tick()
    // the hostile sender's two, then alice's first; bob waits for a slot; the hostile lane is full
    expect(order).toEqual(['h0', 'h1', 'a0'])
    expect(() => lanes.enter('hostile')).toThrow(expect.objectContaining({ code: 'busy' }))
    // a slot frees: the senders' turns, not the hostile backlog, decide who goes
    tickets[0].t.release(); await tick()
    expect(order.at(-1)).toBe('b0')
    tickets[1].t.release(); await tick()
    expect(order.at(-1)).toBe('h2')
    tickets[12].t.release(); await tick()
    expect(order.at(-1)).toBe('a1')
    expect(lanes.stats()).toMatchObject({ active: 3 })
  })

  it('all places taken by a few senders: a sender with fewer waiting still gets one, the longest lane gives way', async () => {
    const lanes = new FetchLanes({ active: 1, activePerLane: 1, waiting: 8, waitingPerLane: 4 })
    const running = lanes.enter('h0')
    await running.started
    // two strangers' lanes hold every waiting place (the first of h0's runs)
    const hostile = [...Array.from({ length: 4 }, () => lanes.enter('h0')), ...Array.from({ length: 4 }, () => lanes.enter('h1'))]
    expect(lanes.stats()).toMatchObject({ waiting: 8 })
    // the honest sender gets a place: the newest of a longest lane gives way (`busy`)
    const honest = lanes.enter('honest')
    const bumped = await Promise.race(hostile.map(async (t, i) => await t.started.then(() => -1, (err) => (err.code === 'busy' ? i : -1))))
    expect(bumped).toBe(3)
    expect(lanes.stats()).toMatchObject({ waiting: 8 })
    // a stranger cannot take a place back from a lane no longer than its own
    expect(() => lanes.enter('h1')).toThrow(expect.objectContaining({ code: 'busy' }))
    // and the honest one takes its turn among the senders (h0 and h1 go once each, then it)
    let started = false
    void honest.started.then(() => { started = true })
    running.release(); await tick()
    for (const t of hostile) { t.started.catch(() => {}); t.release(); await tick(); if (started) break }
    expect(started).toBe(true)
    honest.release()
    for (const t of hostile) t.release()
  })

  it('promotes a waiting one, frees an aborted one, refuses past the total', async () => {
    const lanes = new FetchLanes({ active: 1, activePerLane: 1, waiting: 2, waitingPerLane: 2 })
    const first = lanes.enter('x')
    await first.started
    const ac = new AbortController()
    const queued = lanes.enter('y', ac.signal)
    const promoted = lanes.enter('z')
    expect(() => lanes.enter('w')).toThrow(expect.objectContaining({ code: 'busy' }))
    promoted.promote()
    await promoted.started
    ac.abort()
    await expect(queued.started).rejects.toMatchObject({ code: 'aborted' })
    expect(lanes.stats()).toMatchObject({ active: 1, waiting: 0 })
    // releasing the promoted or the aborted one gives nobody a slot that was never taken
    promoted.release(); queued.release()
    expect(lanes.stats()).toMatchObject({ active: 1 })
    const next = lanes.enter('v')
    first.release()
    await next.started
    expect(lanes.stats()).toMatchObject({ active: 1, waiting: 0, lanes: 0 })
  })
})
