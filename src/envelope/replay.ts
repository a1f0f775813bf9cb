// Bounded memory of envelopes already accepted, by (sender key, id), each with its signature, so
// the same id signed the same way is a duplicate and signed differently by the same key is
// equivocation.

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

  /** Keys from the least to the most recently used. */
  keys (): IterableIterator<K> { return this.map.keys() }

  set (key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K)
  }

  delete (key: K): boolean { return this.map.delete(key) }

  clear (): void { this.map.clear() }
}

/** The cache key of one sender's id. A fresh concatenation is flattened and hashed on each map
 *  lookup, so the validator builds it once per envelope for its three lookups. */
export function replaySlot (pubkey: string, id: string): string {
  return `${pubkey} ${id}`
}

/** `conflict`: the same sender already signed this id differently (equivocation, once verified). */
export type ReplayCheck = 'new' | 'duplicate' | 'conflict'

/**
 * Keyed by (sender key, id) so that nobody can take another sender's id, and consulted before
 * the signature is checked: a copy whose signature matches the remembered one is a duplicate and
 * costs no verify. The fingerprint is the signature text (strict base64url, one spelling per
 * signature): Ed25519 is deterministic, so one key signs one content one way, and a second valid
 * signature over the same id can only come from the key's holder.
 */
export class ReplayCache {
  private readonly seen: LruMap<string, string>
  /** id → the sender last remembered for it, so forget(id) works without the key. */
  private readonly senders: LruMap<string, string>

  constructor (limit = 100_000) {
    this.seen = new LruMap(limit)
    this.senders = new LruMap(limit)
  }

  get size (): number { return this.seen.size }

  /** `slot` is replaySlot(pubkey, id), which a caller that checks and then remembers builds once. */
  check (pubkey: string, id: string, signature: string, slot = replaySlot(pubkey, id)): ReplayCheck {
    const prior = this.seen.get(slot)
    if (prior === undefined) return 'new'
    return prior === signature ? 'duplicate' : 'conflict'
  }

  remember (pubkey: string, id: string, signature: string, slot = replaySlot(pubkey, id)): void {
    this.seen.set(slot, signature)
    this.senders.set(id, pubkey)
  }

  forget (id: string, pubkey?: string): boolean {
    const key = pubkey ?? this.senders.get(id)
    if (key === undefined) return false
    if (this.senders.get(id) === key) this.senders.delete(id)
    return this.seen.delete(replaySlot(key, id))
  }

  clear (): void { this.seen.clear(); this.senders.clear() }
}
