// The attachment service: the store, the holder's side of /swarm/blob/1.0.0, the fetcher, the
// control methods (blob.put, blob.get, blob.list) and the channel member's habit of fetching what
// the envelopes it accepts name (questions, contributions and summaries, up to blobs.maxBytes).

import { join } from 'node:path'
import { basename } from 'node:path'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { SwarmError, UsageError } from '../errors.ts'
import { publicKeyFromNodeId } from '../envelope/keys.ts'
import { attachment as attachmentSchema, type Attachment } from '../envelope/schemas.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import { handle } from '../control/methods/index.ts'
import { parseCid } from './cid.ts'
import { DEFAULT_MAX_BYTES, DEFAULT_STORE_BYTES, MAX_ATTACHMENTS, PROTOCOL_BLOB } from './constants.ts'
import { BlobError } from './errors.ts'
import { BlobFetcher } from './fetch.ts'
import { mediaTypeOf, MEDIA_TYPE } from './media-type.ts'
import { READ_AHEAD_GROUPS, READ_AHEAD_PER_PEER, ReadAhead, serveBlobs } from './protocol.ts'
import { BlobStore, type HeldBlob } from './store.ts'

export type BlobComponents = Pick<SwarmComponents, 'paths' | 'config' | 'libp2p' | 'control' | 'events' | 'counters' | 'log'>

/** The config section, with defaults for a config written before it existed. */
function settings (config: SwarmComponents['config']): { maxBytes: number, storeBytes: number, autoFetch: boolean } {
  const b = (config as { blobs?: { maxBytes?: number, storeBytes?: number, autoFetch?: boolean } }).blobs ?? {}
  return { maxBytes: b.maxBytes ?? DEFAULT_MAX_BYTES, storeBytes: b.storeBytes ?? DEFAULT_STORE_BYTES, autoFetch: b.autoFetch ?? true }
}

export class BlobService implements SwarmService {
  readonly name = 'blobs'
  readonly store: BlobStore
  readonly fetcher: BlobFetcher
  private readonly c: BlobComponents
  private readonly autoFetch: boolean
  private readonly abort = new AbortController()
  private readonly readAhead = new ReadAhead(READ_AHEAD_GROUPS, READ_AHEAD_PER_PEER)
  private off?: () => void
  private served = 0
  private fetched = 0

  constructor (c: BlobComponents) {
    this.c = c
    const s = settings(c.config)
    this.autoFetch = s.autoFetch
    this.store = new BlobStore({ dir: join(c.paths.home, 'blobs'), maxBytes: s.maxBytes, storeBytes: Math.max(s.storeBytes, s.maxBytes) })
    const log = c.log.child('blobs')
    this.fetcher = new BlobFetcher({
      libp2p: c.libp2p,
      store: this.store,
      log,
      onReject: (reason) => { c.counters.inc('blobs.rejected', reason) }
    })
  }

  async start (): Promise<void> {
    await this.store.open()
    await serveBlobs(this.c.libp2p, this.store, {
      served: (n) => { this.served += n },
      refused: (reason) => { this.c.counters.inc('blobs.refused', reason) }
    }, this.readAhead)
    const r = this.c.control
    handle(r, 'blob.put', async (p) => {
      return describe(await this.store.importFile(p.path), basename(p.path))
    })
    handle(r, 'blob.get', async (p, ctx) => {
      parseCid(p.cid)
      const from = (p.from ?? []).map((x) => peerFrom(x))
      const blob = await this.fetch(p.cid, from, p.size, ctx.signal, undefined, true)
      return { cid: blob.cid, size: blob.size, chunks: blob.chunks.length, path: this.store.dataPath(blob.cid) }
    })
    handle(r, 'blob.list', async () => this.store.list().map((b) => ({ cid: b.cid, size: b.size, chunks: b.chunks.length, lastUsed: new Date(b.lastUsed).toISOString(), own: b.own })))
    if (this.autoFetch) this.off = this.c.events.on((e) => { this.onEvent(e) })
  }

  async stop (): Promise<void> {
    this.off?.()
    this.abort.abort()
    await this.c.libp2p.unhandle(PROTOCOL_BLOB).catch(() => {})
  }

