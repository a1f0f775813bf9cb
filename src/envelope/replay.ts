// Bounded memory of envelope ids already accepted, each with a fingerprint of its content, so
// the same id with the same content is a duplicate and with other content a replay.

/** A Map used as an LRU: insertion order is recency; a hit moves the entry to the end. */
export class LruMap<K, V> {
  readonly limit: number
  private readonly map = new Map<K, V>()

  constructor (limit: number) {
    if (!(limit >= 1)) throw new RangeError('LRU limit must be at least 1')
    this.limit = limit
  }

  get size (): number { return this.map.size }

  get (key: K): V | undefined {
    const value = this.map.get(key)
    if (value !== undefined) {
      this.map.delete(key)
      this.map.set(key, value)
    }
    return value
  }

  has (key: K): boolean { return this.map.has(key) }

  set (key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K)
  }

  delete (key: K): boolean { return this.map.delete(key) }

  clear (): void { this.map.clear() }
}

export type ReplayCheck = 'new' | 'duplicate' | 'replay'

/**
 * The fingerprint is the signature text plus the key: Ed25519 is deterministic, so one key signs
 * one content one way, and a verified signature stands for its content.
 */
export class ReplayCache {
  private readonly seen: LruMap<string, string>

  constructor (limit = 100_000) {
    this.seen = new LruMap(limit)
  }

  get size (): number { return this.seen.size }

  check (id: string, fingerprint: string): ReplayCheck {
    const prior = this.seen.get(id)
    if (prior === undefined) return 'new'
    return prior === fingerprint ? 'duplicate' : 'replay'
  }

  remember (id: string, fingerprint: string): void {
    this.seen.set(id, fingerprint)
  }

  forget (id: string): boolean {
    return this.seen.delete(id)
  }

  clear (): void { this.seen.clear() }
}
