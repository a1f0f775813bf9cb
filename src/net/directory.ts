// Who is out there: the latest unexpired capability advert per node, kept by the tasks service
// (which publishes and receives adverts) and read by the parts that pick peers — task
// delegation, consensus voters, sub-question routing. Bounded: a flood of fresh keys evicts the
// entries heard from least recently, and honest nodes re-advertise every interval.

/** Entries kept at most by default. */
export const DIRECTORY_MAX_ENTRIES = 4096

export interface DirectoryEntry {
  nodeId: string
  peerId: string
  federation: string
  capabilities: string[]
  taskTypes: string[]
  models: string[]
  languages: string[]
  queueLength: number
  running: number
  /** The python executor's isolation class (`bwrap`, `wasm`, `none`), when declared. */
  isolation?: string
  sequence: number
  /** ms since epoch */
  expiresAt: number
  /** The signed advert as received. */
  advert: Record<string, unknown>
}

export class PeerDirectory {
  private readonly entries = new Map<string, DirectoryEntry>()
  private readonly now: () => number
  private readonly maxEntries: number
  /** Entries dropped to stay within maxEntries (a flood of adverts shows here). */
  evicted = 0

  constructor (now: () => number = Date.now, maxEntries = DIRECTORY_MAX_ENTRIES) {
    this.now = now
    this.maxEntries = maxEntries
  }

  /** Keeps the newest advert per node (higher sequence, or later expiry on a tie). */
  upsert (entry: DirectoryEntry): boolean {
    const old = this.entries.get(entry.nodeId)
    if (old !== undefined && (old.sequence > entry.sequence || (old.sequence === entry.sequence && old.expiresAt >= entry.expiresAt))) return false
    // Re-inserted at the end: Map order is then least recently heard first.
    this.entries.delete(entry.nodeId)
    if (this.entries.size >= this.maxEntries) this.evict()
    this.entries.set(entry.nodeId, entry)
    return true
  }

  get (nodeId: string): DirectoryEntry | undefined {
    const e = this.entries.get(nodeId)
    if (e === undefined) return undefined
    if (e.expiresAt <= this.now()) { this.entries.delete(nodeId); return undefined }
    return e
  }

  byPeer (peerId: string): DirectoryEntry | undefined {
    for (const e of this.list()) if (e.peerId === peerId) return e
    return undefined
  }

  /** Unexpired entries, optionally of one federation. */
  list (filter: { federation?: string } = {}): DirectoryEntry[] {
    const now = this.now()
    const out: DirectoryEntry[] = []
    for (const [id, e] of this.entries) {
      if (e.expiresAt <= now) { this.entries.delete(id); continue }
      if (filter.federation === undefined || e.federation === filter.federation) out.push(e)
    }
    return out
  }

  remove (nodeId: string): void { this.entries.delete(nodeId) }

  get size (): number { return this.entries.size }

  get max (): number { return this.maxEntries }

  /** Drops the expired entries, else the one heard from least recently. */
  private evict (): void {
    const now = this.now()
    for (const [id, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(id)
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.entries.delete(oldest.value)
      this.evicted++
    }
  }
}
