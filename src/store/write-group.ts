// Grouped LevelDB writes: puts and deletes made in one turn of the event loop (a burst of gossip
// delivered in one read) go to disk as one batch, with one fsync when any of them asked for it.
// A put per message cost one native call and one threadpool job each (a profile of a 3,000
// question burst put `classic-level` `_put` at ~0.3 ms of main-thread time per question); a
// group costs one. Each caller's promise resolves when the batch holding its write is written
// (synced if it asked), so an acknowledged write is exactly as durable as before.

import type { Bucket } from './db.ts'

type Op = { type: 'put', sublevel: Bucket, key: string, value: unknown } | { type: 'del', sublevel: Bucket, key: string }

interface Group {
  ops: Op[]
  sync: boolean
  done: PromiseWithResolvers<void>
}

/** Writes to a batch cap: a group this long is flushed at once instead of waiting for the tick. */
const MAX_GROUP = 1024

export class WriteGroup {
  private current: Group | undefined
  /** The batch being written: the next group waits for it, so groups reach disk in order. */
  private writing: Promise<void> = Promise.resolve()

  async put (bucket: Bucket, key: string, value: unknown, sync = false): Promise<void> {
    await this.add({ type: 'put', sublevel: bucket, key, value }, sync)
  }

  async del (bucket: Bucket, key: string, sync = false): Promise<void> {
    await this.add({ type: 'del', sublevel: bucket, key }, sync)
  }

  /** Resolves once every write queued so far is on disk (reads that must see them wait for this). */
  async flush (): Promise<void> {
    if (this.current !== undefined) this.write()
    await this.writing
  }

  private async add (op: Op, sync: boolean): Promise<void> {
    let g = this.current
    if (g === undefined) {
      g = { ops: [], sync: false, done: Promise.withResolvers<void>() }
      this.current = g
      // after the I/O callbacks of this turn: everything a burst read delivers joins the group
      setImmediate(() => { if (this.current === g) this.write() })
    }
    g.ops.push(op)
    if (sync) g.sync = true
    if (g.ops.length >= MAX_GROUP) this.write()
    await g.done.promise
  }

  private write (): void {
    const g = this.current
    if (g === undefined) return
    this.current = undefined
    const db = g.ops[0].sublevel.db
    this.writing = this.writing.then(async () => {
      try {
        // classic-level honours `sync` though abstract-level's option type does not list it
        await db.batch(g.ops as any, (g.sync ? { sync: true } : {}) as object)
        g.done.resolve()
      } catch (err) {
        g.done.reject(err)
      }
    })
  }
}
