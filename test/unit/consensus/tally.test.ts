import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { tally, fallbackResult, decideVote, type CastVote, type VoteRule } from '../../../src/consensus/tally.ts'

describe('tally', () => {
  it.each([
    // [eligible, votes, proposerVote, approved, yes, no, silent]
    [['p'], [], 'yes', true, 1, 0, []],
    [['p'], [], 'no', false, 0, 1, []],
    [['p', 'a'], [['a', 'yes']], 'yes', true, 2, 0, []],
    [['p', 'a'], [], 'yes', false, 1, 0, ['a']], // half is not a majority
    [['p', 'a', 'b'], [['a', 'yes']], 'yes', true, 2, 0, ['b']],
    [['p', 'a', 'b'], [['a', 'no']], 'yes', false, 1, 1, ['b']],
    [['p', 'a', 'b', 'c'], [['a', 'yes']], 'yes', false, 2, 0, ['b', 'c']],
    [['p', 'a', 'b', 'c'], [['a', 'yes'], ['b', 'yes']], 'no', false, 2, 1, ['c']],
    [['p', 'a', 'b', 'c', 'd'], [['a', 'yes'], ['b', 'yes']], 'yes', true, 3, 0, ['c', 'd']]
  ] as const)('eligible=%j votes=%j proposer=%s', (eligible, votes, proposerVote, approved, yes, no, silent) => {
    const r = tally({ eligible, proposer: 'p', proposerVote, votes: votes.map(([voter, vote]) => ({ voter, vote, reason: '' })) })
    expect(r).toEqual({ approved, yes, no, silent, eligible: eligible.length })
  })

  it('ignores outsiders, duplicates (first counts), and relayed proposer votes', () => {
    const r = tally({
      eligible: ['p', 'a', 'b'],
      proposer: 'p',
      proposerVote: 'no',
      votes: [
        { voter: 'mallory', vote: 'yes', reason: '' },
        { voter: 'a', vote: 'yes', reason: '' },
        { voter: 'a', vote: 'no', reason: 'changed my mind' },
        { voter: 'p', vote: 'yes', reason: 'forged' },
        { voter: 'b', vote: 'maybe' as any, reason: '' }
      ]
    })
    expect(r).toEqual({ approved: false, yes: 1, no: 1, silent: ['b'], eligible: 3 })
  })

  it('counts the proposer even when left out of eligible, and dedupes eligible', () => {
    expect(tally({ eligible: ['a', 'a'], proposer: 'p', proposerVote: 'yes', votes: [{ voter: 'a', vote: 'yes', reason: '' }] }))
      .toEqual({ approved: true, yes: 2, no: 0, silent: [], eligible: 2 })
  })
})

const ids = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 })
const voteArb = fc.constantFrom<'yes' | 'no'>('yes', 'no')

const inputArb = ids.chain(eligible => fc.record({
  eligible: fc.constant(eligible),
  proposer: fc.constantFrom(...eligible),
  proposerVote: voteArb,
  votes: fc.array(fc.record({ voter: fc.oneof(fc.constantFrom(...eligible), fc.string({ maxLength: 4 })), vote: voteArb, reason: fc.constant('') }), { maxLength: 30 })
}))

