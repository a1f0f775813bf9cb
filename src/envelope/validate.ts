// The envelope validator: bytes, text or object in, a verdict with a stable reason out, never an
// exception. Order is cheapest first (size, JSON, duplicate names, replay memory, schema, key
// binding, clock) so that garbage and copies cost no signature check; the replay memory records
// only envelopes whose signature verified, so nobody can squat an id with a forgery. A second
// valid signature by one key over one id is equivocation: the signer's fault, not the relay's,
// so it is ignored (no forwarder is charged) and the key is refused from then on.

import { MAX_ENVELOPE_BYTES } from '../constants.ts'
import { catalogue as defaultCatalogue, type EnvelopeType } from './catalogue.ts'
import { signingInput, signingInputView } from './codec.ts'
import { defaultEd25519, type Ed25519Backend } from './ed25519.ts'
import { compileSchema, type Predicate } from './fast-schema.ts'
import { nodeIdFromPublicKey, parsePubkey } from './keys.ts'
import { hasDuplicateNames } from './json-keys.ts'
import { takeParsed } from './parsed.ts'
import { LruMap, ReplayCache, replaySlot } from './replay.ts'
import { decodeSignature, formatPath } from './sign.ts'
import type { Accepted, BindKey, EnvelopeBase, Refused, RejectReason, Verdict } from './types.ts'

export interface ValidatorOptions {
  /** Clock, ms since epoch. */
  now?: () => number
  /** Tolerated clock difference between peers, seconds (default 30). */
  clockSkewSec?: number
  /** Largest accepted JSON text, bytes (default 64 KiB; a type's own cap may be lower). */
  maxBytes?: number
  /** Ed25519 backend (default: node:crypto, else WebCrypto, else noble). */
  verifier?: Ed25519Backend
  /** Accepts a node id not derived from the key (federation certificates). */
  bindKey?: BindKey
  /** Ids remembered for duplicate/replay detection (default 100 000; 0 turns it off). */
  replayCacheSize?: number
  /** Sender keys kept decoded (default 10 000). */
  keyCacheSize?: number
  /** Envelope types known (default: the built-in catalogue). */
  catalogue?: ReadonlyMap<string, EnvelopeType>
  /** Keys caught equivocating, refused from then on (default 10 000 remembered). */
  equivocatorCacheSize?: number
  /** Told once per key caught signing two versions of one id (the evidence is both verified). */
  onEquivocation?: (pubkey: string, id: string) => void
}

export interface ValidateOptions {
  /** Only these types are acceptable here (a questions topic wants swarm/question). */
  expectType?: string | readonly string[]
  /** Judge expiry (default true); from-future is always judged. */
  checkExpiry?: boolean
  /** Envelopes older than this (by created-at) are expired, whatever their type. */
  maxAgeSec?: number
}

/** Reasons that say "not now / already had it" rather than "bad message". */
const IGNORED: ReadonlySet<RejectReason> = new Set(['duplicate', 'expired', 'from-future', 'equivocation'])

interface SenderKey {
  publicKey: Uint8Array
  /** The did:key node id this key derives. */
  nodeId: string
}

interface Prepared {
  envelope: EnvelopeBase
  text: string
  publicKey: Uint8Array
  domain: string
  signature: Uint8Array
  /** The same key already signed this id differently: a valid signature makes it equivocation. */
  conflict: boolean
  /** replaySlot(sender key, id), when the early replay check built it. */
  slot?: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

// Compiled once per catalogue row; null when the schema has constructs the compiler skips.
const compiled = new WeakMap<EnvelopeType, Predicate | null>()

function fastCheck (row: EnvelopeType): Predicate | null {
  let p = compiled.get(row)
  if (p === undefined) {
    p = compileSchema(row.schema) ?? null
    compiled.set(row, p)
  }
  return p
}

function refuse (reason: RejectReason, detail: string, at?: { type?: unknown, id?: unknown, path?: string, signer?: string }): Refused {
  const out: Refused = { ok: false, action: IGNORED.has(reason) ? 'ignore' : 'reject', reason, detail }
  if (at?.path !== undefined) out.path = at.path
  if (at?.signer !== undefined) out.signer = at.signer
  if (typeof at?.type === 'string' && at.type.length <= 128) out.type = at.type
  if (typeof at?.id === 'string' && at.id.length <= 128) out.id = at.id
  return out
}

/** The signed part cannot be encoded (a free-form payload nested too deep). */
function unencodable (p: Prepared, err: unknown): Refused {
  return refuse('bad-schema', `not encodable: ${(err as Error)?.message ?? String(err)}`, { type: p.envelope.type, id: p.envelope.id })
}

function utf8Length (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++ } else n += 3
  }
  return n
}

