// The page's channels in IndexedDB (one database per page identity): written shortly after each
// change, read back on load so a reload shows them at once, bounded by channel-keep.ts.

import { evictions, type KeptChannel } from './channel-keep.ts'

const STORE = 'channels'
const WRITE_DELAY_MS = 150

export class PageStore {
  private readonly db: IDBDatabase
  private readonly pending = new Map<string, () => KeptChannel>()
  private timer?: ReturnType<typeof setTimeout>
  private writing: Promise<void> = Promise.resolve()

  private constructor (db: IDBDatabase) { this.db = db }

  /** Opens the store of one page identity; undefined where the browser has no IndexedDB. */
  static async open (name: string, idb: IDBFactory | undefined = globalThis.indexedDB): Promise<PageStore | undefined> {
    if (idb == null) return undefined
    const req = idb.open(`swarmd-channels:${name}`, 1)
    req.onupgradeneeded = () => { req.result.createObjectStore(STORE, { keyPath: 'id' }) }
    return new PageStore(await request<IDBDatabase>(req))
  }

  /** Every kept channel, after deleting those the bounds let go. */
  async load (now = Date.now()): Promise<KeptChannel[]> {
    const all = await request<KeptChannel[]>(this.db.transaction(STORE, 'readonly').objectStore(STORE).getAll())
    const gone = new Set(evictions(all, now))
    if (gone.size > 0) await this.remove([...gone])
    return all.filter((c) => !gone.has(c.id))
  }

  /** Writes a channel soon (the latest snapshot wins; bursts of envelopes make one write). */
  save (id: string, snapshot: () => KeptChannel): void {
    this.pending.set(id, snapshot)
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush() }, WRITE_DELAY_MS)
  }

  /** Writes what is pending now, then applies the bounds. */
  async flush (): Promise<void> {
    const batch = [...this.pending.values()].map((f) => f())
    this.pending.clear()
    this.writing = this.writing.then(async () => {
      if (batch.length > 0) {
        const tx = this.db.transaction(STORE, 'readwrite')
        for (const c of batch) tx.objectStore(STORE).put(c)
        await done(tx)
      }
      const all = await request<Array<Pick<KeptChannel, 'id' | 'deadline' | 'finished' | 'receivedAt'>>>(this.db.transaction(STORE, 'readonly').objectStore(STORE).getAll())
      const gone = evictions(all, Date.now())
      if (gone.length > 0) await this.remove(gone)
    }).catch((err) => { console.warn('swarm: could not keep channels', err) })
    await this.writing
  }

  private async remove (ids: string[]): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite')
    for (const id of ids) tx.objectStore(STORE).delete(id)
    await done(tx)
  }

  close (): void {
    clearTimeout(this.timer)
    this.db.close()
  }
}

function request<T> (req: IDBRequest<any>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => { resolve(req.result) }
    req.onerror = () => { reject(req.error ?? new Error('indexedDB request failed')) }
  })
}

function done (tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => { resolve() }
    tx.onerror = () => { reject(tx.error ?? new Error('indexedDB transaction failed')) }
    tx.onabort = () => { reject(tx.error ?? new Error('indexedDB transaction aborted')) }
  })
}
