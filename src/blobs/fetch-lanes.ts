// Which of the attachment fetches other nodes' envelopes trigger (a channel member fetching what
// a question names) run now. They wait in lanes, one per envelope sender, and the senders take
// turns, the one with the fewest running first: at most `active` run at once and
// `activePerLane` of one sender's, at most `waitingPerLane` of one sender's wait and `waiting` in
// all; more are refused `busy`. So a burst of envelopes naming many attachments never opens a
// stream per name at once (libp2p takes at most 32 streams of one protocol per connection, a
// holder only its per-peer stream rate), and a sender naming attachments that crawl in (or never
// come) holds two slots, not all of them. The operator's and tasks' fetches have a queue of their
// own (src/blobs/fetch.ts) and promote a fetch of the same id waiting here: it starts at once.

import { SwarmError } from '../errors.ts'
import { BlobError } from './errors.ts'

export interface FetchLaneLimits { active: number, activePerLane: number, waiting: number, waitingPerLane: number }

export const FETCH_LANE_LIMITS: FetchLaneLimits = { active: 8, activePerLane: 2, waiting: 512, waitingPerLane: 32 }

export interface FetchTicket {
  /** Resolves when the fetch may start; rejects `aborted` if its signal aborts first. */
  started: Promise<void>
  /** Starts a waiting fetch now (the operator asked for it). */
  promote: () => void
  /** The fetch ended (or never started): its slot goes to the next. */
  release: () => void
}

interface Waiter { lane: string, start: () => void, fail: (err: Error) => void }

export class FetchLanes {
  private readonly limits: FetchLaneLimits
  /** Waiting fetches per lane; the Map's order is the senders' turn order. */
  private readonly waiting = new Map<string, Waiter[]>()
  private readonly activeIn = new Map<string, number>()
  private waitingTotal = 0
  private activeTotal = 0

  constructor (limits: Partial<FetchLaneLimits> = {}) {
    this.limits = { ...FETCH_LANE_LIMITS, ...limits }
  }

  stats (): { active: number, waiting: number, lanes: number } {
    return { active: this.activeTotal, waiting: this.waitingTotal, lanes: this.waiting.size }
  }

  /** A place for one fetch in `lane`; throws `busy` when its lane or all are full. */
  enter (lane: string, signal?: AbortSignal): FetchTicket {
    signal?.throwIfAborted()
    let state: 'waiting' | 'running' | 'direct' | 'done' = 'waiting'
    const { promise: started, resolve, reject } = Promise.withResolvers<void>()
    // a ticket's own slot in the lane counts: running ones are released once, promoted ones never
    const run = (): void => { state = 'running'; this.activeTotal++; this.activeIn.set(lane, (this.activeIn.get(lane) ?? 0) + 1); resolve() }
    const w: Waiter = { lane, start: run, fail: reject }
    const onAbort = (): void => { if (this.unqueue(w)) { state = 'done'; reject(new SwarmError('aborted', 'the fetch was cancelled while queued')) } }
    const queue = this.waiting.get(lane) ?? []
    if (queue.length >= this.limits.waitingPerLane) throw new BlobError('busy', `too many attachment fetches waiting (${this.waitingTotal}; ${queue.length} named by this sender)`)
    if (this.waitingTotal >= this.limits.waiting && !this.bumpLongest(queue.length)) {
      throw new BlobError('busy', `too many attachment fetches waiting (${this.waitingTotal})`)
    }
    queue.push(w)
    this.waiting.set(lane, queue)
    this.waitingTotal++
    signal?.addEventListener('abort', onAbort, { once: true })
    started.then(() => { signal?.removeEventListener('abort', onAbort) }, () => {})
    this.dispatch()
    return {
      started,
      promote: () => { if (state === 'waiting' && this.unqueue(w)) { state = 'direct'; resolve() } },
      release: () => {
        if (state !== 'running') { if (state === 'waiting' && this.unqueue(w)) reject(new SwarmError('aborted', 'the fetch ended before it started')); state = 'done'; return }
        state = 'done'
        this.activeTotal--
        const n = (this.activeIn.get(lane) ?? 1) - 1
        if (n === 0) this.activeIn.delete(lane)
        else this.activeIn.set(lane, n)
        this.dispatch()
      }
    }
  }

  /**
   * Starts waiting fetches while there is room: the lane with the fewest running goes first, in
   * turn among equals (a lane served goes to the back), so a sender already being served waits
   * behind one that is not.
   */
  private dispatch (): void {
    while (this.activeTotal < this.limits.active) {
      let next: Waiter | undefined
      let fewest = this.limits.activePerLane
      for (const [lane, queue] of this.waiting) {
        const running = this.activeIn.get(lane) ?? 0
        if (running < fewest) { fewest = running; next = queue[0] }
        if (running === 0) break
      }
      if (next === undefined) return
      this.unqueue(next)
      // to the back of the turn order, if it still waits
      const rest = this.waiting.get(next.lane)
      if (rest !== undefined) { this.waiting.delete(next.lane); this.waiting.set(next.lane, rest) }
      next.start()
    }
  }

  /**
   * All lanes are full: the newest waiting fetch of the lane with the most waiting gives way, if
   * that lane has more than one waiting beyond `mine` (the lane asking). Senders are free to make,
   * and sixteen of them filling every place refused every honest sender's attachments `busy`
   * until their fetches crawled through; now a sender with fewer waiting always gets a place.
   */
  private bumpLongest (mine: number): boolean {
    let longest: Waiter[] | undefined
    for (const queue of this.waiting.values()) if (longest === undefined || queue.length > longest.length) longest = queue
    if (longest === undefined || longest.length <= mine + 1) return false
    const w = longest[longest.length - 1]
    this.unqueue(w)
    w.fail(new BlobError('busy', `attachment fetch given way: too many waiting, ${longest.length + 1} named by this sender`))
    return true
  }

  private unqueue (w: Waiter): boolean {
    const queue = this.waiting.get(w.lane)
    const i = queue?.indexOf(w) ?? -1
    if (queue === undefined || i < 0) return false
    queue.splice(i, 1)
    if (queue.length === 0) this.waiting.delete(w.lane)
    this.waitingTotal--
    return true
  }
}