export class EnvelopeValidator {
  readonly verifier: Ed25519Backend
  private readonly now: () => number
  private readonly skewMs: number
  private readonly maxBytes: number
  private readonly bindKey?: BindKey
  private readonly replay?: ReplayCache
  private readonly keys: LruMap<string, SenderKey>
  private readonly types: ReadonlyMap<string, EnvelopeType>
  private readonly equivocators: LruMap<string, true>
  private readonly onEquivocation?: (pubkey: string, id: string) => void

  constructor (opts: ValidatorOptions = {}) {
    this.verifier = opts.verifier ?? defaultEd25519()
    this.now = opts.now ?? Date.now
    this.skewMs = (opts.clockSkewSec ?? 30) * 1000
    this.maxBytes = opts.maxBytes ?? MAX_ENVELOPE_BYTES
    this.bindKey = opts.bindKey
    const replaySize = opts.replayCacheSize ?? 100_000
    if (replaySize > 0) this.replay = new ReplayCache(replaySize)
    this.keys = new LruMap(opts.keyCacheSize ?? 10_000)
    this.types = opts.catalogue ?? defaultCatalogue
    this.equivocators = new LruMap(opts.equivocatorCacheSize ?? 10_000)
    this.onEquivocation = opts.onEquivocation
  }

  /** True when `pubkey` was caught signing two versions of one id. */
  isEquivocator (pubkey: string): boolean {
    return this.equivocators.has(pubkey)
  }

  /** True when validateSync works (the backend verifies synchronously). */
  get canValidateSync (): boolean {
    return this.verifier.verifySync !== undefined
  }

  async validate (input: Uint8Array | string | object, opts?: ValidateOptions): Promise<Verdict> {
    if (this.verifier.verifySync !== undefined) return this.validateSync(input, opts)
    const prepared = this.tryPrepare(input, opts)
    if ('ok' in prepared) return prepared
    let message: Uint8Array
    try {
      message = signingInput(prepared.domain, prepared.envelope as unknown as Record<string, unknown>)
    } catch (err) {
      return unencodable(prepared, err)
    }
    let valid: boolean
    try {
      valid = await this.verifier.verify(prepared.publicKey, message, prepared.signature)
    } catch {
      valid = false
    }
    return this.finish(prepared, valid)
  }

  /** The same verdicts as validate(), synchronously; needs a sync backend (node:crypto or noble). */
  validateSync (input: Uint8Array | string | object, opts?: ValidateOptions): Verdict {
    const verifySync = this.verifier.verifySync
    if (verifySync === undefined) throw new TypeError(`ed25519 backend ${this.verifier.name} cannot verify synchronously`)
    const prepared = this.tryPrepare(input, opts)
    if ('ok' in prepared) return prepared
    let valid: boolean
    try {
      // a view into the codec's buffer (no copy), used before anything else encodes
      const message = signingInputView(prepared.domain, prepared.envelope as unknown as Record<string, unknown>)
      try {
        valid = verifySync(prepared.publicKey, message, prepared.signature)
      } catch {
        valid = false
      }
    } catch (err) {
      return unencodable(prepared, err)
    }
    return this.finish(prepared, valid)
  }

  /** Records an envelope this node sent, so its echo is a duplicate, not news. */
  remember (envelope: EnvelopeBase): void {
    this.replay?.remember(envelope.sender.pubkey, envelope.id, envelope.signature.value)
  }

  /** Forgets an id (of `pubkey`, else of the sender last remembered for it). */
  forget (id: string, pubkey?: string): boolean {
    return this.replay?.forget(id, pubkey) ?? false
  }

