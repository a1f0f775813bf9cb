// A bounded queue that is fair between senders: one FIFO per sender, served round-robin, at most
// `maxPerKey` waiting per sender and `maxTotal` in all. When full, the newcomer may push out the
// newest item of the longest queue (a flooding sender loses its own backlog, not someone
// else's turn); it is refused when its own queue would then be the longest. Each remote question
// may be a paid model call, so what waits must be bounded and no sender may crowd out the rest.

export type PushResult = 'queued' | 'sender-full' | 'full'

export interface FairQueueInit {
  maxTotal: number
  maxPerKey: number
}

export class FairQueue<T> {
  private readonly queues = new Map<string, T[]>()
  private readonly maxTotal: number
  private readonly maxPerKey: number
  private total = 0
  /** Items pushed out to make room for another sender (their owners' newest). */
  evicted = 0

  constructor (init: FairQueueInit) {
    if (!(init.maxTotal >= 1) || !(init.maxPerKey >= 1)) throw new RangeError('FairQueue needs maxTotal and maxPerKey of at least 1')
    this.maxTotal = init.maxTotal
    this.maxPerKey = init.maxPerKey
  }

  get size (): number { return this.total }
  get senders (): number { return this.queues.size }

  /** Queues `item` for `key`; the dropped item, if one was pushed out, goes to `onEvict`. */
  push (key: string, item: T, onEvict?: (item: T, key: string) => void): PushResult {
    const own = this.queues.get(key)
    const mine = own?.length ?? 0
    if (mine >= this.maxPerKey) return 'sender-full'
    if (this.total >= this.maxTotal) {
      const [longestKey, longest] = this.longest()
      if (longest === undefined || longest.length <= mine + 1) return 'full'
      const dropped = longest.pop() as T
      this.total--
      this.evicted++
      if (longest.length === 0) this.queues.delete(longestKey)
      onEvict?.(dropped, longestKey)
    }
    if (own === undefined) this.queues.set(key, [item])
    else own.push(item)
    this.total++
    return 'queued'
  }

  /** The next item, taking senders in turn (a sender served goes to the back). */
  shift (): T | undefined {
    const first = this.queues.entries().next()
    if (first.done === true) return undefined
    const [key, q] = first.value
    const item = q.shift() as T
    this.total--
    this.queues.delete(key)
    if (q.length > 0) this.queues.set(key, q)
    return item
  }

  clear (): void { this.queues.clear(); this.total = 0 }

  private longest (): [string, T[] | undefined] {
    let best: [string, T[] | undefined] = ['', undefined]
    for (const [k, q] of this.queues) if (best[1] === undefined || q.length > best[1].length) best = [k, q]
    return best
  }
}
