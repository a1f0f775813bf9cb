// Newline-delimited JSON-RPC 2.0 on the control socket. One request per line; a streaming
// method (watch, events, ask --wait) sends `stream` notifications tagged with the request id
// before its final response. Errors carry a JSON-RPC integer code and our stable string code
// in `data.code`.

import { SwarmError, type SwarmErrorJSON } from '../errors.ts'

export interface RpcRequest {
  jsonrpc: '2.0'
  id?: number | string | null
  method: string
  params?: unknown
}

export interface RpcResponse {
  jsonrpc: '2.0'
  id: number | string | null
  result?: unknown
  error?: { code: number, message: string, data?: SwarmErrorJSON }
}

export interface RpcNotification {
  jsonrpc: '2.0'
  method: 'stream'
  params: { id: number | string, event: unknown }
}

export const RPC_PARSE_ERROR = -32700
export const RPC_INVALID_REQUEST = -32600
export const RPC_METHOD_NOT_FOUND = -32601
export const RPC_INVALID_PARAMS = -32602
export const RPC_INTERNAL = -32603
/** Application errors (our SwarmError codes ride in data.code). */
export const RPC_APP_ERROR = -32000

export function errorResponse (id: RpcResponse['id'], rpcCode: number, err: SwarmError): RpcResponse {
  return { jsonrpc: '2.0', id, error: { code: rpcCode, message: err.message, data: err.toJSON() } }
}

/**
 * Splits a byte stream into lines, refusing a line longer than `maxBytes` without buffering
 * it whole: the rest of an oversized line is skipped up to its newline.
 */
export class LineSplitter {
  private buf = ''
  private skipping = false
  private readonly maxBytes: number
  constructor (maxBytes: number) { this.maxBytes = maxBytes }

  /** Returns complete lines; `null` entries stand for lines that were too long. */
  push (chunk: string): Array<string | null> {
    const out: Array<string | null> = []
    let start = 0
    for (;;) {
      const nl = chunk.indexOf('\n', start)
      if (nl === -1) break
      const piece = chunk.slice(start, nl)
      start = nl + 1
      if (this.skipping) { this.skipping = false; out.push(null); this.buf = ''; continue }
      const line = this.buf + piece
      this.buf = ''
      out.push(Buffer.byteLength(line) > this.maxBytes ? null : line)
    }
    if (!this.skipping) {
      this.buf += chunk.slice(start)
      if (Buffer.byteLength(this.buf) > this.maxBytes) { this.buf = ''; this.skipping = true }
    }
    return out
  }
}

/** Exit statuses that belong to a code, so an error keeps its meaning across the socket. */
const EXIT_BY_CODE: Record<string, number> = { usage: 2, 'not-running': 3 }

export function rpcErrorToSwarm (error: NonNullable<RpcResponse['error']>): SwarmError {
  if (error.data != null && typeof error.data.code === 'string') return SwarmError.fromJSON(error.data, EXIT_BY_CODE[error.data.code])
  return new SwarmError('rpc-error', error.message)
}
