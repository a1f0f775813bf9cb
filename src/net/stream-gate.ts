// The stream gate: every inbound stream of a gated protocol (tasks, consensus, knowledge,
// delivery, history) passes the admission before its handler runs, whichever part registered
// it. It wraps `libp2p.handle` once, before the services start. (libp2p 3's own `use()`
// middleware is not used: its registrar hands out the stored middleware array and the
// connection pushes the handler onto it for every inbound stream, so handlers would pile up.)
//
// A refused stream gets one length-prefixed frame, `{"status":"refused","reason":R,"detail":…}`
// (the consensus protocol's refusal shape), and is closed; the handler never sees it.

import { lpStream } from '@libp2p/utils'
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'

export type StreamVerdict = { ok: true } | { ok: false, action: 'reject' | 'ignore', reason: string, detail?: string }

export interface StreamGateInit {
  /** Protocols that pass the gate; all others are handled untouched. */
  protocols: ReadonlySet<string>
  judge: (protocol: string, peer: PeerId) => StreamVerdict
  onRefused?: (protocol: string, peer: PeerId, verdict: Exclude<StreamVerdict, { ok: true }>) => void
}

interface Handles {
  handle: (protocol: string | string[], handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
}

const encoder = new TextEncoder()

export function gateInboundStreams (libp2p: Handles, init: StreamGateInit): void {
  const original = libp2p.handle.bind(libp2p)
  libp2p.handle = async (protocol, handler, options) => {
    const list = Array.isArray(protocol) ? protocol : [protocol]
    if (!list.some((p) => init.protocols.has(p))) return await original(protocol, handler, options)
    const gated: StreamHandler = async (stream: Stream, connection: Connection) => {
      const p = stream.protocol ?? list[0]
      if (init.protocols.has(p)) {
        const v = init.judge(p, connection.remotePeer)
        if (!v.ok) {
          init.onRefused?.(p, connection.remotePeer, v)
          await refuse(stream, v)
          return
        }
      }
      await handler(stream, connection)
    }
    return await original(protocol, gated, options)
  }
}

async function refuse (stream: Stream, v: { reason: string, detail?: string }): Promise<void> {
  const signal = AbortSignal.timeout(2000)
  try {
    const lp = lpStream(stream)
    await lp.write(encoder.encode(JSON.stringify({ status: 'refused', reason: v.reason, detail: v.detail })), { signal })
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}
