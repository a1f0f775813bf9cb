// The reflection record: what a node learned from one piece of work, kept locally or received
// from the swarm. Validation here is the single gate for both `reflect add` input and records
// imported from peers (which may be hostile), so every limit is enforced in one place.

import { newId } from '../envelope/build.ts'
import { BadOutcomeError, BadReflectionError } from './errors.ts'
import { idPattern } from '../envelope/ids.ts'

export type Outcome = 'success' | 'failure'
export type ReflectionSource = 'local' | 'swarm'
/** `local`: this node's own use only; `shared`: may be served within `scope` (DESIGN.md "What leaves a node"). */
export type Visibility = 'local' | 'shared'

/**
 * Where a reflection may be served once shared: to members of `federation`, and, for one
 * learned from a private question, only to that question's `recipients` (asker included).
 */
export interface ReflectionScope {
  federation: string
  question?: string
  recipients?: string[]
}

export interface ReflectionRecord {
  id: string
  category: string
  description: string
  outcome: Outcome
  recommendations: string[]
  tags: string[]
  createdAt: string
  author: string
  signature: string | null
  source: ReflectionSource
  provenance: string[]
  /** Missing on records written before visibility existed: read as `local` unless imported (see visibilityOf). */
  visibility?: Visibility
  scope?: ReflectionScope
  envelope?: object
}

/** A stored record's visibility: imported ones count as shared within the scope they came from. */
export function visibilityOf (r: Pick<ReflectionRecord, 'visibility' | 'source'>): Visibility {
  return r.visibility ?? (r.source === 'swarm' ? 'shared' : 'local')
}

/** What `reflect add` accepts; everything but description and outcome has a default. */
export interface ReflectionInput {
  id?: string
  category?: string
  description: string
  outcome: string
  recommendations?: string[]
  tags?: string[]
  createdAt?: string
}

export const MAX_DESCRIPTION_BYTES = 8 * 1024
export const MAX_RECOMMENDATION_BYTES = 8 * 1024
export const MAX_RECOMMENDATIONS = 32
export const MAX_TAGS = 32
export const MAX_TAG_CHARS = 64
export const MAX_PROVENANCE = 32
export const MAX_NODE_ID_CHARS = 256
export const DEFAULT_CATEGORY = 'general'

const ID_RE = idPattern('reflection')
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
// `!` separates the parts of index keys and whitespace/control characters make tags unreadable.
const TAG_FORBIDDEN_RE = /[!\p{Cc}]/u

/** A fresh `reflection:<ULID>`; monotonic so ids made in one millisecond still sort by creation. */
export function newReflectionId (): string {
  return newId('reflection')
}

export function isReflectionId (id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id)
}

export function normalizeOutcome (input: unknown): Outcome {
  if (typeof input === 'string') {
    const v = input.trim().toLowerCase()
    if (v === 'success' || v === 'successful') return 'success'
    if (v === 'failure' || v === 'failed') return 'failure'
  }
  throw new BadOutcomeError(input)
}

/** Lowercased, trimmed, inner whitespace runs become `-` ("Error Handling" → "error-handling").
 *  A provenance tag `shared_from_<node id>` keeps its node id exactly: did:key ids are
 *  case-sensitive base58, and users match the tag against the id `swarm id` prints. */
export function normalizeTag (input: string): string {
  const t = input.trim()
  if (/^shared_from_/i.test(t)) return `shared_from_${t.slice('shared_from_'.length).replace(/\s+/g, '-')}`
  return t.toLowerCase().replace(/\s+/g, '-')
}

function checkTag (raw: unknown, field: string): string {
  if (typeof raw !== 'string') throw new BadReflectionError(field, 'must be a string')
  const tag = normalizeTag(raw)
  if (tag === '') throw new BadReflectionError(field, 'must not be empty')
  if (tag.length > MAX_TAG_CHARS) throw new BadReflectionError(field, `must be at most ${MAX_TAG_CHARS} characters`)
  if (TAG_FORBIDDEN_RE.test(tag)) throw new BadReflectionError(field, 'must not contain "!" or control characters')
  return tag
}

function checkText (raw: unknown, field: string, maxBytes: number): string {
  if (typeof raw !== 'string') throw new BadReflectionError(field, 'must be a string')
  const text = raw.trim()
  if (text === '') throw new BadReflectionError(field, 'must not be empty')
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new BadReflectionError(field, `must be at most ${maxBytes} bytes`)
  return text
}

function checkList (raw: unknown, field: string, max: number): unknown[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw new BadReflectionError(field, 'must be an array of strings')
  if (raw.length > max) throw new BadReflectionError(field, `must have at most ${max} entries`)
  return raw
}

export function normalizeTags (raw: unknown): string[] {
  const tags = checkList(raw, 'tags', MAX_TAGS).map((t, i) => checkTag(t, `tags[${i}]`))
  return [...new Set(tags)]
}

export function normalizeCategory (raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_CATEGORY
  return checkTag(raw, 'category')
}

function checkTimestamp (raw: unknown, field: string): string {
  if (typeof raw !== 'string' || !RFC3339_RE.test(raw) || Number.isNaN(Date.parse(raw))) {
    throw new BadReflectionError(field, 'must be an RFC 3339 timestamp')
  }
  return raw
}