describe('tally properties', () => {
  it('approved iff yes is a strict majority of the eligible', () => {
    fc.assert(fc.property(inputArb, (input) => {
      const r = tally(input)
      expect(r.approved).toBe(r.yes * 2 > r.eligible)
      expect(r.eligible).toBe(input.eligible.length)
    }))
  })

  it('yes + no + silent = eligible, and silent voters are eligible voters who cast nothing counted', () => {
    fc.assert(fc.property(inputArb, (input) => {
      const r = tally(input)
      expect(r.yes + r.no + r.silent.length).toBe(r.eligible)
      expect(r.silent).not.toContain(input.proposer)
      for (const s of r.silent) {
        expect(input.eligible).toContain(s)
        expect(input.votes.some(v => v.voter === s)).toBe(false)
      }
    }))
  })

  it('votes from outsiders change nothing', () => {
    fc.assert(fc.property(inputArb, fc.array(fc.string({ minLength: 5, maxLength: 8 }), { maxLength: 5 }), (input, outsiders) => {
      const extra: CastVote[] = outsiders.map(voter => ({ voter, vote: 'yes', reason: '' }))
      expect(tally({ ...input, votes: [...extra, ...input.votes, ...extra] })).toEqual(tally(input))
    }))
  })

  it('a repeated vote changes nothing (first counts)', () => {
    fc.assert(fc.property(inputArb, voteArb, (input, flip) => {
      const again = input.votes.map(v => ({ ...v, vote: flip }))
      expect(tally({ ...input, votes: [...input.votes, ...again] })).toEqual(tally(input))
    }))
  })

  it('turning a no or a silence into a yes never withdraws approval (monotone)', () => {
    fc.assert(fc.property(inputArb, (input) => {
      const before = tally(input)
      const target = before.silent[0]
      if (target === undefined) return
      const after = tally({ ...input, votes: [{ voter: target, vote: 'yes', reason: '' }, ...input.votes] })
      expect(after.yes).toBe(before.yes + 1)
      if (before.approved) expect(after.approved).toBe(true)
    }))
  })

  it('does not depend on the order of distinct voters', () => {
    fc.assert(fc.property(inputArb, (input) => {
      const firstPerVoter = input.votes.filter((v, i) => input.votes.findIndex(w => w.voter === v.voter) === i)
      const r = tally({ ...input, votes: [...firstPerVoter].reverse() })
      const s = tally({ ...input, votes: firstPerVoter })
      expect({ ...r, silent: [...r.silent].sort() }).toEqual({ ...s, silent: [...s.silent].sort() })
    }))
  })
})

describe('decideVote', () => {
  const low = { file: 'src/a.js', operation: 'modify' as const, risk: 'low' as const, dynamicExecution: false }

  it.each([
    ['auto, low', 'auto', low, 'yes', /auto: low risk/],
    ['auto, medium', 'auto', { ...low, risk: 'medium' }, 'yes', /medium risk/],
    ['auto, high', 'auto', { ...low, risk: 'high', reasons: ['core file'] }, 'no', /high risk: core file/],
    ['auto, dynamic execution at medium', 'auto', { ...low, risk: 'medium', dynamicExecution: true }, 'no', /dynamic execution/]
  ] as const)('%s', (_name, policy, proposal, vote, reason) => {
    const d = decideVote(policy, proposal)
    expect(d?.vote).toBe(vote)
    expect(d?.reason).toMatch(reason)
  })

  it('returns null for ask', () => {
    expect(decideVote('ask', low)).toBeNull()
  })

  it('applies the first matching rule, else falls through to auto', () => {
    const rules: VoteRule[] = [
      { match: { file: 'docs/**' }, vote: 'yes', reason: 'docs are free' },
      { match: { risk: 'high', operation: 'delete' }, vote: 'no' },
      { match: { risk: 'low' }, vote: 'no', reason: 'paranoid' },
      { match: {}, vote: 'yes' }
    ]
    expect(decideVote(rules, { ...low, file: 'docs/x.md', risk: 'high', dynamicExecution: true })).toEqual({ vote: 'yes', reason: 'docs are free' })
    expect(decideVote(rules, { ...low, operation: 'delete', risk: 'high' })).toEqual({ vote: 'no', reason: 'rule risk=high operation=delete → no' })
    expect(decideVote(rules, low)).toEqual({ vote: 'no', reason: 'paranoid' })
    expect(decideVote(rules, { ...low, risk: 'high' })).toEqual({ vote: 'yes', reason: 'rule any → yes' })
    expect(decideVote(rules.slice(0, 2), { ...low, risk: 'high' })?.reason).toMatch(/^auto: high risk/)
    expect(decideVote([], low)?.vote).toBe('yes')
  })
})

describe('fallbackResult', () => {
  it('labels the fallback as swarm-unavailable', () => {
    expect(fallbackResult('allow')).toEqual({ consensus: true, reason: 'swarm-unavailable' })
    expect(fallbackResult('deny')).toEqual({ consensus: false, reason: 'swarm-unavailable' })
  })
})
