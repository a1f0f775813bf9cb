// What `task.run` takes from the control socket, checked: the one place its parameters are read.

import { UsageError } from '../errors.ts'
import { attachments as attachmentsSchema, type Attachment } from '../envelope/index.ts'

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

/** Checks `task.run` params from the control socket. */
export function parseRunParams (p: Record<string, unknown>): RunTaskParams {
  if (typeof p.type !== 'string' || p.type === '' || p.type.length > 256) throw new UsageError('task.run needs a task type')
  if (p.data !== undefined && (p.data === null || typeof p.data !== 'object' || Array.isArray(p.data))) throw new UsageError('task data must be a JSON object')
  if (p.peer !== undefined && (typeof p.peer !== 'string' || p.peer === '')) throw new UsageError('peer must be a peer id or node id')
  if (p.timeoutSec !== undefined && (typeof p.timeoutSec !== 'number' || !(p.timeoutSec > 0) || p.timeoutSec > 3600)) throw new UsageError('timeoutSec must be a number from 0 to 3600')
  if (p.requireIsolation !== undefined && (typeof p.requireIsolation !== 'string' || !/^[a-z0-9-]{1,32}$/.test(p.requireIsolation))) throw new UsageError('requireIsolation must be an isolation class such as bwrap, wasm or none')
  let attachments: Attachment[] | undefined
  if (p.attachments !== undefined && p.attachments !== null && !(Array.isArray(p.attachments) && p.attachments.length === 0)) {
    const r = attachmentsSchema.safeParse(p.attachments)
    if (!r.success) throw new UsageError('attachments must be a list of {cid, size, media-type, name?}')
    attachments = r.data
  }
  return {
    type: p.type,
    data: p.data as Record<string, unknown> | undefined,
    peer: p.peer as string | undefined,
    timeoutSec: p.timeoutSec as number | undefined,
    ...(p.requireIsolation === undefined ? {} : { requireIsolation: p.requireIsolation as string }),
    ...(attachments === undefined ? {} : { attachments })
  }
}
