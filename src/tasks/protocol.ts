// /swarm/task/1.0.0: one signed task-request frame in, one signed task-response frame out, per
// stream (length-prefixed JSON text, size-capped). Unlike the generic rpc helper, the handler
// gets a signal bound to the stream's lifetime: when the caller gives up (aborts, resets, or its
// connection drops) the signal fires and the executor kills the task's child process.

import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { PROTOCOL_TASK } from '../constants.ts'
import { SwarmError } from '../errors.ts'
import type { SwarmLibp2p } from '../net/node.ts'
import { TASK_MAX_STREAMS, TASK_REQUEST_MAX_BYTES, TASK_RESPONSE_MAX_BYTES, TASK_STREAM_IO_TIMEOUT_MS } from './constants.ts'

export interface InboundTask {
  /** The request frame. */
  request: Uint8Array
  from: PeerId
  connection: Connection
  /** Aborts when the stream closes or resets before the answer is written. */
  signal: AbortSignal
}

export type InboundTaskHandler = (task: InboundTask) => Promise<Uint8Array>

/** Registers the protocol handler; `handle` must bound its own running time (the deadline). */
export async function handleTaskStreams (libp2p: SwarmLibp2p, handle: InboundTaskHandler): Promise<void> {
  await libp2p.handle(PROTOCOL_TASK, async (stream: Stream, connection: Connection) => {
    const gone = new AbortController()
    const onClose = (): void => { gone.abort(new SwarmError('aborted', 'the caller closed the task stream')) }
    stream.addEventListener('close', onClose, { once: true })
    // One I/O deadline, re-armed for each step: read the request, then write the answer.
    const io = new AbortController()
    const timer = setTimeout(() => { io.abort(new SwarmError('timeout', 'task stream I/O timed out')) }, TASK_STREAM_IO_TIMEOUT_MS)
    const onGone = (): void => { io.abort(gone.signal.reason) }
    gone.signal.addEventListener('abort', onGone, { once: true })
    try {
      const lp = lpStream(stream, { maxDataLength: TASK_REQUEST_MAX_BYTES })
      const request = await lp.read({ signal: io.signal })
      clearTimeout(timer)
      const response = await handle({ request: request.subarray(), from: connection.remotePeer, connection, signal: gone.signal })
      stream.removeEventListener('close', onClose)
      gone.signal.removeEventListener('abort', onGone)
      timer.refresh()
      await lp.write(response, { signal: io.signal })
      await stream.close({ signal: io.signal })
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      clearTimeout(timer)
      stream.removeEventListener('close', onClose)
      gone.signal.removeEventListener('abort', onGone)
    }
  }, { maxInboundStreams: TASK_MAX_STREAMS, maxOutboundStreams: TASK_MAX_STREAMS, runOnLimitedConnection: true })
}

/**
 * A signal that aborts when any of `parents` does or after `ms`; `done()` drops the timer and
 * the listeners. Cheaper than AbortSignal.any + AbortSignal.timeout on the per-task path, and
 * it leaves nothing registered on long-lived parents.
 */
export function scopedSignal (parents: Array<AbortSignal | undefined>, ms: number): { signal: AbortSignal, done: () => void } {
  const ac = new AbortController()
  const live = parents.filter((p): p is AbortSignal => p !== undefined)
  const onAbort = function (this: AbortSignal): void { ac.abort(this.reason) }
  const timer = setTimeout(() => { ac.abort(new SwarmError('timeout', `timed out after ${ms} ms`)) }, ms)
  const done = (): void => {
    clearTimeout(timer)
    for (const p of live) p.removeEventListener('abort', onAbort)
  }
  for (const p of live) {
    if (p.aborted) { ac.abort(p.reason); break }
    p.addEventListener('abort', onAbort, { once: true })
  }
  ac.signal.addEventListener('abort', done, { once: true })
  return { signal: ac.signal, done }
}

export async function unhandleTaskStreams (libp2p: SwarmLibp2p): Promise<void> {
  await libp2p.unhandle(PROTOCOL_TASK)
}

/**
 * Sends one request frame to `peer` and returns the response frame. Rejects with a SwarmError:
 * `timeout` (no answer within `timeoutMs`), `aborted` (the caller's signal), `stream-failed`
 * (dial or stream error, e.g. the peer died mid-task).
 */
export async function sendTask (libp2p: SwarmLibp2p, peer: PeerId, request: Uint8Array, opts: { signal?: AbortSignal, timeoutMs: number }): Promise<Uint8Array> {
  const scope = scopedSignal([opts.signal], opts.timeoutMs)
  const signal = scope.signal
  let stream: Stream | undefined
  try {
    stream = await libp2p.dialProtocol(peer, PROTOCOL_TASK, { signal, runOnLimitedConnection: true })
    const lp = lpStream(stream, { maxDataLength: TASK_RESPONSE_MAX_BYTES })
    await lp.write(request, { signal })
    const response = await lp.read({ signal })
    await stream.close({ signal }).catch(() => {})
    return response.subarray()
  } catch (err: any) {
    // Aborting (not closing) resets the stream: the executor sees it and kills the task.
    stream?.abort(err instanceof Error ? err : new Error(String(err)))
    if (err instanceof SwarmError) throw err
    if (opts.signal?.aborted === true) throw new SwarmError('aborted', 'the task was cancelled')
    if (signal.aborted) throw new SwarmError('timeout', `no answer within ${Math.round(opts.timeoutMs / 1000)} s`)
    throw new SwarmError('stream-failed', `task stream failed: ${err?.message as string}`, { cause: err })
  } finally {
    scope.done()
  }
}
