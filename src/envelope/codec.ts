// Deterministic CBOR (RFC 8949 §4.2.1) of JSON values, and the Orbiplex signing input:
// UTF-8 domain tag, one 0x00 byte, then the CBOR of the object without its unsigned fields.
// Hand-written rather than cborg's rfc8949 mode because it sits on the verify hot path
// (cborg re-encodes map keys on every comparison: ~25 µs for a 1 KiB envelope, this ~3 µs);
// the tests check it byte for byte against cborg.

const MAX_DEPTH = 64
const textEncoder = new TextEncoder()
const ASCII = /^[\x00-\x7f]*$/

let buf = new Uint8Array(4096)
let view = new DataView(buf.buffer)
let pos = 0

function ensure (n: number): void {
  if (pos + n <= buf.length) return
  let size = buf.length * 2
  while (size < pos + n) size *= 2
  const next = new Uint8Array(size)
  next.set(buf.subarray(0, pos))
  buf = next
  view = new DataView(buf.buffer)
}

/** Major type + argument, shortest form (§4.2.1: "preferred serialization"). */
function head (major: number, n: number): void {
  const m = major << 5
  ensure(9)
  if (n < 24) {
    buf[pos++] = m | n
  } else if (n < 0x100) {
    buf[pos++] = m | 24; buf[pos++] = n
  } else if (n < 0x10000) {
    buf[pos++] = m | 25; view.setUint16(pos, n); pos += 2
  } else if (n < 0x100000000) {
    buf[pos++] = m | 26; view.setUint32(pos, n); pos += 4
  } else {
    buf[pos++] = m | 27; view.setUint32(pos, Math.floor(n / 0x100000000)); view.setUint32(pos + 4, n >>> 0); pos += 8
  }
}

function headSize (n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9
}

function writeString (s: string): void {
  const len = s.length
  if (len <= 32) {
    // short strings (keys, labels): a plain loop beats encodeInto's call overhead
    const start = pos
    head(3, len)
    ensure(len)
    const b = buf
    let p = pos
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) { pos = start; writeLongString(s); return }
      b[p++] = c
    }
    pos = p
    return
  }
  writeLongString(s)
}

function writeLongString (s: string): void {
  // encode after room for the header an all-ASCII string would need, then fix up the header
  const len = s.length
  ensure(9 + len * 3)
  const guess = headSize(len)
  const { written } = textEncoder.encodeInto(s, buf.subarray(pos + guess))
  const actual = headSize(written)
  if (actual !== guess) buf.copyWithin(pos + actual, pos + guess, pos + guess + written)
  head(3, written)
  pos += written
}

/** Half-precision bits when `x` is exactly representable as a float16, else -1. */
function float16Bits (x: number): number {
  if (Math.fround(x) !== x) return -1
  view.setFloat32(pos, x)
  const bits = view.getUint32(pos)
  const sign = (bits >>> 16) & 0x8000
  const exp = (bits >>> 23) & 0xff
  const mant = bits & 0x7fffff
  if (exp === 0 && mant === 0) return sign
  const e = exp - 127
  if (e > 15 || e < -24) return -1
  if (e >= -14) return (mant & 0x1fff) !== 0 ? -1 : sign | ((e + 15) << 10) | (mant >>> 13)
  // float16 subnormal: value = m * 2^-24 with m < 1024
  const full = mant | 0x800000
  const shift = -(e + 1)
  return (full & ((1 << shift) - 1)) !== 0 ? -1 : sign | (full >>> shift)
}

function writeNumber (n: number): void {
  if (!Number.isFinite(n)) throw new TypeError('not a JSON value: non-finite number')
  // Safe integers are CBOR integers; everything else is the shortest float that keeps the value.
  if (Number.isSafeInteger(n)) {
    if (n >= 0) head(0, n)
    else head(1, -1 - n)
    return
  }
  ensure(9)
  const h = float16Bits(n)
  if (h >= 0) {
    buf[pos++] = 0xf9; view.setUint16(pos, h); pos += 2
  } else if (Math.fround(n) === n) {
    buf[pos++] = 0xfa; view.setFloat32(pos, n); pos += 4
  } else {
    buf[pos++] = 0xfb; view.setFloat64(pos, n); pos += 8
  }
}

function compareAsciiKeys (a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}

