// Content ids of attachments (CIDv1, sha2-256), without node: imports so the daemon and the page
// share them. The hash is handed in: the daemon uses node:crypto (cid.ts), the page noble's
// sha256. An attachment of at most one chunk is named by the raw CID of its bytes; a bigger one by
// the dag-json CID of its manifest, the canonical list of its chunks' raw CIDs. Pure.

import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { CHUNK_BYTES } from './constants.ts'
import { BlobError } from './errors.ts'

export const RAW = 0x55
export const DAG_JSON = 0x0129
export const SHA2_256 = 0x12

/** Bytes whole, or in pieces (a chunk in the pieces it arrived in). */
export type Bytes = Uint8Array | readonly Uint8Array[]
/** sha2-256 of some bytes. */
export type Sha256 = (bytes: Bytes) => Uint8Array

export interface Manifest {
  size: number
  chunkBytes: number
  /** Raw CIDs of the chunks, in order. */
  chunks: string[]
}

export function cidOfWith (hash: Sha256, codec: number, bytes: Uint8Array): string {
  return CID.createV1(codec, Digest.create(SHA2_256, hash(bytes))).toString()
}

export interface ParsedCid { codec: typeof RAW | typeof DAG_JSON, digest: Uint8Array }

/** Accepts only what this exchange makes: CIDv1, sha2-256, raw or dag-json. Throws `bad-cid`. */
export function parseCid (text: string): ParsedCid {
  let cid: CID
  try { cid = CID.parse(text) } catch { throw new BlobError('bad-cid', `not a CID: ${text.slice(0, 80)}`) }
  if (cid.version !== 1 || cid.multihash.code !== SHA2_256 || cid.multihash.digest.length !== 32) throw new BlobError('bad-cid', `${text} is not a CIDv1 with a sha2-256 multihash`)
  if (cid.code !== RAW && cid.code !== DAG_JSON) throw new BlobError('bad-cid', `${text}: codec 0x${cid.code.toString(16)} is neither raw nor dag-json`)
  if (cid.toString() !== text) throw new BlobError('bad-cid', `${text} is not in its canonical base32 form`)
  return { codec: cid.code, digest: cid.multihash.digest }
}

/** True when `bytes` hash to the digest `cid` names. */
export function matchesWith (hash: Sha256, cid: string, bytes: Bytes): boolean {
  const { digest } = parseCid(cid)
  const h = hash(bytes)
  if (h.length !== digest.length) return false
  for (let i = 0; i < h.length; i++) if (h[i] !== digest[i]) return false
  return true
}

export function chunkCount (size: number, chunkBytes = CHUNK_BYTES): number {
  return size === 0 ? 1 : Math.ceil(size / chunkBytes)
}

/** Canonical dag-json (keys sorted, no whitespace): one text per manifest, so one CID. */
export function encodeManifest (m: Manifest): Uint8Array {
  const links = m.chunks.map((c) => `{"/":${JSON.stringify(c)}}`).join(',')
  return new TextEncoder().encode(`{"chunk-bytes":${m.chunkBytes},"chunks":[${links}],"size":${m.size}}`)
}

/** Reads a manifest fetched for `root`; throws `bad-hash` or `bad-manifest`. */
export function decodeManifestWith (hash: Sha256, root: string, bytes: Uint8Array): Manifest {
  if (!matchesWith(hash, root, bytes)) throw new BlobError('bad-hash', `manifest does not hash to ${root}`)
  let o: any
  try { o = JSON.parse(new TextDecoder().decode(bytes)) } catch { throw new BlobError('bad-manifest', 'manifest is not JSON') }
  // one chunk size only: any other gave one content a million ids (one per size), let a
  // reader ask for 1 KiB chunks one slow frame at a time, or named chunks no frame can carry
  const ok = o !== null && typeof o === 'object' && Number.isSafeInteger(o.size) && o.size > 0 && o['chunk-bytes'] === CHUNK_BYTES && Array.isArray(o.chunks) &&
    o.chunks.every((l: any) => l !== null && typeof l === 'object' && typeof l['/'] === 'string')
  if (!ok) throw new BlobError('bad-manifest', `manifest lacks size, chunk-bytes ${CHUNK_BYTES} or chunk links`)
  const m: Manifest = { size: o.size, chunkBytes: o['chunk-bytes'], chunks: o.chunks.map((l: any) => l['/']) }
  if (m.chunks.length !== chunkCount(m.size, m.chunkBytes) || m.chunks.length < 2) throw new BlobError('bad-manifest', `${m.chunks.length} chunks do not make ${m.size} bytes`)
  for (const c of m.chunks) if (parseCid(c).codec !== RAW) throw new BlobError('bad-manifest', 'a chunk link is not a raw CID')
  // canonical text only: otherwise one content would have many ids
  const again = encodeManifest(m)
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) throw new BlobError('bad-manifest', 'manifest is not canonical dag-json')
  return m
}

/** Byte range of chunk `i`. */
export function chunkRange (m: { size: number, chunkBytes: number }, i: number): { start: number, end: number } {
  const start = i * m.chunkBytes
  return { start, end: Math.min(m.size, start + m.chunkBytes) }
}
