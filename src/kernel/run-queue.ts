// A run queue: at most `maxConcurrent` jobs run at once, at most `maxQueued` wait for a slot,
// and anything beyond is refused `busy` at once (the caller then tries the next peer) rather than
// parked behind work it cannot see. A waiting job whose caller gives up leaves the queue. Every
// change of load is reported (the task advert tells peers). Used for the tasks this node runs
// (src/tasks) and the attachment fetches its operator and tasks ask for (src/blobs/fetch.ts).

import { SwarmError } from '../errors.ts'

interface Waiter {
  start: () => void
  fail: (err: Error) => void
}

export interface RunQueueInit {
  maxConcurrent: number
  maxQueued: number
  /** Called after every change of running/queued. */
  onChange?: () => void
}

export class RunQueue {
  private readonly maxConcurrent: number
  private readonly maxQueued: number
  private readonly waiting: Waiter[] = []
  private active = 0
  private readonly onChange?: () => void

  constructor (init: RunQueueInit) {
    this.maxConcurrent = Math.max(1, init.maxConcurrent)
    this.maxQueued = Math.max(0, init.maxQueued)
    this.onChange = init.onChange
  }

  get running (): number { return this.active }
  get queued (): number { return this.waiting.length }

  /** True when a new job would be refused `busy`. */
  get full (): boolean {
    return this.active >= this.maxConcurrent && this.waiting.length >= this.maxQueued
  }

  /**
   * Runs `fn` when a slot is free. Rejects `busy` when the queue is full and `aborted` when
   * `signal` aborts while waiting; `onStart` runs as the job leaves the queue.
   */
  async run<T> (fn: () => Promise<T>, opts: { signal?: AbortSignal, onStart?: () => void } = {}): Promise<T> {
    if (opts.signal?.aborted === true) throw new SwarmError('aborted', 'cancelled before it ran')
    if (this.active >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) {
        throw new SwarmError('busy', `this node is busy (${this.active} running, ${this.waiting.length} queued)`, { detail: { running: this.active, queued: this.waiting.length } })
      }
      await this.wait(opts.signal)
    } else {
      this.active++
      this.changed()
    }
    try {
      opts.onStart?.()
      return await fn()
    } finally {
      this.release()
    }
  }

  private async wait (signal: AbortSignal | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => { signal?.removeEventListener('abort', onAbort); resolve() },
        fail: reject
      }
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter)
        if (i >= 0) { this.waiting.splice(i, 1); this.changed() }
        reject(new SwarmError('aborted', 'cancelled while queued'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
      this.changed()
    })
  }

  private release (): void {
    const next = this.waiting.shift()
    // The slot passes straight to the next waiter: `active` stays the same.
    if (next !== undefined) next.start()
    else this.active--
    this.changed()
  }

  private changed (): void {
    try { this.onChange?.() } catch { /* a listener must not break the queue */ }
  }
}
