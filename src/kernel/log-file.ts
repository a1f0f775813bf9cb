// daemon.log written asynchronously and rotated by size: daemon.log → .1 → … → .<files>, the
// oldest dropped. Lines queue in memory and one write at a time drains them (a burst becomes one
// write), so logging never blocks the event loop on the disk; rotation happens between writes.

import { appendFileSync, existsSync, statSync } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'

export interface LogFileInit {
  file: string
  maxBytes: number
  files: number
}

export class LogFile {
  private readonly init: LogFileInit
  private queue: string[] = []
  private size: number
  private handle?: FileHandle
  private draining?: Promise<void>
  private failed = false
  private closed = false

  constructor (init: LogFileInit) {
    this.init = init
    this.size = existsSync(init.file) ? statSync(init.file).size : 0
  }

  write (line: string): void {
    if (this.failed || this.closed) return
    this.queue.push(line)
    this.draining ??= this.drain().finally(() => { this.draining = undefined })
  }

  /** Resolves once everything written so far is on disk (tests, shutdown). */
  async flush (): Promise<void> {
    while (this.draining !== undefined) await this.draining
  }

  /** For a forced exit: append what is still queued, synchronously. */
  flushSync (): void {
    if (this.failed || this.queue.length === 0) return
    const text = this.queue.splice(0).join('')
    try { appendFileSync(this.init.file, text, { mode: 0o600 }) } catch {}
  }

  async close (): Promise<void> {
    await this.flush()
    this.closed = true
    await this.handle?.close().catch(() => {})
    this.handle = undefined
  }

  private async drain (): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const lines = this.queue.splice(0)
        let chunk = ''
        for (const line of lines) {
          const n = Buffer.byteLength(line)
          if (this.size > 0 && this.size + n > this.init.maxBytes) {
            if (chunk !== '') await this.append(chunk)
            chunk = ''
            await this.rotate()
          }
          chunk += line
          this.size += n
        }
        if (chunk !== '') await this.append(chunk)
      }
    } catch {
      // a full disk or a vanished home must not take the daemon down: stop writing
      this.failed = true
      this.queue = []
    }
  }

  private async append (text: string): Promise<void> {
    this.handle ??= await open(this.init.file, 'a', 0o600)
    await this.handle.write(text)
  }

  private async rotate (): Promise<void> {
    const { file, files } = this.init
    await this.handle?.close().catch(() => {})
    this.handle = undefined
    for (let i = files; i >= 1; i--) {
      const from = i === 1 ? file : `${file}.${i - 1}`
      const to = `${file}.${i}`
      if (i === files) await rm(to, { force: true })
      if (existsSync(from)) await rename(from, to)
    }
    this.size = 0
  }
}
