import { describe, expect, it } from 'vitest'
import { PendingVotes, type PendingProposal } from '../../../src/consensus/pending.ts'

const info = (id: string, deadline = '2030-01-01T00:00:00Z'): PendingProposal => ({
  id, proposer: 'node:x', peerId: 'p', federation: 'fed:test', file: 'f', operation: 'create', rationale: 'r',
  risk: 'low', reasons: [], contentHash: null, content: null, previousContent: null, deadline, receivedAt: '2029-01-01T00:00:00Z'
})

describe('PendingVotes', () => {
  it('hands the operator vote to the waiting stream and reports its delivery', async () => {
    const p = new PendingVotes()
    const waiting = p.wait(info('proposal:a'), new AbortController().signal)
    expect(p.list().map((x) => x.id)).toEqual(['proposal:a'])
    const sent = p.cast('proposal:a', { vote: 'yes', reason: 'ok' })
    expect(await waiting).toEqual({ vote: 'yes', reason: 'ok' })
    expect(p.size).toBe(0)
    p.delivered('proposal:a', true)
    expect(await sent).toBe(true)
    expect(p.cast('proposal:a', { vote: 'no', reason: '' })).toBeUndefined()
  })

  it('an aborted wait (deadline, closed stream) resolves undefined and leaves the list', async () => {
    const p = new PendingVotes()
    const ac = new AbortController()
    const waiting = p.wait(info('proposal:b'), ac.signal)
    ac.abort()
    expect(await waiting).toBeUndefined()
    expect(p.list()).toEqual([])
    expect(await p.wait(info('proposal:c'), AbortSignal.abort())).toBeUndefined()
  })

  it('a second proposal with a waiting id does not replace the first: it resolves undefined at once, and the first still settles', async () => {
    const p = new PendingVotes()
    const first = new AbortController()
    const waiting = p.wait(info('proposal:d'), first.signal)
    expect(await p.wait(info('proposal:d'), new AbortController().signal)).toBeUndefined()
    expect(p.size).toBe(1)
    first.abort()
    expect(await waiting).toBeUndefined()
    expect(p.size).toBe(0)
    // and the operator's vote reaches the one that waits
    const again = p.wait(info('proposal:e'), new AbortController().signal)
    void p.wait(info('proposal:e'), new AbortController().signal)
    p.cast('proposal:e', { vote: 'no', reason: 'n' })
    expect(await again).toEqual({ vote: 'no', reason: 'n' })
  })

  it('lists by deadline and clear() releases every waiter', async () => {
    const p = new PendingVotes()
    const s = new AbortController().signal
    const late = p.wait(info('proposal:late', '2030-01-02T00:00:00Z'), s)
    const early = p.wait(info('proposal:early', '2030-01-01T00:00:00Z'), s)
    expect(p.list().map((x) => x.id)).toEqual(['proposal:early', 'proposal:late'])
    p.clear()
    expect(await Promise.all([late, early])).toEqual([undefined, undefined])
  })
})