  private tryPrepare (input: Uint8Array | string | object, opts: ValidateOptions | undefined): Prepared | Refused {
    try {
      return this.prepare(input, opts)
    } catch (err) {
      // not expected (every step refuses by itself); kept so no input can ever throw
      return refuse('bad-schema', `not a valid envelope: ${(err as Error)?.message ?? String(err)}`)
    }
  }

  private prepare (input: Uint8Array | string | object, opts: ValidateOptions | undefined): Prepared | Refused {
    let text: string
    let value: unknown
    let unique = false
    if (input instanceof Uint8Array) {
      if (input.length > this.maxBytes) return refuse('too-large', `${input.length} bytes > ${this.maxBytes}`)
      // gossip: the message-id function parsed these very bytes a moment ago
      const early = takeParsed(input)
      if (early !== undefined) {
        text = early.text
        value = early.value
        unique = true
      } else {
        try {
          text = utf8.decode(input)
        } catch {
          return refuse('bad-json', 'not UTF-8 text')
        }
      }
    } else if (typeof input === 'string') {
      text = input
      if (text.length > this.maxBytes) return refuse('too-large', `more than ${this.maxBytes} bytes`)
      if (text.length * 3 > this.maxBytes) {
        const n = utf8Length(text)
        if (n > this.maxBytes) return refuse('too-large', `${n} bytes > ${this.maxBytes}`)
      }
    } else if (typeof input === 'object' && input !== null) {
      // an object is judged as the JSON text it would travel as
      try {
        text = JSON.stringify(input)
      } catch (err) {
        return refuse('bad-json', `not serialisable as JSON: ${(err as Error).message}`)
      }
      if (typeof text !== 'string') return refuse('bad-json', 'not serialisable as JSON')
      const n = utf8Length(text)
      if (n > this.maxBytes) return refuse('too-large', `${n} bytes > ${this.maxBytes}`)
    } else {
      return refuse('bad-json', `expected bytes, text or an object, got ${input === null ? 'null' : typeof input}`)
    }

    if (value === undefined) {
      try {
        value = JSON.parse(text)
      } catch (err) {
        return refuse('bad-json', (err as Error).message)
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return refuse('bad-schema', 'an envelope is a JSON object', { path: '(envelope)' })
    }
    const env = value as Record<string, unknown>
    // before any schema or signature work, and before the member-name scan: copies and known
    // equivocators cost one map lookup (a copy is dropped whatever its text repeats)
    let conflict = false
    let slot: string | undefined
    const early = replayKey(env)
    if (early !== undefined) {
      if (this.equivocators.has(early.pubkey)) return refuse('equivocation', `${early.pubkey} signed two versions of one id`, { type: env.type, id: early.id, signer: early.pubkey })
      slot = replaySlot(early.pubkey, early.id)
      const seen = this.replay?.check(early.pubkey, early.id, early.signature, slot)
      if (seen === 'duplicate') return refuse('duplicate', `${early.id} already seen`, { type: env.type, id: early.id })
      conflict = seen === 'conflict'
    }
    if (!unique && hasDuplicateNames(text, value)) return refuse('bad-json', 'a member name is repeated in one object', { type: env.type, id: env.id })
    const type = env.type
    if (typeof type !== 'string') return refuse('bad-schema', 'type: must be a string', { id: env.id, path: 'type' })
    const row = this.types.get(type)
    if (row === undefined) return refuse('unknown-type', `unknown envelope type ${type.slice(0, 128)}`, { type, id: env.id })
    const expect = opts?.expectType
    if (expect !== undefined && (typeof expect === 'string' ? expect !== type : !expect.includes(type))) {
      return refuse('bad-schema', `type: expected ${typeof expect === 'string' ? expect : expect.join(' or ')}, got ${type}`, { type, id: env.id, path: 'type' })
    }
    if (row.maxBytes < this.maxBytes && text.length > row.maxBytes) {
      const n = utf8Length(text)
      if (n > row.maxBytes) return refuse('too-large', `${n} bytes > ${row.maxBytes} for ${type}`, { type, id: env.id })
    }

    // the compiled predicate accepts fast; zod decides (and explains) whatever it does not accept
    if (fastCheck(row)?.(env) !== true) {
      const parsed = row.schema.safeParse(env)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const path = formatPath(issue.path)
        return refuse('bad-schema', `${path}: ${issue.message}`, { type, id: env.id, path })
      }
    }
    const envelope = env as unknown as EnvelopeBase
    const at = { type, id: envelope.id }

    const sender = envelope.sender
    const key = this.senderKey(sender.pubkey)
    if (key === undefined) return refuse('key-mismatch', 'sender.pubkey is not an Ed25519 key', at)
    if (key.nodeId !== sender['node/id'] && this.bindKey?.(sender['node/id'], sender.pubkey, envelope) !== true) {
      return refuse('key-mismatch', `sender node/id ${sender['node/id'].slice(0, 128)} is not bound to ${sender.pubkey}`, at)
    }

    const now = this.now()
    const created = Date.parse(envelope['created-at'])
    if (created > now + this.skewMs) return refuse('from-future', `created-at ${envelope['created-at']} is ahead of this node's clock by more than ${this.skewMs / 1000} s`, at)
    if (opts?.checkExpiry !== false) {
      const expires = row.expiresAt?.(envelope)
      if (expires !== undefined && now > expires + this.skewMs) return refuse('expired', `expired at ${new Date(expires).toISOString()}`, at)
      const maxAge = opts?.maxAgeSec
      if (maxAge !== undefined && now > created + maxAge * 1000 + this.skewMs) return refuse('expired', `older than ${maxAge} s`, at)
    }

    const signature = decodeSignature(envelope.signature.value)
    if (signature === undefined) return refuse('bad-signature', 'signature.value is not 64 bytes of base64url', at)
    return {
      envelope,
      text,
      publicKey: key.publicKey,
      domain: row.domain,
      signature,
      conflict,
      slot
    }
  }

