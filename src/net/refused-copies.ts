// A copy refused unjudged leaves no trace. Gossipsub marks a message's id seen (and its fast id
// cached) before any validator runs, so a copy the flood gate refuses before judging it (its
// relaying peer over its pace, or caught flooding) made every later copy of the same message a
// duplicate, whoever relayed it: the message was lost at this node for good. A hostile peer could
// censor an honest question that way, relaying it ahead of its author while over its own pace;
// test/adversarial/flood.test.ts lost the first honest question asked during a flood at every
// node this way, in 2 of about 55 runs on a loaded machine (the flooder, a gossipsub router,
// relayed it). So such a copy is forgotten again: its id leaves the seen cache and its fast id
// the fast-id cache, and the next copy (the author's own, or an honest relay's) is judged on its
// own merits. A copy that was judged (rejected, ignored for what it says) stays seen.
//
// This reaches into two gossipsub fields that are not its public API (`seenCache`,
// `fastMsgIdCache`, both `SimpleTimeCache`s over a `Map` named `entries`). `attach` checks they
// are there; test/unit/net/refused-copies.test.ts runs against the real gossipsub, so an upgrade
// that renames them fails the suite instead of silently bringing the censorship back.

/** The part of a `SimpleTimeCache` this needs. */
interface TimeCache { entries: Map<string, unknown> }

interface GossipsubCaches {
  seenCache?: TimeCache
  fastMsgIdCache?: TimeCache
  msgIdToStrFn?: (id: Uint8Array) => string
}

export class RefusedCopies {
  /** The id msgIdFn computed for each message's bytes, until they are collected. */
  private readonly ids = new WeakMap<Uint8Array, Uint8Array>()
  private caches?: Required<Pick<GossipsubCaches, 'seenCache' | 'msgIdToStrFn'>> & Pick<GossipsubCaches, 'fastMsgIdCache'>
  private readonly fastId: (topic: string, data: Uint8Array) => string

  /** `fastId`: the fast-id function gossipsub runs (src/net/node.ts fastMsgId). */
  constructor (fastId: (topic: string, data: Uint8Array) => string) {
    this.fastId = fastId
  }

  /** Wraps gossipsub's msgIdFn: each id is remembered by the bytes it was computed from. */
  msgIdFn<M extends { data?: Uint8Array }> (fn: (msg: M) => Uint8Array): (msg: M) => Uint8Array {
    return (msg) => {
      const id = fn(msg)
      if (msg.data !== undefined) this.ids.set(msg.data, id)
      return id
    }
  }

  /** Finds the caches on a gossipsub instance; false (and nothing is ever forgotten) if they are not there. */
  attach (pubsub: unknown): boolean {
    const p = pubsub as GossipsubCaches
    if (!(p.seenCache?.entries instanceof Map) || typeof p.msgIdToStrFn !== 'function') return false
    this.caches = { seenCache: p.seenCache, msgIdToStrFn: p.msgIdToStrFn.bind(pubsub), fastMsgIdCache: p.fastMsgIdCache?.entries instanceof Map ? p.fastMsgIdCache : undefined }
    return true
  }

  /** One copy of `data` on `topic` was refused without being judged: let the next copy through (true when forgotten). */
  forget (topic: string, data: Uint8Array): boolean {
    const c = this.caches
    if (c === undefined) return false
    const id = this.ids.get(data)
    if (id === undefined) return false
    // deleting keeps the caches' insertion order, which their pruning relies on
    c.seenCache.entries.delete(c.msgIdToStrFn(id))
    c.fastMsgIdCache?.entries.delete(this.fastId(topic, data))
    return true
  }
}
