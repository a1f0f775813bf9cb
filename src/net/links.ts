// Links that hold: the peers this node was told to link with (the operator's `connect`, a
// scale harness's topology) are kept. When such a link drops — a restart, a network blip, or
// libp2p's connection monitor aborting a link whose ping stalled on a saturated CPU — the keeper
// dials the peer again with exponential backoff and jitter, until it is back or the keeper gives
// up after `maxAttempts` (a peer gone that long is gone; discovery may find it again). Without
// this a swarm under load loses links one by one and partitions (docs/scale.md).
//
// libp2p's own reconnect queue (KEEP_ALIVE tags) is not used: it retries without jitter, so a
// hundred nodes that lost links together redial together, and it counts nothing.

import type { PeerId } from '@libp2p/interface'

export interface BackoffInit {
  /** First retry after about this long, ms. */
  baseMs: number
  /** No wait longer than this, ms. */
  capMs: number
}

export const LINK_BACKOFF: BackoffInit = { baseMs: 1000, capMs: 60_000 }
/** Peers kept at most: beyond it the oldest kept link is forgotten (not closed). */
export const LINKS_MAX_KEPT = 256
/** Redials of one lost link before giving up (~30 min at the default backoff). */
export const LINKS_MAX_ATTEMPTS = 40
/** One redial may take this long. */
export const LINK_DIAL_TIMEOUT_MS = 15_000
/** Peer-store tag: the connection pruner closes kept links last. */
export const LINK_TAG = 'swarm-link'

/**
 * Wait before redial number `attempt` (0-based): base·2^attempt capped at `capMs`, scaled by a
 * jitter factor in [0.5, 1) drawn from `rand` (so lost links of many nodes spread out).
 */
export function redialDelay (attempt: number, rand: number, b: BackoffInit = LINK_BACKOFF): number {
  const exp = Math.min(b.capMs, b.baseMs * 2 ** Math.min(Math.max(0, attempt), 30))
  const r = Math.min(Math.max(rand, 0), 1 - Number.EPSILON)
  return Math.round(exp * (0.5 + r / 2))
}

export interface LinkCounters { inc: (name: string, label?: string, by?: number) => void }

interface Linkable {
  dial: (peer: PeerId, options?: { signal?: AbortSignal }) => Promise<unknown>
  getConnections: (peer?: PeerId) => unknown[]
  addEventListener: (type: 'peer:disconnect', fn: (evt: CustomEvent<PeerId>) => void) => void
  removeEventListener: (type: 'peer:disconnect', fn: (evt: CustomEvent<PeerId>) => void) => void
  peerStore: { merge: (peer: PeerId, data: { tags: Record<string, { value: number } | undefined> }) => Promise<unknown> }
}

export interface LinkKeeperInit {
  counters?: LinkCounters
  backoff?: BackoffInit
  maxKept?: number
  maxAttempts?: number
  dialTimeoutMs?: number
  rand?: () => number
}

interface Kept { peer: PeerId, attempt: number, timer?: ReturnType<typeof setTimeout>, dialing?: AbortController }

export class LinkKeeper {
  private readonly node: Linkable
  private readonly kept = new Map<string, Kept>()
  private readonly init: Required<Omit<LinkKeeperInit, 'counters'>> & { counters?: LinkCounters }
  private running = false
  /** Links dropped and dialled again, successful redials, given-up links, forgotten for room. */
  readonly totals = { lost: 0, redials: 0, restored: 0, givenUp: 0, evicted: 0 }

  constructor (node: Linkable, init: LinkKeeperInit = {}) {
    this.node = node
    this.init = {
      counters: init.counters,
      backoff: init.backoff ?? LINK_BACKOFF,
      maxKept: init.maxKept ?? LINKS_MAX_KEPT,
      maxAttempts: init.maxAttempts ?? LINKS_MAX_ATTEMPTS,
      dialTimeoutMs: init.dialTimeoutMs ?? LINK_DIAL_TIMEOUT_MS,
      rand: init.rand ?? Math.random
    }
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
  }

  stop (): void {
    this.running = false
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const k of this.kept.values()) { clearTimeout(k.timer); k.dialing?.abort() }
    this.kept.clear()
  }

  /** Keep the link to `peer` (it is connected now, or about to be). */
  keep (peer: PeerId): void {
    const id = peer.toString()
    if (this.kept.has(id)) return
    if (this.kept.size >= this.init.maxKept) {
      const [oldId, old] = this.kept.entries().next().value as [string, Kept]
      clearTimeout(old.timer)
      old.dialing?.abort()
      this.kept.delete(oldId)
      this.count('evicted')
    }
    this.kept.set(id, { peer, attempt: 0 })
    this.node.peerStore.merge(peer, { tags: { [LINK_TAG]: { value: 100 } } }).catch(() => {})
  }

  forget (peer: PeerId): void {
    const k = this.kept.get(peer.toString())
    if (k === undefined) return
    clearTimeout(k.timer)
    k.dialing?.abort()
    this.kept.delete(peer.toString())
    this.node.peerStore.merge(peer, { tags: { [LINK_TAG]: undefined } }).catch(() => {})
  }

  get size (): number { return this.kept.size }

  /** Kept links now waiting for a redial. */
  get pending (): number { let n = 0; for (const k of this.kept.values()) if (k.timer !== undefined || k.dialing !== undefined) n++; return n }

  stats (): Record<string, number> {
    return { kept: this.kept.size, max: this.init.maxKept, pending: this.pending, ...this.totals }
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const k = this.kept.get(evt.detail.toString())
    if (k === undefined || !this.running || k.timer !== undefined || k.dialing !== undefined) return
    this.count('lost')
    k.attempt = 0
    this.schedule(k)
  }

  private schedule (k: Kept): void {
    const wait = redialDelay(k.attempt, this.init.rand(), this.init.backoff)
    k.timer = setTimeout(() => { k.timer = undefined; void this.redial(k) }, wait)
    k.timer.unref?.()
  }

  private async redial (k: Kept): Promise<void> {
    if (!this.running || this.kept.get(k.peer.toString()) !== k) return
    if (this.node.getConnections(k.peer).length > 0) { k.attempt = 0; return } // it dialled us
    const ac = new AbortController()
    k.dialing = ac
    const timeout = setTimeout(() => { ac.abort() }, this.init.dialTimeoutMs)
    this.count('redials')
    try {
      await this.node.dial(k.peer, { signal: ac.signal })
      k.attempt = 0
      this.count('restored')
    } catch {
      k.attempt++
      if (!this.running || this.kept.get(k.peer.toString()) !== k) return
      if (k.attempt >= this.init.maxAttempts) {
        this.kept.delete(k.peer.toString())
        this.count('givenUp')
        return
      }
      this.schedule(k)
    } finally {
      clearTimeout(timeout)
      k.dialing = undefined
    }
  }

  private count (what: keyof LinkKeeper['totals']): void {
    this.totals[what]++
    this.init.counters?.inc('links', what)
  }
}