  private finish (p: Prepared, valid: boolean): Verdict {
    const at = { type: p.envelope.type, id: p.envelope.id }
    const pubkey = p.envelope.sender.pubkey
    if (!valid) return refuse('bad-signature', `signature does not verify under ${pubkey}`, at)
    if (this.replay !== undefined) {
      // asked again: an async verify may have let another copy in meanwhile
      const slot = p.slot ?? replaySlot(pubkey, p.envelope.id)
      const seen = this.replay.check(pubkey, p.envelope.id, p.envelope.signature.value, slot)
      if (seen === 'duplicate') return refuse('duplicate', `${p.envelope.id} already seen`, at)
      if (seen === 'conflict' || p.conflict) return this.equivocation(pubkey, p.envelope.id, at)
      this.replay.remember(pubkey, p.envelope.id, p.envelope.signature.value, slot)
    }
    const ok: Accepted = { ok: true, action: 'accept', envelope: p.envelope, text: p.text }
    return ok
  }

  private equivocation (pubkey: string, id: string, at: { type: string, id: string }): Refused {
    if (!this.equivocators.has(pubkey)) {
      this.equivocators.set(pubkey, true)
      try { this.onEquivocation?.(pubkey, id) } catch {}
    }
    return refuse('equivocation', `${pubkey} signed two versions of ${id}`, { ...at, signer: pubkey })
  }

  private senderKey (pubkey: string): SenderKey | undefined {
    let key = this.keys.get(pubkey)
    if (key === undefined) {
      const publicKey = parsePubkey(pubkey)
      if (publicKey === undefined) return undefined
      key = { publicKey, nodeId: nodeIdFromPublicKey(publicKey) }
      this.keys.set(pubkey, key)
    }
    return key
  }
}

/** The (sender key, id, signature) of a parsed object, when all three are short strings. */
function replayKey (env: Record<string, unknown>): { pubkey: string, id: string, signature: string } | undefined {
  const id = env.id
  const sender = env.sender as Record<string, unknown> | undefined
  const signature = env.signature as Record<string, unknown> | undefined
  if (typeof id !== 'string' || id.length > 128 || typeof sender !== 'object' || sender === null || typeof signature !== 'object' || signature === null) return undefined
  const pubkey = sender.pubkey
  const value = signature.value
  if (typeof pubkey !== 'string' || pubkey.length > 128 || typeof value !== 'string' || value.length > 128) return undefined
  return { pubkey, id, signature: value }
}
