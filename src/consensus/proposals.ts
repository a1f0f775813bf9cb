// Proposals this node made or voted on, in the `consensus` bucket: proposal id → record (the
// signed proposal, the votes as cast, the result). A node is either the proposer or a voter of
// a given proposal, so one key per id suffices.

import type { Bucket } from '../store/db.ts'
import type { Vote } from './policy.ts'

export interface ConsensusVote {
  voter: string
  vote: Vote
  reason: string
}

/** What `consensus.propose` answers, the `swarm:consensus-result` event carries and the store keeps. */
export interface ConsensusResult {
  id: string
  consensus: boolean
  /** `approved`, `rejected`, or `swarm-unavailable` (the fallback). */
  reason: string
  file: string
  operation: string
  risk: string
  reasons: string[]
  dynamicExecution: boolean
  contentHash: string | null
  deadline: string
  /** How the electorate was fixed: `closed` (certified members), `voters` (consensus.voters) or `open` (signed adverts). */
  electorate: string
  /** The node ids allowed to vote, fixed when the proposal opened, the proposer first. */
  electors: string[]
  /** Counted votes, the proposer's first. */
  votes: ConsensusVote[]
  yes: number
  no: number
  /** Eligible voters with no vote by the deadline. */
  silent: string[]
  /** Eligible voters, the proposer included. */
  eligible: number
  /** Connected peers that are not electors, and why (not-member, not-a-voter, wrong-federation, no-advert). */
  excluded: Array<{ peerId: string, nodeId: string | null, reason: string }>
  /** Why an eligible voter has no counted vote (deadline, refused: no-vote, bad-vote: …). */
  notes: Array<{ nodeId: string, note: string }>
  decidedAt: string
}

export interface ProposerRecord {
  role: 'proposer'
  id: string
  proposal: Record<string, unknown>
  /** Signed vote envelopes as received (those that verified). */
  voteEnvelopes: Array<Record<string, unknown>>
  result?: ConsensusResult
}

export interface VoterRecord {
  role: 'voter'
  id: string
  proposal: Record<string, unknown>
  /** Our signed vote, once cast; absent if the operator never voted. */
  vote?: Record<string, unknown>
  /** `voted`, `waiting`, `expired` (ask: no vote by the deadline), `refused`. */
  state: 'voted' | 'waiting' | 'expired' | 'refused'
  receivedAt: string
}

export type ConsensusRecord = ProposerRecord | VoterRecord

export class ProposalStore {
  private readonly bucket: Bucket

  constructor (bucket: Bucket) { this.bucket = bucket }

  async get (id: string): Promise<ConsensusRecord | undefined> {
    return await this.bucket.get(id) as ConsensusRecord | undefined
  }

  async put (record: ConsensusRecord): Promise<void> {
    // synced: an acknowledged vote or result survives a crash (classic-level honours `sync`)
    await this.bucket.put(record.id, record, { sync: true } as object)
  }

  /** The latest `limit` records, newest first (ids are ULIDs, so key order is time order). */
  async list (limit = 50): Promise<ConsensusRecord[]> {
    const out: ConsensusRecord[] = []
    for await (const value of this.bucket.values({ reverse: true, limit })) out.push(value as ConsensusRecord)
    return out
  }
}
