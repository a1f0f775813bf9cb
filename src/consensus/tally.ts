// The outcome of a proposal's vote (pure). Approval needs a strict majority of every eligible
// voter, the proposer included, so silence counts against: a swarm that does not answer cannot
// approve a risky change by default.

import { FALLBACK_REASON } from './constants.ts'
import type { Vote } from './policy.ts'

export { decideVote } from './policy.ts'
export type { Vote, VotePolicy, VoteRule, VoteDecision, ProposalFacts } from './policy.ts'

export interface CastVote {
  voter: string
  vote: Vote
  reason: string
}

export interface TallyInput {
  /** Node ids allowed to vote on this proposal, the proposer included. */
  eligible: readonly string[]
  votes: readonly CastVote[]
  proposer: string
  proposerVote: Vote
}

export interface TallyResult {
  approved: boolean
  yes: number
  no: number
  /** Eligible voters with no counted vote, in `eligible` order. */
  silent: string[]
  /** Number of eligible voters (the majority's denominator). */
  eligible: number
}

export function tally (input: TallyInput): TallyResult {
  // The proposer always counts, even if the caller left it out of the list.
  const eligible = [...new Set([input.proposer, ...input.eligible])]
  const allowed = new Set(eligible)
  const counted = new Map<string, Vote>([[input.proposer, input.proposerVote]])
  for (const v of input.votes) {
    // First vote per voter counts: a later one cannot flip a tally already observed. The
    // proposer's own vote is `proposerVote`, not a relayed copy.
    if (!allowed.has(v.voter) || counted.has(v.voter)) continue
    if (v.vote !== 'yes' && v.vote !== 'no') continue
    counted.set(v.voter, v.vote)
  }
  let yes = 0
  let no = 0
  for (const vote of counted.values()) {
    if (vote === 'yes') yes++
    else no++
  }
  return {
    approved: yes * 2 > eligible.length,
    yes,
    no,
    silent: eligible.filter(id => !counted.has(id)),
    eligible: eligible.length
  }
}

export interface FallbackResult {
  consensus: boolean
  reason: typeof FALLBACK_REASON
}

/** The answer when no peer could be asked at all: the operator's configured fallback, labelled. */
export function fallbackResult (fallback: 'allow' | 'deny'): FallbackResult {
  return { consensus: fallback === 'allow', reason: FALLBACK_REASON }
}