// Whether a key is ASCII, remembered: keys repeat across envelopes, and for ASCII keys RFC 8949
// order is simply (length, code units).
const KEYS_MAX = 8192
const asciiKeys = new Map<string, boolean>()

function isAsciiKey (k: string): boolean {
  let ascii = asciiKeys.get(k)
  if (ascii === undefined) {
    ascii = ASCII.test(k)
    if (asciiKeys.size >= KEYS_MAX) asciiKeys.clear()
    asciiKeys.set(k, ascii)
  }
  return ascii
}

/** Keys in RFC 8949 order: by encoded key bytes, i.e. UTF-8 length first, then bytewise. */
function sortKeys (keys: string[]): string[] {
  for (const k of keys) {
    if (!isAsciiKey(k)) {
      return keys
        .map((key) => ({ key, b: textEncoder.encode(key) }))
        .sort((x, y) => compareBytes(x.b, y.b))
        .map((x) => x.key)
    }
  }
  // insertion sort: maps here have a handful of keys, and this allocates nothing
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]
    let j = i - 1
    while (j >= 0 && compareAsciiKeys(keys[j], k) > 0) { keys[j + 1] = keys[j]; j-- }
    keys[j + 1] = k
  }
  return keys
}

function writeMap (obj: Record<string, unknown>, depth: number, skip?: readonly string[]): void {
  const keys: string[] = []
  for (const k of Object.keys(obj)) {
    // undefined members vanish, as in JSON, so an object signs like its JSON text
    if (obj[k] !== undefined && (skip === undefined || !skip.includes(k))) keys.push(k)
  }
  head(5, keys.length)
  for (const k of sortKeys(keys)) {
    writeString(k)
    writeValue(obj[k], depth + 1)
  }
}

function writeValue (v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError(`not a JSON value: nested deeper than ${MAX_DEPTH}`)
  switch (typeof v) {
    case 'string': writeString(v); return
    case 'number': writeNumber(v); return
    case 'boolean': ensure(1); buf[pos++] = v ? 0xf5 : 0xf4; return
    case 'object':
      if (v === null) { ensure(1); buf[pos++] = 0xf6; return }
      if (Array.isArray(v)) {
        head(4, v.length)
        for (const item of v) writeValue(item, depth + 1)
        return
      }
      if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
        writeMap(v as Record<string, unknown>, depth)
        return
      }
  }
  throw new TypeError(`not a JSON value: ${v === undefined ? 'undefined' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v}`)
}

const domains = new Map<string, Uint8Array>()

function writeDomain (domain: string): void {
  let d = domains.get(domain)
  if (d === undefined) {
    d = textEncoder.encode(domain)
    if (domains.size < 1024) domains.set(domain, d)
  }
  ensure(d.length + 1)
  buf.set(d, pos)
  pos += d.length
  buf[pos++] = 0
}

function take (): Uint8Array {
  const out = buf.slice(0, pos)
  pos = 0
  return out
}

/** Deterministic CBOR of a JSON value (objects, arrays, strings, finite numbers, booleans, null). */
export function encodeCanonical (value: unknown): Uint8Array {
  pos = 0
  try {
    writeValue(value, 0)
    return take()
  } finally {
    pos = 0
  }
}

/** The bytes an Ed25519 signature covers: `domain` + 0x00 + CBOR(object minus `unsigned` fields). */
export function signingInput (domain: string, object: Record<string, unknown>, unsigned: readonly string[] = ['signature']): Uint8Array {
  pos = 0
  try {
    writeDomain(domain)
    writeMap(object, 0, unsigned)
    return take()
  } finally {
    pos = 0
  }
}

/**
 * signingInput without the copy: a view into a shared buffer, valid only until the next call.
 * For the synchronous verify hot path; anything that awaits must use signingInput.
 */
export function signingInputView (domain: string, object: Record<string, unknown>, unsigned: readonly string[] = ['signature']): Uint8Array {
  pos = 0
  try {
    writeDomain(domain)
    writeMap(object, 0, unsigned)
    return buf.subarray(0, pos)
  } finally {
    pos = 0
  }
}

/** The signing domain of an envelope type: `swarm/question` → `swarm/question.v1`. */
export function domainOf (type: string): string {
  return `${type}.v1`
}
