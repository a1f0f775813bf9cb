// /swarm/task/1.0.0: one signed task-request frame in, one signed task-response frame out, per
// stream (length-prefixed JSON text, size-capped). Unlike the generic rpc helper, the handler
// gets a signal bound to the stream's lifetime: when the caller gives up (aborts, resets, or its
// connection drops) the signal fires and the executor kills the task's child process.

import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { PROTOCOL_TASK } from '../constants.ts'
import { SwarmError, scopedSignal } from '../errors.ts'
import { request as sendRequest } from '../net/rpc.ts'
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
    const expire = (): void => { io.abort(new SwarmError('timeout', 'task stream I/O timed out')) }
    // a fresh timer for each step: a cleared one does not re-arm with refresh()
    let timer = setTimeout(expire, TASK_STREAM_IO_TIMEOUT_MS)
    const onGone = (): void => { io.abort(gone.signal.reason) }
    gone.signal.addEventListener('abort', onGone, { once: true })
    try {
      const lp = lpStream(stream, { maxDataLength: TASK_REQUEST_MAX_BYTES })
      const request = await lp.read({ signal: io.signal })
      clearTimeout(timer)
      const response = await handle({ request: request.subarray(), from: connection.remotePeer, connection, signal: gone.signal })
      stream.removeEventListener('close', onClose)
      gone.signal.removeEventListener('abort', onGone)
      timer = setTimeout(expire, TASK_STREAM_IO_TIMEOUT_MS)
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

export async function unhandleTaskStreams (libp2p: SwarmLibp2p): Promise<void> {
  await libp2p.unhandle(PROTOCOL_TASK)
}

/**
 * Sends one task request to `peer` and returns the response frame (the shared request/response
 * of src/net/rpc.ts). Rejects with a SwarmError: `timeout`, `aborted` (the caller's signal), or
 * `stream-failed` (dial or stream error, e.g. the peer died mid-task). Aborting resets the
 * stream, so the executor sees it and kills the task.
 */
export async function sendTask (libp2p: SwarmLibp2p, peer: PeerId, request: Uint8Array, opts: { signal?: AbortSignal, timeoutMs: number }): Promise<Uint8Array> {
  return await sendRequest(libp2p, peer, PROTOCOL_TASK, request, { signal: opts.signal, timeoutMs: opts.timeoutMs, maxDataLength: TASK_RESPONSE_MAX_BYTES })
}
