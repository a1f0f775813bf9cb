// A bounded redial with backoff. Setting up a WebRTC connection through a relay fails now and
// then in @libp2p/webrtc (signalling stream reset, ICE racing the data channel); a few
// spaced-out attempts cover it without hiding a real failure.
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { pause } from '../kernel/pause.ts'

export interface RedialOptions {
  /** @default 4 */
  attempts?: number
  /** First pause; doubled after each failure. @default 300 */
  baseDelayMs?: number
  /** Per attempt. @default 10_000 */
  timeoutMs?: number
  /** Reject a connection that is still relayed (limited) and try again. @default false */
  requireDirect?: boolean
  signal?: AbortSignal
}

export interface RedialResult {
  connection: Connection
  attempts: number
  /** Why the earlier attempts failed, for logs and stats. */
  failures: string[]
}

export class RedialFailedError extends Error {
  readonly name = 'RedialFailedError'
  readonly code = 'redial-failed'
}

/** True when a connection does not go through a relay (no limits, no /p2p-circuit hop). */
export function isDirect (connection: Connection): boolean {
  return connection.limits == null && !connection.remoteAddr.toString().includes('/p2p-circuit/p2p/')
}

export async function dialWithRetry (node: Libp2p<any>, addr: string | Multiaddr, options: RedialOptions = {}): Promise<RedialResult> {
  const ma = typeof addr === 'string' ? multiaddr(addr) : addr
  const attempts = options.attempts ?? 4
  let delay = options.baseDelayMs ?? 300
  let lastError: unknown
  const failures: string[] = []
  for (let attempt = 1; attempt <= attempts; attempt++) {
    options.signal?.throwIfAborted()
    try {
      const signal = anySignal(AbortSignal.timeout(options.timeoutMs ?? 10_000), options.signal)
      const connection = await node.dial(ma, { signal })
      if (options.requireDirect === true) {
        if (!isDirect(connection)) throw new Error(`connection to ${ma.toString()} is relayed: ${connection.remoteAddr.toString()}`)
        // the relayed connection that carried the WebRTC signalling is no longer needed (it may
        // have no limits: the daemon's relay server does not apply the default ones)
        for (const other of node.getConnections(connection.remotePeer)) {
          if (other !== connection && !isDirect(other)) other.close().catch(() => {})
        }
      }
      return { connection, attempts: attempt, failures }
    } catch (err) {
      lastError = err
      failures.push(`${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`)
      if (attempt === attempts) break
      await pause(delay + Math.floor(Math.random() * delay / 2), options.signal)
      options.signal?.throwIfAborted()
      delay *= 2
    }
  }
  throw new RedialFailedError(`dial ${ma.toString()} failed after ${attempts} attempts: ${String((lastError as Error)?.message ?? lastError)}`, { cause: lastError })
}

function anySignal (a: AbortSignal, b?: AbortSignal): AbortSignal {
  return b == null ? a : AbortSignal.any([a, b])
}

