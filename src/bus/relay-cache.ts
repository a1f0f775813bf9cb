// What a node relays but does not keep: the channel envelopes of questions it is not a member of
// pass through it on the scope topic. It remembers the latest of them in memory (never on disk),
// bounded per channel and in channels, so a member whose only neighbours are relays can still
// fill its log's gaps and backfill after a restart through them (docs/channel-log.md). Private
// channels are sealed to their members and are not cached.

/** Envelopes remembered per channel, and channels remembered (least recently added dropped first). */
export const RELAY_CACHE_PER_CHANNEL = 512
export const RELAY_CACHE_CHANNELS = 256
/**
 * Characters of envelope text remembered in all (~32 MB as UTF-16): the counts alone allowed
 * 256 × 512 envelopes of up to 64 KiB each, which a stranger's signed junk on a busy topic could
 * fill. Past it, the oldest envelopes of the least recently added channel go first.
 */
export const RELAY_CACHE_CHARS = 16 * 1024 * 1024

export class RelayCache {
  private readonly channels = new Map<string, Map<string, string>>()
  private readonly perChannel: number
  private readonly maxChannels: number
  private readonly maxChars: number
  private chars = 0

  constructor (perChannel = RELAY_CACHE_PER_CHANNEL, maxChannels = RELAY_CACHE_CHANNELS, maxChars = RELAY_CACHE_CHARS) {
    this.perChannel = perChannel
    this.maxChannels = maxChannels
    this.maxChars = maxChars
  }

  /** Characters of envelope text held now. */
  get size (): number { return this.chars }

  add (qid: string, id: string, wire: string): void {
    if (wire.length > this.maxChars) return
    let ch = this.channels.get(qid)
    if (ch === undefined) {
      if (this.channels.size >= this.maxChannels) this.forget(this.channels.keys().next().value as string)
      ch = new Map()
    } else {
      this.channels.delete(qid)
    }
    this.channels.set(qid, ch)
    if (ch.has(id)) return
    if (ch.size >= this.perChannel) this.dropOldest(ch)
    ch.set(id, wire)
    this.chars += wire.length
    while (this.chars > this.maxChars) {
      const [oldestQid, oldest] = this.channels.entries().next().value as [string, Map<string, string>]
      this.dropOldest(oldest)
      if (oldest.size === 0) this.channels.delete(oldestQid)
    }
  }

  private dropOldest (ch: Map<string, string>): void {
    const first = ch.entries().next().value as [string, string] | undefined
    if (first === undefined) return
    ch.delete(first[0])
    this.chars -= first[1].length
  }

  forget (qid: string): void {
    const ch = this.channels.get(qid)
    if (ch === undefined) return
    for (const wire of ch.values()) this.chars -= wire.length
    this.channels.delete(qid)
  }

  /** The cached envelopes among `ids`. */
  byIds (qid: string, ids: readonly string[]): string[] {
    const ch = this.channels.get(qid)
    if (ch === undefined) return []
    return ids.map((id) => ch.get(id)).filter((w): w is string => w !== undefined)
  }

  /** A page after `afterId` in the order they passed (from the start when unknown), as the store's pageAfterId. */
  pageAfterId (qid: string, afterId: string | undefined, limit: number): { envelopes: string[], next: string | null } {
    const ch = this.channels.get(qid)
    if (ch === undefined) return { envelopes: [], next: null }
    const all = [...ch]
    const at = afterId === undefined ? -1 : all.findIndex(([id]) => id === afterId)
    const rest = all.slice(at + 1)
    const page = rest.slice(0, limit)
    return { envelopes: page.map(([, w]) => w), next: rest.length > limit ? page[page.length - 1][0] : null }
  }
}