  stats (): Record<string, unknown> {
    // `swarm stats` merges every service's numbers at its top level: keep ours under one key
    return {
      blobs: {
        ...this.store.stats(),
        maxBytes: this.store.maxBytes,
        storeBytes: this.store.storeBytes,
        fetching: this.fetcher.active,
        // fetches other nodes' envelopes triggered: running and waiting in their senders' lanes
        lanes: this.fetcher.lanesStats,
        fetched: this.fetched,
        servedBytes: this.served,
        // ~1 MiB groups of chunks read ahead for the transfers being served (at most READ_AHEAD_GROUPS)
        readAhead: this.readAhead.inUse,
        rejected: this.c.counters.byLabel('blobs.rejected'),
        refused: this.c.counters.byLabel('blobs.refused'),
        skipped: this.c.counters.byLabel('blobs.skipped')
      }
    }
  }

  /** Fetches from `first`, then the envelope's sender, then every connected peer. */
  async fetch (cid: string, first: PeerId[], size: number | undefined, signal?: AbortSignal, lane?: string, own = false): Promise<HeldBlob> {
    const connected = this.c.libp2p.getConnections().map((x) => x.remotePeer)
    const blob = await this.fetcher.fetch(cid, { holders: [...first, ...connected], size, lane, own, signal: AbortSignal.any([this.abort.signal, ...(signal !== undefined ? [signal] : [])]) })
    this.fetched++
    return blob
  }

  /** A verified local copy of an attachment (the task executor's way in): fetched from `from` first. */
  async fetchToPath (cid: string, from: PeerId, size: number, signal: AbortSignal): Promise<string> {
    const blob = await this.fetch(cid, [from], size, signal)
    return this.store.dataPath(blob.cid)
  }

  /** A channel member fetches what an accepted question, contribution or summary names. */
  private onEvent (e: { type: string, [k: string]: unknown }): void {
    if (e.type !== 'question:received' && e.type !== 'contribution' && e.type !== 'summary:received') return
    if (e.type === 'question:received' && e.eligible !== true) return
    if (e.type === 'contribution' && e.excluded !== null && e.excluded !== undefined) return
    const list = e.attachments
    if (!Array.isArray(list)) return
    const sender = typeof e.from === 'string' ? peerFromNodeId(e.from) : undefined
    for (const a of list.slice(0, MAX_ATTACHMENTS) as Attachment[]) {
      if (this.store.has(a.cid)) continue
      if (a.size > this.store.maxBytes) { this.c.counters.inc('blobs.skipped', 'too-large'); continue }
      // in the sender's lane: its envelopes' attachments take turns with everyone else's
      this.fetch(a.cid, sender !== undefined ? [sender] : [], a.size, undefined, typeof e.from === 'string' ? e.from : 'unknown').catch((err: unknown) => {
        // a BlobError's code, or `busy` (too many fetches already waiting), `aborted`
        this.c.counters.inc('blobs.skipped', err instanceof SwarmError ? err.code : 'error')
        this.c.log.child('blobs').debug('attachment not fetched', { cid: a.cid, err: (err as Error).message })
      })
    }
  }
}

/** What an envelope carries for a held blob. */
export function describe (b: HeldBlob, name: string): Attachment {
  const type = mediaTypeOf(name)
  const out: Attachment = { cid: b.cid, size: b.size, 'media-type': MEDIA_TYPE.test(type) ? type : 'application/octet-stream' }
  // the envelope schema's own rule: a name it would refuse is left out, not the attachment
  if (attachmentSchema.shape.name.safeParse(name).success) out.name = name
  return out
}

function peerFrom (text: string): PeerId {
  try { return peerIdFromString(text) } catch { throw new UsageError(`not a peer id: ${text}`) }
}

function peerFromNodeId (nodeId: string): PeerId | undefined {
  const raw = publicKeyFromNodeId(nodeId)
  if (raw === undefined) return undefined
  try { return peerIdFromPublicKey(publicKeyFromRaw(raw)) } catch { return undefined }
}

export function blobService (c: BlobComponents): BlobService {
  return new BlobService(c)
}
