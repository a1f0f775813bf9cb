// This node's own publications, paced below the per-sender rate its peers enforce (used by the
// daemon and the page: no node: imports). Every node admits at most `rateLimit.perSender`
// messages a second from one sender (burst included) and ignores the rest
// (src/federation/admission.ts); a neighbour the sender reaches directly also counts those
// refusals against it, and enough of them graylist it. So an honest node that asks in bursts
// (`swarm ask --batch`, an agent's fan-out, many open channels) must not outrun its peers'
// buckets: it holds its own messages back to a share of that rate, in order, instead of having
// them dropped. Nothing is refused here; a publication waits for its slot.
//
// The share stays below 1 because a receiver's bucket and this schedule start at different times
// and the network bunches what was sent evenly: at 80 % a receiver's bucket does not run dry
// (property-tested with jitter up to what the spare 20 % covers). Direct streams to a peer
// (history, pushes, attachments) draw on a bucket of their own there, and each peer's are paced
// apart with this same class (src/net/stream-pace.ts).

import { abortedWhile, SwarmError } from '../errors.ts'
import { paceOf, paceStep, type BucketRate, type Pace } from '../federation/token-bucket.ts'

/** Share of the peers' per-sender rate (and burst) this node uses for its own messages. */
export const OWN_SHARE = 0.8

/**
 * Longest a spare publication (a heartbeat) waits while others keep coming. A channel's speaker
 * beats every `bus.heartbeatSec` (10 s) and counts as absent after three missed beats, so a
 * heartbeat that could starve behind a long burst of this node's own questions (`ask --batch`
 * of a thousand) would hand its channels to a shadow while it is alive. Past this wait a spare
 * one takes every other slot until its line has caught up.
 */
export const SPARE_MAX_WAIT_MS = 5_000

/** The per-sender rate every node enforces by default (config/default.json `rateLimit.perSender`;
 *  a unit test keeps the two equal): what the page, which has no config, paces itself against. */
export const DEFAULT_PER_SENDER: BucketRate = { ratePerSec: 20, burst: 60 }

interface Waiter { resolve: () => void, fail: (err: Error) => void, since: number }

export class OwnPace {
  private readonly pace: Pace
  private readonly now: () => number
  /** When the next publication is due (GCRA). */
  private tat?: number
  /**
   * Publications waiting for a slot, in call order. `spare` is for what only fills capacity left
   * over (heartbeats): a question or an answer made while hundreds of channels' heartbeats wait
   * goes ahead of them, not behind.
   */
  private readonly lines = { first: [] as Waiter[], spare: [] as Waiter[] }
  private timer?: ReturnType<typeof setTimeout>
  private stopped = false
  private readonly spareMaxWaitMs: number
  /** The last slot went to a spare publication that had waited too long: the next is the first line's. */
  private lastWasOverdue = false
  readonly numbers = { sent: 0, delayed: 0, delayedMs: 0 }

  constructor (perSender: BucketRate, opts: { share?: number, now?: () => number, spareMaxWaitMs?: number } = {}) {
    const share = opts.share ?? OWN_SHARE
    this.spareMaxWaitMs = opts.spareMaxWaitMs ?? SPARE_MAX_WAIT_MS
    this.pace = paceOf({ ratePerSec: perSender.ratePerSec * share, burst: Math.max(1, Math.floor(perSender.burst * share)) })
    // monotonic: a wall clock stepped back would hold every publication back by the step
    this.now = opts.now ?? (() => performance.now())
  }

  /**
   * Resolves when this node's next publication may go: at once within the burst, else when a
   * slot comes, in call order within its line (`spare` ones only when no other waits, or every
   * other slot once overdue). Rejects
   * when `signal` aborts or the pace is stopped.
   */
  async slot (signal?: AbortSignal, opts: { spare?: boolean } = {}): Promise<void> {
    signal?.throwIfAborted()
    if (this.stopped) throw new SwarmError('aborted', 'the daemon is stopping: publication not sent')
    this.numbers.sent++
    if (this.waiting === 0) {
      const { wait, next } = paceStep(this.tat, this.now(), this.pace)
      if (wait <= 0) { this.tat = next; return }
    }
    const line = opts.spare === true ? this.lines.spare : this.lines.first
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = line.indexOf(w)
        if (i >= 0) line.splice(i, 1)
        w.fail(abortedWhile(signal as AbortSignal, 'waiting for a slot of this node\'s own pace'))
      }
      const w: Waiter = {
        since: this.now(),
        resolve: () => { signal?.removeEventListener('abort', onAbort); resolve() },
        fail: (err) => { signal?.removeEventListener('abort', onAbort); reject(err) }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      line.push(w)
      this.arm()
    })
  }

  /** Publications waiting for their slot. */
  get waiting (): number { return this.lines.first.length + this.lines.spare.length }

  /** Fails every waiting publication, and every later one (the daemon is stopping). */
  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    const all = [...this.lines.first, ...this.lines.spare]
    this.lines.first.length = 0
    this.lines.spare.length = 0
    for (const w of all) w.fail(new SwarmError('aborted', 'the daemon is stopping: publication not sent'))
  }

  stats (): Record<string, number> {
    return { ...this.numbers, waiting: this.waiting }
  }

  /** One timer for the next slot while anything waits. */
  private arm (): void {
    if (this.timer !== undefined || this.waiting === 0) return
    const { wait } = paceStep(this.tat, this.now(), this.pace)
    this.timer = setTimeout(() => { this.timer = undefined; this.release() }, Math.max(0, wait))
  }

  /**
   * Lets go every waiter whose slot has come: the first line before the spare one, except that a
   * spare waiter overdue (SPARE_MAX_WAIT_MS) takes every other slot.
   */
  private release (): void {
    for (;;) {
      const { first, spare } = this.lines
      if (first.length === 0 && spare.length === 0) break
      const { wait, next } = paceStep(this.tat, this.now(), this.pace)
      if (wait > 0) break
      this.tat = next
      const overdue = spare.length > 0 && !this.lastWasOverdue && this.now() - spare[0].since >= this.spareMaxWaitMs
      this.lastWasOverdue = overdue && first.length > 0
      const w = (overdue || first.length === 0 ? spare : first).shift() as Waiter
      this.numbers.delayed++
      this.numbers.delayedMs += this.now() - w.since
      w.resolve()
    }
    this.arm()
  }
}
