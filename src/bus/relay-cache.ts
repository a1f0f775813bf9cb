// What a node relays but does not keep: the channel envelopes of questions it is not a member of
// pass through it on the scope topic. It remembers the latest of them in memory (never on disk),
// bounded per channel and in channels, so a member whose only neighbours are relays can still
// fill its log's gaps and backfill after a restart through them (docs/channel-log.md). Private
// channels are sealed to their members and are not cached.

/** Envelopes remembered per channel, and channels remembered (least recently added dropped first). */
export const RELAY_CACHE_PER_CHANNEL = 512
export const RELAY_CACHE_CHANNELS = 256

export class RelayCache {
  private readonly channels = new Map<string, Map<string, string>>()
  private readonly perChannel: number
  private readonly maxChannels: number

  constructor (perChannel = RELAY_CACHE_PER_CHANNEL, maxChannels = RELAY_CACHE_CHANNELS) {
    this.perChannel = perChannel
    this.maxChannels = maxChannels
  }

  add (qid: string, id: string, wire: string): void {
    let ch = this.channels.get(qid)
    if (ch === undefined) {
      if (this.channels.size >= this.maxChannels) this.channels.delete(this.channels.keys().next().value as string)
      ch = new Map()
    } else {
      this.channels.delete(qid)
    }
    this.channels.set(qid, ch)
    if (ch.has(id)) return
    if (ch.size >= this.perChannel) ch.delete(ch.keys().next().value as string)
    ch.set(id, wire)
  }

  forget (qid: string): void { this.channels.delete(qid) }

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
