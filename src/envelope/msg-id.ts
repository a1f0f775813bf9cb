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
 * form parse to one value, or neither parses. Returns `data` itself when there is nothing to
 * drop (every compact envelope), else a view into a shared buffer, valid until the next call.
 *
 * One pass in plain JavaScript that only finds the runs to drop; the stretches between them are
 * copied whole. (A first version searched each string's end with native `indexOf` and copied
 * string by string: ~50 strings in an envelope made that 3× slower than this loop.)
 */
export function stripJsonSpace (data: Uint8Array): Uint8Array {
  const n = data.length
  let out: Uint8Array | undefined
  let o = 0
  // where the stretch not yet copied starts
  let from = 0
  let i = 0
  while (i < n) {
    const b = data[i]
    if (b === 0x22) {
      // a string, to its closing quote; a backslash takes the byte after it along
      i++
      while (i < n) {
        const c = data[i]
        if (c === 0x22) break
        i += c === 0x5c ? 2 : 1
      }
      i++
      continue
    }
    if (isSpace(b)) {
      let j = i + 1
      while (j < n && isSpace(data[j])) j++
      // the run is maximal, so the byte before it is not a space and was kept
      if (i === 0 || j >= n || structural(data[i - 1]) || structural(data[j])) {
        if (out === undefined) {
          if (strip.length < n) strip = new Uint8Array(n * 2)
          out = strip
        }
        out.set(data.subarray(from, i), o)
        o += i - from
        from = j
      }
      i = j
      continue
    }
    i++
  }
  if (out === undefined) return data
  out.set(data.subarray(from, n), o)
  return out.subarray(0, o + n - from)
}
