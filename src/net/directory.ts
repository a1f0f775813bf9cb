// Who is out there: the latest unexpired capability advert per node, kept by the tasks service
// (which publishes and receives adverts) and read by the parts that pick peers — task
// delegation, consensus voters, sub-question routing.

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
  sequence: number
  /** ms since epoch */
  expiresAt: number
  /** The signed advert as received. */
  advert: Record<string, unknown>
}

export class PeerDirectory {
  private readonly entries = new Map<string, DirectoryEntry>()
  private readonly now: () => number

  constructor (now: () => number = Date.now) { this.now = now }

  /** Keeps the newest advert per node (higher sequence, or later expiry on a tie). */
  upsert (entry: DirectoryEntry): boolean {
    const old = this.entries.get(entry.nodeId)
    if (old !== undefined && (old.sequence > entry.sequence || (old.sequence === entry.sequence && old.expiresAt >= entry.expiresAt))) return false
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
}
