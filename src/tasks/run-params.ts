// What `task.run` takes from the control socket: its schema is in the control methods' table.

import { parseParams } from '../control/methods/index.ts'
import type { Attachment } from '../envelope/index.ts'

export interface RunTaskParams {
  type: string
  data?: Record<string, unknown>
  /** A peer id or node id: only that peer is asked, whatever its advert says. */
  peer?: string
  /** Time limit per attempt (default tasks.timeoutSec). */
  timeoutSec?: number
  /** Only peers whose advert declares this isolation class (`bwrap`, `wasm`, `none`); the receipt must say it too. */
  requireIsolation?: string
  /** Files the request names by content id (blob.put gives them; docs/attachments.md). */
  attachments?: Attachment[]
}

/** `task.run` params from the control socket, parsed by the method's one schema (src/control/methods/table.ts). */
export function parseRunParams (p: unknown): RunTaskParams {
  const r = parseParams('task.run', p)
  return {
    type: r.type,
    data: r.data,
    peer: r.peer,
    timeoutSec: r.timeoutSec,
    ...(r.requireIsolation === undefined ? {} : { requireIsolation: r.requireIsolation }),
    ...(r.attachments === undefined ? {} : { attachments: r.attachments })
  }
}
