// Fetching an attachment into this daemon's store from whoever holds it: the shared, verified
// pull (pull.ts, the same loop the page runs) written chunk by chunk into a partial file that is
// committed whole. One fetch per id at a time, and at most MAX_ACTIVE_FETCHES transfers at once
// with MAX_WAITING_FETCHES queued behind them (more are refused `busy`): other nodes' envelopes
// name what a channel member fetches, and a burst of them must not open a stream per name at
// once (libp2p refuses more than 32 of one protocol per connection, the holder more than its
// peer's stream rate) nor hold unbounded partial files.

import type { PeerId } from '@libp2p/interface'
import { parseCid, sha256 } from './cid.ts'
import { FETCH_TIMEOUT_MS } from './constants.ts'
import { BlobError } from './errors.ts'
import { pullVerified, tooLarge } from './pull.ts'
import type { BlobStore, HeldBlob } from './store.ts'
import { RunQueue } from '../kernel/run-queue.ts'

export const MAX_ACTIVE_FETCHES = 8
export const MAX_WAITING_FETCHES = 512

export interface FetchInit {
  libp2p: { dialProtocol: Function }
  store: BlobStore
  /** Counts refusals by reason (`bad-hash`, …) and holders tried. */
  onReject?: (reason: string, peer: PeerId) => void
  log?: { debug: (msg: string, data?: Record<string, unknown>) => void }
}

export interface FetchOptions {
  /** Holders to try, in order. */
  holders: PeerId[]
  /** The size an envelope declared: checked against the cap before any byte moves. */
  size?: number
  signal?: AbortSignal
}

export class BlobFetcher {
  private readonly c: FetchInit
  private readonly inflight = new Map<string, Promise<HeldBlob>>()
  private readonly queue = new RunQueue({ maxConcurrent: MAX_ACTIVE_FETCHES, maxQueued: MAX_WAITING_FETCHES })

  constructor (init: FetchInit) {
    this.c = init
  }

  /** Fetches in flight, queued ones included. */
  get active (): number { return this.inflight.size }

  async fetch (cid: string, opts: FetchOptions): Promise<HeldBlob> {
    const held = this.c.store.get(cid)
    if (held !== undefined) return held
    parseCid(cid)
    if (opts.size !== undefined && opts.size > this.c.store.maxBytes) throw tooLarge(cid, opts.size, this.c.store.maxBytes)
    let p = this.inflight.get(cid)
    if (p === undefined) {
      p = this.queue.run(async () => await this.run(cid, opts), { signal: opts.signal }).finally(() => { this.inflight.delete(cid) })
      this.inflight.set(cid, p)
    }
    return await p
  }

  private async run (cid: string, opts: FetchOptions): Promise<HeldBlob> {
    const signal = opts.signal ?? AbortSignal.timeout(FETCH_TIMEOUT_MS)
    const writer = await this.c.store.partialWriter()
    try {
      const { manifest, manifestBytes } = await pullVerified(cid, {
        libp2p: this.c.libp2p,
        hash: sha256,
        maxBytes: this.c.store.maxBytes,
        holders: opts.holders,
        size: opts.size,
        signal,
        append: async (bytes) => { await writer.append(bytes) },
        onFail: (peer: PeerId, e: BlobError) => {
          if (e.code === 'bad-hash' || e.code === 'bad-manifest' || e.code === 'bad-frame') this.c.onReject?.(e.code, peer)
          this.c.log?.debug('blob holder failed', { cid, peer: peer.toString(), code: e.code, err: e.message })
        }
      })
      return await writer.commit(cid, manifest, manifestBytes)
    } catch (err) {
      await writer.discard()
      throw err
    }
  }
}
