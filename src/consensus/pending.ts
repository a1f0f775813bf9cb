// Proposals waiting for this node's operator (the `ask` policy). Each waits on its open stream
// to the proposer until the operator votes, the deadline passes or the stream dies; nothing
// outlives that stream, so the list is memory only (a restarted daemon has no open streams).

import type { Vote } from './policy.ts'

export interface PendingProposal {
  id: string
  proposer: string
  /** The proposer's libp2p peer id. */
  peerId: string
  federation: string
  file: string
  operation: string
  rationale: string
  risk: string
  reasons: string[]
  contentHash: string | null
  /** The proposed text (verified against contentHash), so the operator judges what it votes on. */
  content: string | null
  /** The previous text as the proposer sent it (unsigned: it only sizes the change). */
  previousContent: string | null
  /** RFC 3339; the vote must be cast before it. */
  deadline: string
  receivedAt: string
}

export interface OperatorVote {
  vote: Vote
  reason: string
}

interface Waiter {
  info: PendingProposal
  resolve: (v: OperatorVote | undefined) => void
  /** Resolves true once the vote frame is written to the proposer, false if it could not be. */
  sent?: PromiseWithResolvers<boolean>
}

export class PendingVotes {
  private readonly waiting = new Map<string, Waiter>()
  /** Settled waiters whose vote is being written, so `delivered` can answer the operator. */
  private readonly done = new Map<string, Waiter>()

  /**
   * Registers a proposal and resolves with the operator's vote, or undefined when `signal`
   * aborts first (deadline, closed stream, daemon stop).
   */
  async wait (info: PendingProposal, signal: AbortSignal): Promise<OperatorVote | undefined> {
    // one waiter per id: a second would replace the first, whose promise nothing would settle
    if (signal.aborted || this.waiting.has(info.id)) return undefined
    const { promise, resolve } = Promise.withResolvers<OperatorVote | undefined>()
    const waiter: Waiter = { info, resolve }
    this.waiting.set(info.id, waiter)
    const onAbort = (): void => {
      if (this.waiting.get(info.id) === waiter) this.settle(info.id, undefined)
      else resolve(undefined)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await promise
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  list (): PendingProposal[] {
    return [...this.waiting.values()].map((w) => w.info).sort((a, b) => a.deadline.localeCompare(b.deadline))
  }

  get (id: string): PendingProposal | undefined {
    return this.waiting.get(id)?.info
  }

  /**
   * The operator's vote: hands it to the waiting stream; resolves with whether it reached the
   * proposer's stream (see `delivered`). Undefined when no such proposal waits.
   */
  cast (id: string, vote: OperatorVote): Promise<boolean> | undefined {
    const w = this.waiting.get(id)
    if (w === undefined) return undefined
    w.sent = Promise.withResolvers<boolean>()
    const sent = w.sent.promise
    this.settle(id, vote)
    return sent
  }

  /** Reports the outcome of writing a cast vote (called by the stream handler). */
  delivered (id: string, ok: boolean, waiter = this.done.get(id)): void {
    waiter?.sent?.resolve(ok)
    this.done.delete(id)
  }

  /** Drops every waiter (daemon stop); their streams end without a vote. */
  clear (): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, undefined)
  }

  get size (): number { return this.waiting.size }

  private settle (id: string, vote: OperatorVote | undefined): void {
    const w = this.waiting.get(id)
    if (w === undefined) return
    this.waiting.delete(id)
    if (vote !== undefined) this.done.set(id, w)
    w.resolve(vote)
  }
}
