// How this node votes on a peer's proposal (pure). `auto` approves unless the change is high risk
// or executes code dynamically; fixed rules let an operator override that per risk, operation or
// file; `ask` means the service puts the question to the operator (decideVote answers null).

import type { Operation, Risk } from './risk.ts'
import { matchesCoreGlob } from './risk.ts'

export type Vote = 'yes' | 'no'

export interface VoteRule {
  /** Every given field must match; a rule with an empty match matches every proposal. */
  match: { risk?: Risk, operation?: Operation, file?: string }
  vote: Vote
  reason?: string
}

export type VotePolicy = 'auto' | 'ask' | readonly VoteRule[]

export interface ProposalFacts {
  file: string
  operation: Operation
  risk: Risk
  dynamicExecution: boolean
  /** The proposer's (or our own re-)assessment reasons, quoted in a `no`. */
  reasons?: readonly string[]
}

export interface VoteDecision {
  vote: Vote
  reason: string
}

/** The vote this node casts, or null when the policy is `ask` (the operator decides). */
export function decideVote (policy: VotePolicy, proposal: ProposalFacts): VoteDecision | null {
  if (policy === 'ask') return null
  if (policy !== 'auto') {
    const rule = policy.find(r => ruleMatches(r, proposal))
    if (rule !== undefined) return { vote: rule.vote, reason: rule.reason ?? `rule ${describe(rule)}` }
  }
  return autoVote(proposal)
}

function autoVote (p: ProposalFacts): VoteDecision {
  const why = p.reasons !== undefined && p.reasons.length > 0 ? `: ${p.reasons.join('; ')}` : ''
  if (p.risk === 'high') return { vote: 'no', reason: `auto: high risk${why}` }
  if (p.dynamicExecution) return { vote: 'no', reason: `auto: dynamic execution${why}` }
  return { vote: 'yes', reason: `auto: ${p.risk} risk, no dynamic execution` }
}

function ruleMatches (r: VoteRule, p: ProposalFacts): boolean {
  const m = r.match
  return (m.risk === undefined || m.risk === p.risk) &&
    (m.operation === undefined || m.operation === p.operation) &&
    (m.file === undefined || matchesCoreGlob(p.file, m.file))
}

function describe (r: VoteRule): string {
  const parts = Object.entries(r.match).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`)
  return `${parts.length === 0 ? 'any' : parts.join(' ')} → ${r.vote}`
}
