// `--attach FILE`: the daemon imports each file into its attachment store (it runs as the same
// user, so it reads the path itself instead of the bytes crossing the socket) and answers with
// the {cid, size, media-type, name} the envelope then carries.

import { resolve } from 'node:path'
import type { ControlClient } from '../control/client.ts'

export interface AttachmentRef { cid: string, size: number, 'media-type': string, name?: string }

export async function prepareAttachments (client: ControlClient, files: string[] | undefined): Promise<AttachmentRef[] | undefined> {
  if (files === undefined || files.length === 0) return undefined
  const out: AttachmentRef[] = []
  // large files take a while to hash: no 30 s default here
  for (const f of files) out.push(await client.call('blob.put', { path: resolve(f) }, { timeoutMs: 10 * 60_000 }))
  return out
}

/** `  attachment bafk… 10485760 B text/plain report.txt` lines for human output. */
export function attachmentLines (list: unknown, indent = '  '): string[] {
  if (!Array.isArray(list)) return []
  return list.map((a: AttachmentRef) => `${indent}attachment ${a.cid} ${String(a.size)} B ${a['media-type']}${a.name !== undefined ? ` ${a.name}` : ''}`)
}
