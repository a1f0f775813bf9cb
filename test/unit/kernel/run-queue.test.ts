import { describe, expect, it } from 'vitest'
import { RunQueue } from '../../../src/kernel/run-queue.ts'

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

function gate (): { promise: Promise<void>, open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>()
  return { promise, open: () => { resolve() } }
}

describe('RunQueue', () => {
  it('runs up to maxConcurrent, queues up to maxQueued, refuses busy beyond', async () => {
    let changes = 0
    const q = new RunQueue({ maxConcurrent: 2, maxQueued: 1, onChange: () => { changes++ } })
    const gates = [gate(), gate(), gate()]
    const order: number[] = []
    const runs = gates.map(async (g, i) => await q.run(async () => { order.push(i); await g.promise; return i }))
    await tick()
    expect([q.running, q.queued, q.full]).toEqual([2, 1, true])
    await expect(q.run(async () => 9)).rejects.toMatchObject({ code: 'busy' })
    expect(order).toEqual([0, 1])
    gates[0].open()
    expect(await runs[0]).toBe(0)
    await tick()
    expect(order).toEqual([0, 1, 2])
    expect([q.running, q.queued]).toEqual([2, 0])
    gates[1].open(); gates[2].open()
    expect(await Promise.all(runs)).toEqual([0, 1, 2])
    expect([q.running, q.queued, q.full]).toEqual([0, 0, false])
    expect(changes).toBeGreaterThan(0)
  })

  it('a task whose caller gives up leaves the queue; a failure frees its slot', async () => {
    const q = new RunQueue({ maxConcurrent: 1, maxQueued: 4 })
    const g = gate()
    const first = q.run(async () => { await g.promise; throw new Error('boom') })
    const ac = new AbortController()
    let ran = false
    const waiting = q.run(async () => { ran = true }, { signal: ac.signal })
    await tick()
    expect(q.queued).toBe(1)
    ac.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' })
    expect(q.queued).toBe(0)
    g.open()
    await expect(first).rejects.toThrow('boom')
    expect(ran).toBe(false)
    expect(await q.run(async () => 'next')).toBe('next')
    await expect(q.run(async () => 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' })
  })
})
