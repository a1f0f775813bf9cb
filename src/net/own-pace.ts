// This node's own publications, paced below the per-sender rate its peers enforce (the daemon's
// and the page's: no node: imports). Every node
// admits at most `rateLimit.perSender` messages a second from one sender (burst included) and
// ignores the rest (src/federation/admission.ts); a neighbour the sender reaches directly also
// counts those refusals against it, and enough of them graylist it. So an honest node that asks
// in bursts (`swarm ask --batch`, an agent's fan-out, many open channels) must not outrun its
// peers' buckets: it holds its own messages back to a share of that rate, in order, instead of
// having them dropped. Nothing is refused here; a publication waits for its slot.
//
// The share stays below 1 because a receiver's bucket and this schedule start at different times
// and the network bunches what was sent evenly: at 80 % a receiver's bucket never runs dry.

import { SwarmError } from '../errors.ts'
import { paceOf, paceStep, type BucketRate, type Pace } from '../federation/token-bucket.ts'

/** Share of the peers' per-sender rate (and burst) this node uses for its own messages. */
export const OWN_SHARE = 0.8

/** The per-sender rate every node enforces by default (config/default.json `rateLimit.perSender`;
 *  a unit test keeps the two equal): what the page, which has no config, paces itself against. */
export const DEFAULT_PER_SENDER: BucketRate = { ratePerSec: 20, burst: 60 }

export class OwnPace {
  private readonly pace: Pace
  private readonly now: () => number
  /** When the next publication is due (GCRA). */
  private tat?: number
  private readonly sleeping = new Set<{ timer: ReturnType<typeof setTimeout>, fail: (err: Error) => void }>()
  readonly numbers = { sent: 0, delayed: 0, delayedMs: 0 }

  constructor (perSender: BucketRate, opts: { share?: number, now?: () => number } = {}) {
    const share = opts.share ?? OWN_SHARE
    this.pace = paceOf({ ratePerSec: perSender.ratePerSec * share, burst: Math.max(1, Math.floor(perSender.burst * share)) })
    this.now = opts.now ?? Date.now
  }

  /**
   * Resolves when this node's next publication may go. Slots are taken in call order, so
   * publications leave in the order they were made. Rejects when `signal` aborts (the slot it held
   * stays spent) or the pace is stopped.
   */
  async slot (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    const { wait, next } = paceStep(this.tat, this.now(), this.pace)
    this.tat = next
    this.numbers.sent++
    if (wait <= 0) return
    this.numbers.delayed++
    this.numbers.delayedMs += wait
    await new Promise<void>((resolve, reject) => {
      const entry = {
        timer: setTimeout(() => { done(); resolve() }, wait),
        fail: (err: Error) => { clearTimeout(entry.timer); done(); reject(err) }
      }
      const onAbort = (): void => { entry.fail(new SwarmError('aborted', 'publication cancelled before its slot')) }
      const done = (): void => { this.sleeping.delete(entry); signal?.removeEventListener('abort', onAbort) }
      this.sleeping.add(entry)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Publications waiting for their slot. */
  get waiting (): number { return this.sleeping.size }

  /** Fails every waiting publication (the daemon is stopping). */
  stop (): void {
    for (const s of [...this.sleeping]) s.fail(new SwarmError('aborted', 'the daemon is stopping: publication not sent'))
  }

  stats (): Record<string, number> {
    return { ...this.numbers, waiting: this.waiting }
  }
}
