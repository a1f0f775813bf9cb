// Ids bound to their signer. An id is `<kind>:<ULID>`; for the types the channel log keys by id
// (question, contribution, presence, claim, summary, close) swarmd makes the ULID's 80 random
// bits 50 bits of sha256("swarm/id.v1" 0 ‖ signer key ‖ the ULID's 48-bit time) and 30 random
// ones. Anyone can copy an id, but only the signer's own key makes a copy bound: finding another
// key whose hash matches 50 bits is ~2^50 hash evaluations (keys enumerated by point addition:
// GPU-days for one id, which must then still arrive first). An unbound id stays valid (envelopes
// of other Orbiplex implementations keep theirs); where two signers claim one question id, the
// bound one takes it (core/book.ts, `takesQuestionId`): before, a stranger's own question under
// a question's id, reaching a node first, made the stranger that channel's asker there. No
// imports of node: the daemon and the page build and check ids alike.

import { sha256 } from '@noble/hashes/sha2.js'
import { parsePubkey } from './keys.ts'

// node:crypto's sha256 where it exists (fetched at run time, as ed25519-node.ts does: a browser
// bundle pulls no node:crypto), ~3× faster than noble's on the 50 bytes hashed here: a channel
// checks every envelope it admits. noble in the page.
type Hash = (bytes: Uint8Array) => Uint8Array
let hash: Hash | undefined
function sha256Of (bytes: Uint8Array): Uint8Array {
  if (hash === undefined) {
    let nc: typeof import('node:crypto') | undefined
    try { nc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as typeof import('node:crypto') | undefined } catch {}
    // crypto.hash (Node ≥ 21.7): one call, no Hash object per digest
    hash = nc !== undefined && typeof nc.hash === 'function' ? (b) => nc.hash('sha256', b, 'buffer') as unknown as Uint8Array : sha256
  }
  return hash(bytes)
}

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const DOMAIN = new TextEncoder().encode('swarm/id.v1\0')
const TIME_CHARS = 10
const BINDING_CHARS = 10
const SUFFIX_CHARS = 6
const MAX_TIME = 2 ** 48 - 1

/** The ULID's time part: 48 bits, 10 base32 characters, most significant first. */
function encodeTime (ms: number): string {
  let out = ''
  for (let i = 0; i < TIME_CHARS; i++) {
    out = B32[ms % 32] + out
    ms = Math.floor(ms / 32)
  }
  return out
}

function decodeTime (text: string): number | undefined {
  let ms = 0
  for (let i = 0; i < TIME_CHARS; i++) {
    const v = B32.indexOf(text[i])
    if (v < 0) return undefined
    ms = ms * 32 + v
  }
  return ms <= MAX_TIME ? ms : undefined
}

/** The 10 characters (50 bits) that bind an id of time `ms` to `publicKey`. */
function bindingChars (publicKey: Uint8Array, ms: number): string {
  const input = new Uint8Array(DOMAIN.length + publicKey.length + 6)
  input.set(DOMAIN)
  input.set(publicKey, DOMAIN.length)
  let t = ms
  for (let i = 5; i >= 0; i--) { input[DOMAIN.length + publicKey.length + i] = t % 256; t = Math.floor(t / 256) }
  const h = sha256Of(input)
  let out = ''
  let acc = 0
  let bits = 0
  let at = 0
  while (out.length < BINDING_CHARS) {
    if (bits < 5) { acc = (acc << 8) | h[at++]; bits += 8 }
    bits -= 5
    out += B32[(acc >>> bits) & 31]
    acc &= (1 << bits) - 1
  }
  return out
}

// Ids one signer makes in one millisecond still sort by creation: the random suffix counts up.
let last: { key: Uint8Array, ms: number, suffix: number } | undefined

/** A ULID of time `ms` bound to `publicKey`; `random` gives numbers in [0, 1). */
export function boundUlid (publicKey: Uint8Array, ms: number, random: () => number): string {
  const t = Math.min(Math.max(0, Math.floor(ms)), MAX_TIME)
  let suffix: number
  if (last !== undefined && last.ms === t && sameKey(last.key, publicKey) && last.suffix < 2 ** 30 - 1) suffix = last.suffix + 1
  else suffix = Math.floor(random() * 2 ** 29) // the lower half: room to count up
  last = { key: publicKey, ms: t, suffix }
  let tail = ''
  for (let i = 0, s = suffix; i < SUFFIX_CHARS; i++) { tail = B32[s % 32] + tail; s = Math.floor(s / 32) }
  return encodeTime(t) + bindingChars(publicKey, t) + tail
}

/** True when `id` (`<kind>:<ULID>`) is bound to `publicKey`. */
export function isBoundId (id: string, publicKey: Uint8Array): boolean {
  const colon = id.indexOf(':')
  const ulid = id.slice(colon + 1)
  if (colon < 0 || ulid.length !== TIME_CHARS + BINDING_CHARS + SUFFIX_CHARS) return false
  const ms = decodeTime(ulid)
  return ms !== undefined && ulid.slice(TIME_CHARS, TIME_CHARS + BINDING_CHARS) === bindingChars(publicKey, ms)
}

function sameKey (a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

// Parsed sender keys: parsing `ed25519:<hex>` costs more than the hash, and a channel hears the
// same few senders again and again. Bounded; cleared when full.
const keys = new Map<string, Uint8Array | null>()

/** True when the envelope's id is bound to its own signer (`sender.pubkey`). */
export function hasBoundId (e: { id: string, sender: { pubkey: string } }): boolean {
  let key = keys.get(e.sender.pubkey)
  if (key === undefined) {
    if (keys.size >= 4096) keys.clear()
    key = parsePubkey(e.sender.pubkey) ?? null
    keys.set(e.sender.pubkey, key)
  }
  return key !== null && isBoundId(e.id, key)
}
