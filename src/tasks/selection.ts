// Which peers to offer a task to, best first (pure). Reputation wins, then the least loaded, then
// round-trip time; the peer id breaks ties so every node ranks the same adverts the same way.
// Reputation comes first because load is self-reported: a fake advert claiming an empty queue
// must not outrank peers that earned their standing.

export interface Candidate {
  peerId: string
  nodeId: string
  capabilities: readonly string[]
  taskTypes: readonly string[]
  queueLength: number
  running: number
  /** Advert expiry, ms since the epoch. */
  expiresAt: number
  reputation: number
  rttMs?: number
}

export interface SelectOptions {
  taskType: string
  requirements: readonly string[]
  now: number
  /** A peer id or node id: only that peer, if it qualifies; otherwise nothing. */
  pinned?: string
  /** Peer ids (or node ids) not to use, e.g. ones that already failed this task. Beats pinned. */
  exclude?: ReadonlySet<string>
}

export function isCapable<C extends Candidate> (c: C, opts: SelectOptions): boolean {
  return c.expiresAt > opts.now &&
    c.taskTypes.includes(opts.taskType) &&
    opts.requirements.every(r => c.capabilities.includes(r)) &&
    opts.exclude?.has(c.peerId) !== true &&
    opts.exclude?.has(c.nodeId) !== true
}

/** Negative if `a` should be tried before `b`. Nonsense numbers in an advert rank it last. */
export function compareCandidates (a: Candidate, b: Candidate): number {
  return cmp(finiteOr(b.reputation, -Infinity), finiteOr(a.reputation, -Infinity)) ||
    cmp(load(a), load(b)) ||
    cmp(finiteOr(a.rttMs, Infinity), finiteOr(b.rttMs, Infinity)) ||
    // Code-unit order, not localeCompare: the same on every node whatever its locale.
    cmp(a.peerId, b.peerId)
}

function load (c: Candidate): number {
  return finiteOr(c.queueLength, Infinity) + finiteOr(c.running, Infinity)
}

function finiteOr (x: number | undefined, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : fallback
}

function cmp<T extends number | string> (x: T, y: T): number {
  return x < y ? -1 : x > y ? 1 : 0
}

export function selectPeers<C extends Candidate> (candidates: readonly C[], opts: SelectOptions): C[] {
  let pool = candidates.filter(c => isCapable(c, opts))
  if (opts.pinned !== undefined) pool = pool.filter(c => c.peerId === opts.pinned || c.nodeId === opts.pinned)
  return pool.sort(compareCandidates)
}
