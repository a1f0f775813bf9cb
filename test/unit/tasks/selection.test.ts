import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { selectPeers, isCapable, compareCandidates, type Candidate, type SelectOptions } from '../../../src/tasks/selection.ts'

const NOW = 1_000_000

function peer (id: string, over: Partial<Candidate> = {}): Candidate {
  return {
    peerId: id, nodeId: `node:${id}`, capabilities: ['python-execution'], taskTypes: ['python-computation'],
    queueLength: 0, running: 0, expiresAt: NOW + 60_000, reputation: 0, ...over
  }
}

const opts: SelectOptions = { taskType: 'python-computation', requirements: ['python-execution'], now: NOW }
const ids = (cs: Candidate[]): string[] => cs.map(c => c.peerId)

describe('selectPeers', () => {
  it('drops expired, incapable and excluded peers', () => {
    const cs = [
      peer('ok'),
      peer('expired', { expiresAt: NOW }),
      peer('no-cap', { capabilities: [] }),
      peer('no-type', { taskTypes: ['code-generation'] }),
      peer('excluded'),
      peer('excluded-by-node')
    ]
    expect(ids(selectPeers(cs, { ...opts, exclude: new Set(['excluded', 'node:excluded-by-node']) }))).toEqual(['ok'])
  })

  it('orders by reputation, then load, then rtt (unknown last), then peer id', () => {
    const cs = [
      peer('busy', { queueLength: 2, reputation: 100 }),
      peer('running', { running: 1 }),
      peer('rep-low', { reputation: 1, rttMs: 1 }),
      peer('rep-high-slow', { reputation: 5, rttMs: 50 }),
      peer('rep-high-fast', { reputation: 5, rttMs: 5 }),
      peer('rep-high-unknown-b', { reputation: 5 }),
      peer('rep-high-unknown-a', { reputation: 5 })
    ]
    // A reputable busy peer beats an unknown one claiming an empty queue: load is self-reported.
    expect(ids(selectPeers(cs, opts))).toEqual([
      'busy', 'rep-high-fast', 'rep-high-slow', 'rep-high-unknown-a', 'rep-high-unknown-b', 'rep-low', 'running'
    ])
  })

  it('with pinned returns only that peer (by peer id or node id), or nothing', () => {
    const cs = [peer('a'), peer('b'), peer('c', { capabilities: [] })]
    expect(ids(selectPeers(cs, { ...opts, pinned: 'b' }))).toEqual(['b'])
    expect(ids(selectPeers(cs, { ...opts, pinned: 'node:a' }))).toEqual(['a'])
    expect(selectPeers(cs, { ...opts, pinned: 'c' })).toEqual([])
    expect(selectPeers(cs, { ...opts, pinned: 'zzz' })).toEqual([])
    expect(selectPeers(cs, { ...opts, pinned: 'b', exclude: new Set(['b']) })).toEqual([])
  })

  it('ranks adverts with nonsense numbers last instead of breaking the sort', () => {
    const cs = [peer('nan', { queueLength: NaN }), peer('fine', { queueLength: 3 }), peer('inf-rep', { reputation: Infinity })]
    // NaN load counts as infinitely busy; a non-finite reputation as the worst reputation.
    expect(ids(selectPeers(cs, opts))).toEqual(['fine', 'nan', 'inf-rep'])
    expect(compareCandidates(peer('x', { reputation: Infinity }), peer('y', { reputation: -1 }))).toBeGreaterThan(0)
  })

  it('does not mutate its input', () => {
    const cs = [peer('b', { queueLength: 1 }), peer('a')]
    selectPeers(cs, opts)
    expect(ids(cs)).toEqual(['b', 'a'])
  })
})

const CAPS = ['python-execution', 'code-generation', 'file-management']
const TYPES = ['python-computation', 'code-generation', 'file-analysis']

const candidateArb = fc.record({
  peerId: fc.string({ minLength: 1, maxLength: 6 }),
  capabilities: fc.subarray(CAPS),
  taskTypes: fc.subarray(TYPES),
  queueLength: fc.nat(5),
  running: fc.nat(3),
  expiresAt: fc.integer({ min: NOW - 1000, max: NOW + 1000 }),
  reputation: fc.integer({ min: -5, max: 5 }),
  rttMs: fc.option(fc.nat(100), { nil: undefined })
}).map(c => ({ ...c, nodeId: `node:${c.peerId}` }) as Candidate)

const candidatesArb = fc.uniqueArray(candidateArb, { selector: c => c.peerId, maxLength: 20 })
const optsArb = fc.record({
  taskType: fc.constantFrom(...TYPES),
  requirements: fc.subarray(CAPS),
  now: fc.constant(NOW)
})

describe('selectPeers properties', () => {
  it('returns only capable members of the input, each once', () => {
    fc.assert(fc.property(candidatesArb, optsArb, (cs, o) => {
      const out = selectPeers(cs, o)
      expect(new Set(out).size).toBe(out.length)
      for (const c of out) {
        expect(cs).toContain(c)
        expect(isCapable(c, o)).toBe(true)
      }
      expect(out.length).toBe(cs.filter(c => isCapable(c, o)).length)
    }))
  })

  it('respects the order: reputation, then load, then rtt, then peer id', () => {
    fc.assert(fc.property(candidatesArb, optsArb, (cs, o) => {
      const out = selectPeers(cs, o)
      for (let i = 1; i < out.length; i++) {
        const a = out[i - 1]
        const b = out[i]
        const la = a.queueLength + a.running
        const lb = b.queueLength + b.running
        expect(a.reputation).toBeGreaterThanOrEqual(b.reputation)
        if (a.reputation === b.reputation) {
          expect(la).toBeLessThanOrEqual(lb)
          if (la === lb) {
            const ra = a.rttMs ?? Infinity
            const rb = b.rttMs ?? Infinity
            expect(ra).toBeLessThanOrEqual(rb)
            if (ra === rb) expect(a.peerId < b.peerId).toBe(true)
          }
        }
      }
    }))
  })

  it('is deterministic: any permutation of the input gives the same ranking', () => {
    fc.assert(fc.property(candidatesArb.chain(cs => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }))), optsArb, ([cs, shuffled], o) => {
      expect(ids(selectPeers(shuffled, o))).toEqual(ids(selectPeers(cs, o)))
    }))
  })

  it('pinned yields at most the pinned peer', () => {
    fc.assert(fc.property(candidatesArb, optsArb, fc.string({ maxLength: 6 }), (cs, o, pin) => {
      const out = selectPeers(cs, { ...o, pinned: pin })
      expect(out.length).toBeLessThanOrEqual(1)
      if (out.length === 1) expect([out[0].peerId, out[0].nodeId]).toContain(pin)
    }))
  })
})
