// The channel log's chain, pure: each channel envelope may name (`previous`, signed) the latest
// envelopes its author had seen in the channel, so a member holding a set of envelopes can tell
// which ones it is missing — ids named by what it holds but not held. The shell fetches those
// from members' history; the bounds here (how many missing ids a channel tracks, how deep a
// chain of fetched parents is followed, how often one id is asked for) keep a `previous` naming
// ids that do not exist from causing unbounded fetching. See docs/channel-log.md.

import { MAX_PREVIOUS } from '../../envelope/schemas.ts'

export { MAX_PREVIOUS }

/** An envelope of the log as this part needs it: its id and the ids it names. */
export interface LogEntry { id: string, envelope: unknown }

/** The `previous` ids an envelope names (none for old envelopes without the field). */
export function previousOf (envelope: unknown): readonly string[] {
  const p = (envelope as { previous?: unknown } | null)?.previous
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : []
}

/**
 * What a new envelope names as `previous`: the frontier of the log (held envelopes no other held
 * envelope names), the latest arrivals first, at most `max`. Entries are in local arrival order.
 */
export function heads (entries: readonly LogEntry[], max = MAX_PREVIOUS): string[] {
  const named = new Set<string>()
  for (const e of entries) for (const p of previousOf(e.envelope)) named.add(p)
  const out: string[] = []
  for (let i = entries.length - 1; i >= 0 && out.length < max; i--) {
    const id = entries[i].id
    if (!named.has(id) && !out.includes(id)) out.push(id)
  }
  return out
}

/** Ids named as `previous` by held envelopes but not held: the log's gaps (sorted, no repeats). */
export function missingParents (entries: readonly LogEntry[]): string[] {
  const held = new Set(entries.map((e) => e.id))
  const out = new Set<string>()
  for (const e of entries) for (const p of previousOf(e.envelope)) if (!held.has(p)) out.add(p)
  return [...out].sort()
}

/** Merges two logs (set union by id, the first copy kept): the order of merging does not matter. */
export function mergeLogs<T extends LogEntry> (a: readonly T[], b: readonly T[]): T[] {
  const byId = new Map<string, T>()
  for (const e of [...a, ...b]) if (!byId.has(e.id)) byId.set(e.id, e)
  return [...byId.values()].sort((x, y) => x.id < y.id ? -1 : x.id > y.id ? 1 : 0)
}

export interface GapBounds {
  /** Missing ids one channel tracks at once (further ones wait until these resolve or are given up). */
  maxMissing: number
  /** How far a chain of fetched parents is followed (a live envelope is depth 0, its parents 1, …). */
  maxDepth: number
  /** Fetch rounds one missing id gets before it is given up. */
  maxAttempts: number
  /** Ids remembered as given up (never asked for again), per channel. */
  maxGivenUp: number
}

/**
 * The ids an envelope's `previous` chain reaches through the held entries: what its author had
 * seen, as far as the chain tells. Complete while every id it reaches is held: a link this node
 * lacks (a full channel, a refused author, a page that left it out) hides what lies behind it.
 * Grows as entries arrive in any order; each entry is walked once.
 */
export class Ancestry {
  readonly reached = new Set<string>()
  /** Reached ids not held here. */
  private readonly missing = new Set<string>()
  private readonly held: (id: string) => LogEntry | undefined

  constructor (root: LogEntry, held: (id: string) => LogEntry | undefined) {
    this.held = held
    this.walk(root)
  }

  get complete (): boolean { return this.missing.size === 0 }

  /** A newly held entry: when it is reached, so is its own past. Returns the held ids newly reached. */
  added (entry: LogEntry): string[] {
    if (!this.reached.has(entry.id)) return []
    this.missing.delete(entry.id)
    return this.walk(entry)
  }

  private walk (from: LogEntry): string[] {
    const out: string[] = []
    const stack = [from]
    for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
      for (const id of previousOf(e.envelope).slice(0, MAX_PREVIOUS)) {
        if (this.reached.has(id)) continue
        this.reached.add(id)
        const held = this.held(id)
        if (held === undefined) this.missing.add(id)
        else { out.push(id); stack.push(held) }
      }
    }
    return out
  }
}

export const GAP_BOUNDS: GapBounds = { maxMissing: 64, maxDepth: 16, maxAttempts: 3, maxGivenUp: 1024 }

interface Missing { depth: number, attempts: number }

/**
 * One channel's gaps: which named ids are missing, how deep, how often asked for. The shell
 * calls `noted` for each envelope it holds (with the envelope's own depth), `due` for the ids to
 * ask members for in the next round, and `held` when one arrives by any road.
 */
export class ChannelGaps {
  private readonly missing = new Map<string, Missing>()
  private readonly givenUp = new Set<string>()
  private readonly bounds: GapBounds

  constructor (bounds: GapBounds = GAP_BOUNDS) { this.bounds = bounds }

  get size (): number { return this.missing.size }
  get givenUpCount (): number { return this.givenUp.size }

  /** The depth of an envelope that arrives now: that of the gap it fills, else 0 (live). */
  depthOf (id: string): number { return this.missing.get(id)?.depth ?? 0 }

  /**
   * A held envelope at `depth` names `previous`: the ones not held (`has`) become gaps at
   * depth + 1, within the bounds. Returns the ids newly tracked.
   */
  noted (previous: readonly string[], depth: number, has: (id: string) => boolean): string[] {
    const added: string[] = []
    if (depth + 1 > this.bounds.maxDepth) return added
    for (const id of previous.slice(0, MAX_PREVIOUS)) {
      if (has(id) || this.missing.has(id) || this.givenUp.has(id)) continue
      if (this.missing.size >= this.bounds.maxMissing) break
      this.missing.set(id, { depth: depth + 1, attempts: 0 })
      added.push(id)
    }
    return added
  }

  /** An envelope is now held: no longer a gap. */
  held (id: string): void { this.missing.delete(id) }

  /** The ids to ask for in the next round (each counted as one attempt). */
  due (): string[] {
    const out: string[] = []
    for (const [id, m] of this.missing) {
      m.attempts++
      out.push(id)
    }
    return out
  }

  /** After a round: ids still missing that used up their attempts are given up. Returns them. */
  settle (has: (id: string) => boolean): string[] {
    const gone: string[] = []
    for (const [id, m] of this.missing) {
      if (has(id)) { this.missing.delete(id); continue }
      if (m.attempts < this.bounds.maxAttempts) continue
      this.missing.delete(id)
      if (this.givenUp.size >= this.bounds.maxGivenUp) this.givenUp.delete(this.givenUp.values().next().value as string)
      this.givenUp.add(id)
      gone.push(id)
    }
    return gone
  }
}
