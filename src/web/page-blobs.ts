// Attachments in the page: fetched over /swarm/blob/1.0.0 from whoever holds them with the
// daemon's own verified pull (src/blobs/pull.ts), every chunk checked against the id with noble's
// sha256 as it arrives; a holder that sends a bad chunk is dropped (`bad-hash`) and the next one
// continues. The bytes stay in memory: the page's cap is smaller than a daemon's.

import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js'
import { BlobError } from '../blobs/errors.ts'
import { pullVerified } from '../blobs/pull.ts'
import type { BrowserNode } from './node.ts'
import type { PeerId } from '@libp2p/interface'

/** The largest attachment the page downloads (it holds it in memory). */
export const PAGE_MAX_BLOB_BYTES = 64 * 1024 * 1024
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000

export interface Downloaded {
  bytes: Uint8Array
  /** Hex sha-256 of the whole content (for display and tests). */
  sha256: string
  /** Holders dropped on the way, and why. */
  rejected: Array<{ peer: string, reason: string }>
}

export interface DownloadOptions {
  holders: PeerId[]
  /** The size the envelope declared. */
  size?: number
  signal?: AbortSignal
}

export async function downloadAttachment (node: BrowserNode, cid: string, o: DownloadOptions): Promise<Downloaded> {
  const parts: Uint8Array[] = []
  const rejected: Downloaded['rejected'] = []
  await pullVerified(cid, {
    libp2p: node,
    hash: (b) => {
      if (b instanceof Uint8Array) return sha256(b)
      const h = sha256.create()
      for (const piece of b) h.update(piece)
      return h.digest()
    },
    maxBytes: PAGE_MAX_BLOB_BYTES,
    holders: o.holders,
    size: o.size,
    signal: o.signal ?? AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    // one copy per chunk, joined: the page keeps the chunk, not the pieces it arrived in
    append: async (pieces) => { parts.push(concatBytes(...pieces)) },
    onFail: (peer, e: BlobError) => { rejected.push({ peer: peer.toString(), reason: e.code }) }
  })
  const bytes = concatBytes(...parts)
  return { bytes, sha256: bytesToHex(sha256(bytes)), rejected }
}

/** Holders to try for an attachment an envelope names: its sender if connected, then every other connected peer. */
export function holdersFor (connected: PeerId[], isSender: (p: PeerId) => boolean, only?: string[]): PeerId[] {
  if (only !== undefined) return only.flatMap((s) => connected.filter((p) => p.toString() === s))
  return [...connected.filter(isSender), ...connected.filter((p) => !isSender(p))]
}

export { BlobError }