function checkNodeId (raw: unknown, field: string): string {
  if (typeof raw !== 'string' || raw === '' || raw.length > MAX_NODE_ID_CHARS) {
    throw new BadReflectionError(field, `must be a node id of 1..${MAX_NODE_ID_CHARS} characters`)
  }
  return raw
}

/** The content fields shared by `add` input and imported records, checked and normalized. */
export function validateContent (input: unknown): Pick<ReflectionRecord, 'category' | 'description' | 'outcome' | 'recommendations' | 'tags'> {
  if (input === null || typeof input !== 'object') throw new BadReflectionError('input', 'must be an object')
  const o = input as Record<string, unknown>
  if (o.description === undefined) throw new BadReflectionError('description', 'is required')
  return {
    description: checkText(o.description, 'description', MAX_DESCRIPTION_BYTES),
    outcome: normalizeOutcome(o.outcome),
    category: normalizeCategory(o.category),
    tags: normalizeTags(o.tags),
    recommendations: checkList(o.recommendations, 'recommendations', MAX_RECOMMENDATIONS)
      .map((r, i) => checkText(r, `recommendations[${i}]`, MAX_RECOMMENDATION_BYTES))
  }
}

export interface RecordOrigin {
  author: string
  signature?: string | null
  envelope?: object
  source?: ReflectionSource
  provenance?: string[]
  visibility?: Visibility
  scope?: ReflectionScope
}

/** A new record from `add` input: fresh id and timestamp unless the input carries them. */
export function createRecord (input: ReflectionInput, origin: RecordOrigin): ReflectionRecord {
  const content = validateContent(input)
  if (input.id !== undefined && !isReflectionId(input.id)) throw new BadReflectionError('id', 'must be reflection:<ULID>')
  return withOrigin({
    id: input.id ?? newReflectionId(),
    ...content,
    createdAt: input.createdAt === undefined ? new Date().toISOString() : checkTimestamp(input.createdAt, 'createdAt')
  }, origin)
}

/** Checks a whole record as received from a peer (or read back from an export). */
export function validateRecord (raw: unknown): ReflectionRecord {
  const content = validateContent(raw)
  const o = raw as Record<string, unknown>
  if (!isReflectionId(o.id)) throw new BadReflectionError('id', 'must be reflection:<ULID>')
  if (o.signature !== undefined && o.signature !== null && typeof o.signature !== 'string') {
    throw new BadReflectionError('signature', 'must be a string or null')
  }
  if (o.envelope !== undefined && (o.envelope === null || typeof o.envelope !== 'object' || Array.isArray(o.envelope))) {
    throw new BadReflectionError('envelope', 'must be an object')
  }
  if (o.source !== undefined && o.source !== 'local' && o.source !== 'swarm') {
    throw new BadReflectionError('source', 'must be local or swarm')
  }
  if (o.visibility !== undefined && o.visibility !== 'local' && o.visibility !== 'shared') {
    throw new BadReflectionError('visibility', 'must be local or shared')
  }
  const provenance = checkList(o.provenance, 'provenance', MAX_PROVENANCE)
    .map((p, i) => checkText(p, `provenance[${i}]`, MAX_NODE_ID_CHARS + 32))
  return withOrigin({ id: o.id, ...content, createdAt: checkTimestamp(o.createdAt, 'createdAt') }, {
    author: checkNodeId(o.author, 'author'),
    signature: (o.signature as string | null | undefined) ?? null,
    envelope: o.envelope as object | undefined,
    source: (o.source as ReflectionSource | undefined) ?? 'local',
    provenance,
    visibility: o.visibility as Visibility | undefined,
    scope: o.scope === undefined ? undefined : checkScope(o.scope)
  })
}

function checkScope (raw: unknown): ReflectionScope {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadReflectionError('scope', 'must be an object')
  const o = raw as Record<string, unknown>
  const scope: ReflectionScope = { federation: checkNodeId(o.federation, 'scope.federation') }
  if (o.question !== undefined) scope.question = checkNodeId(o.question, 'scope.question')
  if (o.recipients !== undefined) {
    scope.recipients = checkList(o.recipients, 'scope.recipients', MAX_PROVENANCE * 8).map((r, i) => checkNodeId(r, `scope.recipients[${i}]`))
  }
  return scope
}

function withOrigin (base: Omit<ReflectionRecord, 'author' | 'signature' | 'source' | 'provenance' | 'envelope'>, origin: RecordOrigin): ReflectionRecord {
  const record: ReflectionRecord = {
    ...base,
    author: checkNodeId(origin.author, 'author'),
    signature: origin.signature ?? null,
    source: origin.source ?? 'local',
    provenance: origin.provenance ?? []
  }
  if (origin.visibility !== undefined) record.visibility = origin.visibility
  if (origin.scope !== undefined) record.scope = origin.scope
  if (origin.envelope !== undefined) record.envelope = origin.envelope
  return record
}

/** The provenance entry and tag an imported reflection carries: `shared_from_<node id>`. */
export function sharedFrom (nodeId: string): string {
  return `shared_from_${nodeId}`
}
