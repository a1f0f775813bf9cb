// What the page keeps of its channels across reloads, and which it lets go: pure rules, so the
// bounds are tested without a browser (page-store.ts does the IndexedDB I/O).

import type { ChannelEntry } from '../bus/core/index.ts'

/** Envelopes one channel holds in the page's memory at most (beyond: `channel-full`, as on a daemon; the asker's own always fit). */
export const PAGE_CHANNEL_ENVELOPES = 2000
/** Channels the page keeps at most. */
export const KEEP_CHANNELS = 64
/** Envelopes kept per channel at most (a history fetch after a reload brings the rest). */
export const KEEP_ENTRIES = 512
/** Bytes of wire text kept per channel at most. */
export const KEEP_CHANNEL_BYTES = 2 * 1024 * 1024
/** A finished channel is kept this long after its deadline, then deleted. */
export const KEEP_AFTER_DEADLINE_MS = 24 * 3600_000

/** One channel as the page keeps it (structured-clonable for IndexedDB). */
export interface KeptChannel {
  id: string
  /** The question's JSON text. */
  question: string
  mine: boolean
  via: string
  receivedAt: number
  joined: boolean
  to?: string[]
  sealedWire?: string
  entries: ChannelEntry[]
  /** The last envelope id of the history fetched from `cursorPeer` (resume after it). */
  cursor?: string
  cursorPeer?: string
  /** ms: created-at + ttl-sec. */
  deadline: number
  /** Closed, or past its deadline. */
  finished: boolean
  /** Following as appointed shadow, or acting as secretary. */
  role?: 'shadow' | 'secretary'
}

/** The entries to keep: in arrival order, bounded by count and bytes (the oldest kept first). */
export function keptEntries (entries: readonly ChannelEntry[]): ChannelEntry[] {
  const out: ChannelEntry[] = []
  let bytes = 0
  for (const e of entries) {
    if (out.length >= KEEP_ENTRIES || bytes + e.wire.length > KEEP_CHANNEL_BYTES) break
    out.push(e)
    bytes += e.wire.length
  }
  return out
}

/**
 * Which kept channels to delete: finished ones past the retention first (always), then, while
 * more than `max` remain, finished ones by oldest deadline, then open ones by oldest arrival.
 */
export function evictions (kept: ReadonlyArray<Pick<KeptChannel, 'id' | 'deadline' | 'finished' | 'receivedAt'>>, now: number, max = KEEP_CHANNELS): string[] {
  const out: string[] = []
  const rest: typeof kept[number][] = []
  for (const c of kept) {
    if ((c.finished || c.deadline <= now) && c.deadline + KEEP_AFTER_DEADLINE_MS <= now) out.push(c.id)
    else rest.push(c)
  }
  if (rest.length <= max) return out
  const done = (c: typeof kept[number]): boolean => c.finished || c.deadline <= now
  rest.sort((a, b) => done(a) !== done(b) ? (done(a) ? -1 : 1) : done(a) ? a.deadline - b.deadline : a.receivedAt - b.receivedAt)
  return [...out, ...rest.slice(0, rest.length - max).map((c) => c.id)]
}
