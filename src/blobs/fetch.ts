// Fetching an attachment into this daemon's store from whoever holds it: the shared, verified
// pull (pull.ts, the same loop the page runs) written chunk by chunk into a partial file that is
// committed whole. One fetch per id at a time; the ones other nodes' envelopes trigger wait their
// turn in lanes per sender (fetch-lanes.ts), the operator's and tasks' in a queue of their own
// (DIRECT_FETCHES at once): together they stay below the 32 streams of one protocol libp2p opens
// on a connection.

import type { PeerId } from '@libp2p/interface'
import { parseCid, sha256 } from './cid.ts'
import { FETCH_TIMEOUT_MS } from './constants.ts'
import { BlobError } from './errors.ts'
import { pullVerified, tooLarge } from './pull.ts'
import type { BlobStore, HeldBlob } from './store.ts'
import { FetchLanes, type FetchLaneLimits } from './fetch-lanes.ts'
import { RunQueue } from '../kernel/run-queue.ts'
import { untilAborted, withTimeout } from '../errors.ts'

/** The operator's and tasks' fetches at once (more wait, up to DIRECT_WAITING, then `busy`). */
export const DIRECT_FETCHES = 16
export const DIRECT_WAITING = 512
/**
 * A fetch another node's envelope triggered has until 30 s plus its declared size at 128 KiB/s
 * (at most FETCH_TIMEOUT_MS): a holder that sends a chunk every few seconds, each inside the
 * per-frame timeout, cannot hold one of the lanes' slots for ten minutes. The operator's and
 * tasks' fetches keep the whole FETCH_TIMEOUT_MS (a slow honest link).
 */
const SLOW_FLOOR_BYTES_PER_SEC = 128 * 1024
const FETCH_GRACE_MS = 30_000

export interface FetchInit {
  libp2p: { dialProtocol: Function }
  store: BlobStore
  /** Counts refusals by reason (`bad-hash`, …) and holders tried. */
  onReject?: (reason: string, peer: PeerId) => void
  log?: { debug: (msg: string, data?: Record<string, unknown>) => void }
  lanes?: Partial<FetchLaneLimits>
}

export interface FetchOptions {
  /** Holders to try, in order. */
  holders: PeerId[]
  /** The size an envelope declared: checked against the cap before any byte moves. */
  size?: number
  signal?: AbortSignal
  /** Set for a fetch another node's envelope triggered: its sender's lane. Unset: at once. */
  lane?: string
  /** The operator asked for it (`swarm blob get`): kept as its own (src/blobs/store.ts). */
  own?: boolean
}

/** Holders one fetch keeps in its line at most (the connections, with room to spare). */
const MAX_HOLDERS = 1024

/** A fetch in flight; `holders` grows as callers that join it name theirs. */
interface Pending { promise: Promise<HeldBlob>, promote: () => void, holders: PeerId[] }

export class BlobFetcher {
  private readonly c: FetchInit
  private readonly inflight = new Map<string, Pending>()
  private readonly lanes: FetchLanes
  private readonly direct = new RunQueue({ maxConcurrent: DIRECT_FETCHES, maxQueued: DIRECT_WAITING })

  constructor (init: FetchInit) {
    this.c = init
    this.lanes = new FetchLanes(init.lanes)
  }

  get lanesStats (): ReturnType<FetchLanes['stats']> { return this.lanes.stats() }

  /** Fetches in flight, queued ones included. */
  get active (): number { return this.inflight.size }

  async fetch (cid: string, opts: FetchOptions): Promise<HeldBlob> {
    const blob = await this.fetchAny(cid, opts)
    // what the operator asked for is its own, however it came (a fetch for another's envelope
    // it joined, a copy already held)
    if (opts.own === true) await this.c.store.keep(blob)
    return blob
  }

  private async fetchAny (cid: string, opts: FetchOptions): Promise<HeldBlob> {
    // a local use counts as one (the operator's, a task's); one for another's envelope does not
    const held = opts.lane === undefined ? this.c.store.get(cid) : this.c.store.peek(cid)
    if (held !== undefined) return held
    parseCid(cid)
    if (opts.size !== undefined && opts.size > this.c.store.maxBytes) throw tooLarge(cid, opts.size, this.c.store.maxBytes)
    // callers join a fetch of the same id and the same declared size: a stranger naming an id
    // with a wrong size first must not make the fetch every honest envelope joins refuse every
    // honest manifest (`bad-manifest`); its own fetch fails alone
    const key = `${cid}#${opts.size ?? ''}`
    let entry = this.inflight.get(key)
    if (entry !== undefined) {
      // the operator (or a task) asks for what waits in a lane: it starts now
      if (opts.lane === undefined) entry.promote()
      // and the holders it names are asked too, after those named first
      const named = new Set(entry.holders.map(String))
      for (const h of opts.holders) if (entry.holders.length < MAX_HOLDERS && !named.has(h.toString())) { named.add(h.toString()); entry.holders.push(h) }
      return await untilAborted(entry.promise, opts.signal)
    }
    entry = opts.lane === undefined ? this.runDirect(cid, key, opts) : this.runInLane(cid, key, opts.lane, opts)
    this.inflight.set(key, entry)
    return await entry.promise
  }

  private runDirect (cid: string, key: string, opts: FetchOptions): Pending {
    if (this.direct.full) throw new BlobError('busy', `too many attachment fetches asked for at once (${this.direct.running} running, ${this.direct.queued} waiting)`)
    const holders = [...opts.holders]
    const promise = this.direct.run(async () => await this.run(cid, opts, holders), { signal: opts.signal })
      .finally(() => { this.inflight.delete(key) })
    return { promise, promote: () => {}, holders }
  }

  private runInLane (cid: string, key: string, lane: string, opts: FetchOptions): Pending {
    const ticket = this.lanes.enter(lane, opts.signal)
    const holders = [...opts.holders]
    const promise = ticket.started.then(async () => await this.run(cid, opts, holders)).finally(() => {
      ticket.release()
      this.inflight.delete(key)
    })
    return { promise, promote: ticket.promote, holders }
  }

  private async run (cid: string, opts: FetchOptions, holders: PeerId[]): Promise<HeldBlob> {
    // fetched meanwhile (by a fetch that ran while this one waited its turn)
    const held = this.c.store.peek(cid)
    if (held !== undefined) return held
    const budget = opts.lane === undefined || opts.size === undefined ? FETCH_TIMEOUT_MS : Math.min(FETCH_TIMEOUT_MS, Math.ceil(FETCH_GRACE_MS + opts.size / SLOW_FLOOR_BYTES_PER_SEC * 1000))
    const signal = withTimeout(opts.signal, budget)
    const writer = await this.c.store.partialWriter()
    try {
      const { manifest, manifestBytes } = await pullVerified(cid, {
        libp2p: this.c.libp2p,
        hash: sha256,
        maxBytes: this.c.store.maxBytes,
        holders: [...holders],
        moreHolders: () => holders,
        size: opts.size,
        signal,
        append: async (bytes) => { await writer.append(bytes) },
        onFail: (peer: PeerId, e: BlobError) => {
          if (e.code === 'bad-hash' || e.code === 'bad-manifest' || e.code === 'bad-frame') this.c.onReject?.(e.code, peer)
          this.c.log?.debug('blob holder failed', { cid, peer: peer.toString(), code: e.code, err: e.message })
        }
      })
      return await writer.commit(cid, manifest, manifestBytes, opts.own === true ? 'own' : 'other')
    } catch (err) {
      await writer.discard()
      throw err
    }
  }
}
