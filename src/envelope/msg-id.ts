// Gossipsub message ids from the signed content, shared by the daemon and the page (they must
// agree, or IHAVE/IWANT gossip between them names different messages). Byte variants of one
// envelope (whitespace, key order, string escapes) parse to one object and so get one id, and
// are dropped as duplicates before any validator runs; anything that does not parse to a JSON
// object without repeated member names is hashed as raw bytes under another domain, so it can
// never share an id with a valid envelope (a hostile peer racing such a variant ahead of the
// real one would otherwise make every node drop the real one as already seen).

import { encodeCanonical } from './codec.ts'
import { hasDuplicateNames } from './json-keys.ts'

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
  try {
    return encodeCanonical(value)
  } catch {
    return undefined // nested deeper than the codec goes
  }
}

/** sha256(domain ‖ canonical CBOR) for an envelope-shaped message, else sha256(raw domain ‖ bytes). */
export function envelopeMsgId (data: Uint8Array, hasher: () => Sha256Hasher): Uint8Array {
  const canonical = canonicalContent(data)
  const h = hasher()
  if (canonical === undefined) {
    h.update(RAW)
    h.update(data)
  } else {
    h.update(CANONICAL)
    h.update(canonical)
  }
  return h.digest()
}
