// Reads daemon.log: the last N lines, then (with follow) new lines as they are appended,
// surviving rotation (the file is renamed to daemon.log.1 and a new one begins).

import { open, stat } from 'node:fs/promises'
import { SwarmError } from '../errors.ts'

export interface ReadLogOptions {
  lines: number
  follow: boolean
  signal: AbortSignal
  onLine: (line: string) => void
}

export async function readLog (file: string, opts: ReadLogOptions): Promise<void> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    if (!opts.follow) throw new SwarmError('no-log', `no log at ${file} (has the daemon run on this home?)`)
    size = 0
  }
  let offset = await printTail(file, size, opts)
  if (!opts.follow) return
  let partial = ''
  while (!opts.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    let now: number
    try { now = (await stat(file)).size } catch { continue }
    if (now < offset) { offset = 0; partial = '' } // rotated
    if (now === offset) continue
    const fh = await open(file, 'r')
    try {
      const buf = Buffer.alloc(now - offset)
      await fh.read(buf, 0, buf.length, offset)
      offset = now
      const text = partial + buf.toString('utf8')
      const parts = text.split('\n')
      partial = parts.pop() ?? ''
      for (const l of parts) if (l !== '') opts.onLine(l)
    } finally {
      await fh.close()
    }
  }
}

async function printTail (file: string, size: number, opts: ReadLogOptions): Promise<number> {
  if (size === 0 || opts.lines === 0) return size
  const fh = await open(file, 'r')
  try {
    // Read backwards in chunks until we have enough lines.
    let pos = size
    let text = ''
    while (pos > 0 && text.split('\n').length <= opts.lines + 1) {
      const n = Math.min(64 * 1024, pos)
      pos -= n
      const buf = Buffer.alloc(n)
      await fh.read(buf, 0, n, pos)
      text = buf.toString('utf8') + text
    }
    const lines = text.split('\n').filter((l) => l !== '')
    for (const l of lines.slice(-opts.lines)) opts.onLine(l)
    return size
  } finally {
    await fh.close()
  }
}
