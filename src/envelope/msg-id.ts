// Gossipsub message ids from the signed content, shared by the daemon and the page (they must
// agree, or IHAVE/IWANT gossip between them names different messages). Byte variants of one
// envelope (whitespace, key order, string escapes) parse to one object and so get one id, and
// are dropped as duplicates before any validator runs; anything that does not parse to a JSON
// object without repeated member names is hashed as raw bytes under another domain, so it can
// never share an id with a valid envelope (a hostile peer racing such a variant ahead of the
// real one would otherwise make every node drop the real one as already seen). The topic is
// part of the id: one envelope published on two topics (a cross-federation question) is two
// gossip messages, as gossipsub refuses to publish an id it has already seen.

import { encodeCanonical } from './codec.ts'
import { hasDuplicateNames } from './json-keys.ts'
import { rememberParsed } from './parsed.ts'

/** A SHA-256 hasher (node:crypto's createHash('sha256') or @noble/hashes' sha256.create()). */
export interface Sha256Hasher {
  update: (data: Uint8Array) => unknown
  digest: () => Uint8Array
}

const CANONICAL = new TextEncoder().encode('swarm/msg-id.v1\u0000')
const RAW = new TextEncoder().encode('swarm/msg-id.raw\u0000')
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The canonical CBOR of an envelope-shaped JSON text, or undefined when it is not one. */
export function canonicalContent (data: Uint8Array): Uint8Array | undefined {
  let text: string
  let value: unknown
  try {
    text = utf8.decode(data)
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  if (hasDuplicateNames(text, value)) return undefined
  rememberParsed(data, { text, value })
  try {
    return encodeCanonical(value)
  } catch {
    return undefined // nested deeper than the codec goes
  }
}

/**
 * sha256(domain ‖ topic ‖ 0 ‖ canonical CBOR) for an envelope-shaped message, else
 * sha256(raw domain ‖ topic ‖ 0 ‖ bytes).
 */
export function envelopeMsgId (topic: string, data: Uint8Array, hasher: () => Sha256Hasher): Uint8Array {
  const canonical = canonicalContent(data)
  const h = hasher()
  h.update(canonical === undefined ? RAW : CANONICAL)
  h.update(topicBytes(topic))
  h.update(canonical ?? data)
  return h.digest()
}

const topics = new Map<string, Uint8Array>()
const textEncoder = new TextEncoder()

/** The topic's UTF-8 bytes and a 0 byte (topics repeat: a small cache spares the encoding). */
function topicBytes (topic: string): Uint8Array {
  let b = topics.get(topic)
  if (b === undefined) {
    const t = textEncoder.encode(topic)
    b = new Uint8Array(t.length + 1)
    b.set(t)
    if (topics.size >= 4096) topics.clear()
    topics.set(topic, b)
  }
  return b
}

let strip = new Uint8Array(4096)

/** JSON's structural bytes: whitespace beside one of these is insignificant. */
function structural (b: number): boolean {
  return b === 0x7b || b === 0x7d || b === 0x5b || b === 0x5d || b === 0x3a || b === 0x2c
}

function isSpace (b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
}

/**
 * The bytes without whitespace that JSON ignores: runs outside strings at either end or beside a
 * structural byte. A run between two other tokens (`18 00`, `tr ue`) is kept, so text that was
 * not valid JSON never strips to the same bytes as text that was: two texts with one stripped
 * form parse to one value, or neither parses. Returns a view into a shared buffer, valid until
 * the next call.
 */
export function stripJsonSpace (data: Uint8Array, prefix?: Uint8Array): Uint8Array {
  const need = data.length + (prefix?.length ?? 0)
  if (strip.length < need) strip = new Uint8Array(need * 2)
  const out = strip
  let o = 0
  if (prefix !== undefined) { out.set(prefix); o = prefix.length }
  const start = o
  const n = data.length
  // the next quote and backslash at or after where the scan is (n: none left), searched again only
  // once the scan has passed them, so a string of many escapes costs one pass, not one per escape
  let quote = -1
  let backslash = -1
  for (let i = 0; i < n; i++) {
    const b = data[i]
    if (b === 0x22) {
      // a string, copied whole up to its closing quote (a backslash takes the byte after it
      // along, so an escaped quote does not end it): most of an envelope is string content, and
      // native searches and one copy beat a loop over its bytes
      let end = i + 1
      for (;;) {
        if (quote < end) { quote = end < n ? data.indexOf(0x22, end) : -1; if (quote < 0) quote = n }
        if (backslash < end) { backslash = end < n ? data.indexOf(0x5c, end) : -1; if (backslash < 0) backslash = n }
        if (backslash < quote) { end = backslash + 2; continue }
        end = quote < n ? quote + 1 : n
        break
      }
      end = Math.min(end, n)
      out.set(data.subarray(i, end), o)
      o += end - i
      i = end - 1
      continue
    }
    if (isSpace(b)) {
      let j = i
      while (j + 1 < n && isSpace(data[j + 1])) j++
      const before = o === start ? -1 : out[o - 1]
      const after = j + 1 < n ? data[j + 1] : -1
      if (before === -1 || after === -1 || structural(before) || structural(after)) { i = j; continue }
      for (; i <= j; i++) out[o++] = data[i]
      i = j
      continue
    }
    out[o++] = b
  }
  return out.subarray(0, o)
}

/**
 * Gossipsub's fast id (a local cache key in front of msgIdFn, never sent): a hash of the topic
 * and the whitespace-stripped bytes, so whitespace variants of a message already seen are
 * dropped without a parse. Only texts that parse to the same value share a fast id.
 */
export function fastEnvelopeId (topic: string, data: Uint8Array, hasher: () => Sha256Hasher): Uint8Array {
  const h = hasher()
  h.update(fastIdInput(topic, data))
  return h.digest()
}

/** What the fast id hashes: topic ‖ 0x00 ‖ the stripped bytes (a view, valid until the next call). */
export function fastIdInput (topic: string, data: Uint8Array): Uint8Array {
  return stripJsonSpace(data, topicBytes(topic))
}
