// A control-socket stream (`watch`, `events`) as an async iterator: notifications are queued
// until the consumer pulls them; leaving the loop early (break, return, throw) cancels the
// stream on the daemon. The daemon's final answer is `end`.

import type { ControlTransport } from './transport.ts'
import { SwarmError } from '../errors.ts'

export interface SwarmStream<E, R> extends AsyncIterableIterator<E> {
  /** The daemon's final answer; rejects with the stream's error (never for a cancel by us). */
  readonly end: Promise<R | undefined>
  /** Stops the stream; the iterator then ends after what was already queued. */
  cancel: () => void
}

export function openStream<E, R> (control: ControlTransport, method: string, params: unknown, signal?: AbortSignal): SwarmStream<E, R> {
  const ac = new AbortController()
  const onOuterAbort = (): void => { ac.abort() }
  if (signal?.aborted === true) ac.abort()
  else signal?.addEventListener('abort', onOuterAbort, { once: true })
  const queue: E[] = []
  let waiting: PromiseWithResolvers<void> | undefined
  let finished = false
  let failure: Error | undefined
  const wake = (): void => { waiting?.resolve(); waiting = undefined }

  const end = control.stream<R>(method, params, (event: E) => { queue.push(event); wake() }, { signal: ac.signal })
    .then((r) => r ?? undefined, (err: unknown) => {
      // our own cancel ends the stream normally
      if (ac.signal.aborted && err instanceof SwarmError && err.code === 'aborted') return undefined
      failure = err instanceof Error ? err : new Error(String(err))
      throw failure
    })
    .finally(() => { finished = true; signal?.removeEventListener('abort', onOuterAbort); wake() })
  end.catch(() => {}) // surfaced through next() and to whoever awaits `end`

  const cancel = (): void => { ac.abort() }
  const iterator: SwarmStream<E, R> = {
    end,
    cancel,
    async next (): Promise<IteratorResult<E>> {
      for (;;) {
        if (queue.length > 0) return { value: queue.shift() as E, done: false }
        if (failure !== undefined) throw failure
        if (finished || ac.signal.aborted) return { value: undefined, done: true }
        waiting = Promise.withResolvers<void>()
        await waiting.promise
      }
    },
    async return (): Promise<IteratorResult<E>> {
      cancel()
      queue.length = 0
      return { value: undefined, done: true }
    },
    [Symbol.asyncIterator] () { return iterator }
  }
  // an abort wakes a consumer parked in next()
  ac.signal.addEventListener('abort', wake, { once: true })
  return iterator
}
