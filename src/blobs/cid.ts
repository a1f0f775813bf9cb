// Content ids of attachments on the daemon's side: the shared rules (cid-core.ts) with
// node:crypto's sha256, several times faster than a JavaScript hash on the transfer path. Pure.

import { createHash } from 'node:crypto'
import { CHUNK_BYTES } from './constants.ts'
import { cidOfWith, DAG_JSON, decodeManifestWith, encodeManifest, matchesWith, RAW, type Bytes, type Manifest } from './cid-core.ts'

export { chunkCount, chunkRange, DAG_JSON, encodeManifest, parseCid, RAW, SHA2_256, type Bytes, type Manifest, type ParsedCid } from './cid-core.ts'

export function sha256 (bytes: Bytes): Uint8Array {
  const h = createHash('sha256')
  if (bytes instanceof Uint8Array) h.update(bytes)
  else for (const piece of bytes) h.update(piece)
  return h.digest()
}

export function cidOf (codec: number, bytes: Uint8Array): string {
  return cidOfWith(sha256, codec, bytes)
}

/** The raw CID of one chunk (or of a whole small attachment). */
export function rawCid (bytes: Uint8Array): string {
  return cidOf(RAW, bytes)
}

/** True when `bytes` hash to the digest `cid` names. */
export function matches (cid: string, bytes: Uint8Array): boolean {
  return matchesWith(sha256, cid, bytes)
}

/** Reads a manifest fetched for `root`; throws `bad-hash` or `bad-manifest`. */
export function decodeManifest (root: string, bytes: Uint8Array): Manifest {
  return decodeManifestWith(sha256, root, bytes)
}

/** The id and (for multi-chunk attachments) manifest of content whose chunk hashes are known. */
export function rootOf (size: number, chunks: string[], chunkBytes = CHUNK_BYTES): { cid: string, manifest?: Manifest, manifestBytes?: Uint8Array } {
  if (chunks.length === 1) return { cid: chunks[0] }
  const manifest: Manifest = { size, chunkBytes, chunks }
  const manifestBytes = encodeManifest(manifest)
  return { cid: cidOf(DAG_JSON, manifestBytes), manifest, manifestBytes }
}
