// Builders: one small function per envelope type, all through buildEnvelope, which stamps the
// common fields (type, id `<kind>:<ULID>`, sender, created-at) and signs.

import { monotonicFactory, ulid } from 'ulid'
import { SwarmError } from '../errors.ts'
import { envelopeType } from './catalogue.ts'
import { formatTimestamp, isTimestamp, normalizeScope } from './schemas.ts'
import type * as s from './schemas.ts'
import { senderOf, signEnvelope } from './sign.ts'
import { boundUlid } from './bound-id.ts'
import type { EnvelopeBase, Signer } from './types.ts'

export type TimeInput = string | number | Date

export interface BuildOptions {
  /** Defaults to now. */
  createdAt?: TimeInput
  /** Defaults to `<kind>:<ULID of created-at>`. */
  id?: string
  /** A channel envelope's `previous` ids (the channel log's chain); empty leaves the field out. */
  previous?: readonly string[]
}

// Randomness for ids from a pooled buffer: the ulid package otherwise asks WebCrypto for one
// byte at a time (16 calls per id), which cost more than signing on the task hot path. One
// monotonic source for every part, so ids made in one millisecond still sort by creation.
const pool = new Uint8Array(4096)
let poolAt = pool.length
function pooledRandom (): number {
  if (poolAt >= pool.length) { globalThis.crypto.getRandomValues(pool); poolAt = 0 }
  return pool[poolAt++] / 256
}
const nextUlid = monotonicFactory(pooledRandom)

/** RFC 3339 UTC text from a Date, ms since epoch, or RFC 3339 text (kept as written). */
export function toTimestamp (t: TimeInput): string {
  if (typeof t === 'string') {
    if (!isTimestamp(t)) throw new SwarmError('bad-schema', `not an RFC 3339 UTC timestamp: ${t}`)
    return t
  }
  const ms = typeof t === 'number' ? t : t.getTime()
  if (!Number.isFinite(ms)) throw new SwarmError('bad-schema', 'not a valid time')
  return formatTimestamp(ms)
}

/** A fresh id; with `publicKey`, bound to that signer (bound-id.ts), as the channel log's types need. */
export function newId (kind: string, ms?: number, publicKey?: Uint8Array): string {
  if (publicKey !== undefined) return `${kind}:${boundUlid(publicKey, ms ?? Date.now(), pooledRandom)}`
  return `${kind}:${ms === undefined ? nextUlid() : ulid(ms, pooledRandom)}`
}

/** Builds and signs any catalogued envelope. `fields` may depend on the id (a question's channel). */
export function buildEnvelope<E extends EnvelopeBase> (type: string, fields: Record<string, unknown> | ((id: string) => Record<string, unknown>), signer: Signer, opts: BuildOptions = {}): E {
  const row = envelopeType(type)
  if (row === undefined) throw new SwarmError('unknown-type', `unknown envelope type ${type}`)
  const now = Date.now()
  const createdAt = opts.createdAt === undefined ? formatTimestamp(now) : toTimestamp(opts.createdAt)
  const id = opts.id ?? (row.boundId === true
    ? newId(row.idKind, opts.createdAt === undefined ? now : Date.parse(createdAt), signer.publicKey)
    : newId(row.idKind, opts.createdAt === undefined ? undefined : Date.parse(createdAt)))
  const own = typeof fields === 'function' ? fields(id) : fields
  const unsigned: Record<string, unknown> = { type, id, sender: senderOf(signer), 'created-at': createdAt }
  // optional fields left undefined are omitted, as they would be in the JSON text
  for (const [k, v] of Object.entries(own)) if (v !== undefined) unsigned[k] = v
  if (opts.previous !== undefined && opts.previous.length > 0) unsigned.previous = [...opts.previous]
  return signEnvelope(unsigned as { type: string }, signer) as unknown as E
}

/** An empty attachment list is left out, so an envelope without attachments keeps its shape. */
function nonEmpty<T> (list: T[] | undefined): T[] | undefined {
  return list === undefined || list.length === 0 ? undefined : list
}

const CHANNEL_MODE: Record<string, string> = {
  private: 'private',
  'federation-local': 'federation',
  'cross-federation': 'cross-federation',
  global: 'global'
}

export interface QuestionInit {
  text: string
  scope?: string
  ttlSec?: number
  urgency?: typeof s.URGENCIES[number]
  tags?: string[]
  followUps?: boolean
  requireModels?: string[]
  excludeModels?: string[]
  minReputation?: number
  languages?: string[]
  createdAt?: TimeInput
  /** Defaults from the scope: federation-local → `federation`, private → `private`, … */
  responseChannelMode?: string
  reward?: { kind: string, amount: number | null }
  /** Named by content id; absent or empty leaves the field out (the seed shape). */
  attachments?: s.Attachment[]
}

export function buildQuestion (signer: Signer, q: QuestionInit, opts: BuildOptions = {}): s.QuestionEnvelope {
  const scope = normalizeScope(q.scope ?? 'federation-local')
  if (scope === undefined) throw new SwarmError('bad-schema', `unknown scope ${String(q.scope)}`, { detail: { path: 'delivery.scope' } })
  return buildEnvelope<s.QuestionEnvelope>('swarm/question', (id) => ({
    'ttl-sec': q.ttlSec ?? 1800,
    question: { text: q.text, tags: q.tags ?? [], urgency: q.urgency ?? 'normal' },
    delivery: {
      scope,
      'response-channel/id': id,
      'response-channel/mode': q.responseChannelMode ?? CHANNEL_MODE[scope],
      'follow-ups?': q.followUps ?? true
    },
    filters: {
      'models/require': q.requireModels ?? [],
      'models/exclude': q.excludeModels ?? [],
      'responder/min-reputation': q.minReputation ?? 0,
      languages: q.languages ?? []
    },
    reward: q.reward ?? { kind: 'none', amount: null },
    attachments: nonEmpty(q.attachments)
  }), signer, { ...opts, createdAt: opts.createdAt ?? q.createdAt })
}

export interface ContributionInit {
  questionId: string
  kind: typeof s.CONTRIBUTION_KINDS[number]
  text: string
  confidence: number
  sources?: string[]
  inReplyTo?: string
  origin?: typeof s.ORIGINS[number]
  attachments?: s.Attachment[]
}

export function buildContribution (signer: Signer, c: ContributionInit, opts?: BuildOptions): s.ContributionEnvelope {
  return buildEnvelope('swarm/contribution', {
    'question/id': c.questionId,
    kind: c.kind,
    text: c.text,
    confidence: c.confidence,
    sources: c.sources ?? [],
    'in-reply-to': c.inReplyTo,
    origin: c.origin ?? 'node-generated',
    attachments: nonEmpty(c.attachments)
  }, signer, opts)
}

export interface PresenceInit {
  questionId: string
  event: typeof s.PRESENCE_EVENTS[number]
  role: typeof s.ROLES[number]
}

export function buildPresence (signer: Signer, p: PresenceInit, opts?: BuildOptions): s.PresenceEnvelope {
  return buildEnvelope('swarm/presence', { 'question/id': p.questionId, event: p.event, role: p.role }, signer, opts)
}

export interface SecretaryClaimInit {
  questionId: string
  mode: typeof s.CLAIM_MODES[number]
  reason?: string
  askerNodeId: string
}

export function buildSecretaryClaim (signer: Signer, c: SecretaryClaimInit, opts?: BuildOptions): s.SecretaryClaimEnvelope {
  return buildEnvelope('swarm/secretary-claim', { 'question/id': c.questionId, mode: c.mode, reason: c.reason ?? '', 'asker/node-id': c.askerNodeId }, signer, opts)
}

export interface SummaryInit {
  questionId: string
  status: typeof s.SUMMARY_STATUSES[number]
  facts?: s.SummaryItem[]
  hypotheses?: s.SummaryItem[]
  recommendations?: s.SummaryItem[]
  uncertainty: number
  contributors?: string[]
  excluded?: Array<{ contribution: string, reason: string }>
  attachments?: s.Attachment[]
}

export function buildSummary (signer: Signer, m: SummaryInit, opts?: BuildOptions): s.SummaryEnvelope {
  return buildEnvelope('swarm/summary', {
    'question/id': m.questionId,
    status: m.status,
    content: { facts: m.facts ?? [], hypotheses: m.hypotheses ?? [], recommendations: m.recommendations ?? [], uncertainty: m.uncertainty },
    contributors: m.contributors ?? [],
    excluded: m.excluded ?? [],
    attachments: nonEmpty(m.attachments)
  }, signer, opts)
}

export interface CloseInit {
  questionId: string
  resolution: typeof s.RESOLUTIONS[number]
  accepted?: string[]
  handedOffTo?: string
  note?: string
}

export function buildClose (signer: Signer, c: CloseInit, opts?: BuildOptions): s.CloseEnvelope {
  return buildEnvelope('swarm/close', {
    'question/id': c.questionId,
    resolution: c.resolution,
    accepted: c.accepted ?? [],
    'handed-off-to': c.handedOffTo,
    note: c.note
  }, signer, opts)
}

export interface CapabilityAdvertInit {
  peerId: string
  capabilities?: string[]
  taskTypes?: string[]
  models?: string[]
  languages?: string[]
  queueLength?: number
  running?: number
  sequence: number
  /** The python executor's isolation class, when python-computation is offered. */
  isolation?: string
  /** Absolute expiry, else created-at + ttlSec (default 300 s). */
  expiresAt?: TimeInput
  ttlSec?: number
}

export function buildCapabilityAdvert (signer: Signer, a: CapabilityAdvertInit, opts: BuildOptions = {}): s.CapabilityAdvertEnvelope {
  const base = opts.createdAt === undefined ? Date.now() : Date.parse(toTimestamp(opts.createdAt))
  return buildEnvelope('swarm/capability-advert', {
    'peer/id': a.peerId,
    capabilities: a.capabilities ?? [],
    'task-types': a.taskTypes ?? [],
    models: a.models ?? [],
    languages: a.languages ?? [],
    'queue-length': a.queueLength ?? 0,
    running: a.running ?? 0,
    sequence: a.sequence,
    'expires-at': toTimestamp(a.expiresAt ?? base + (a.ttlSec ?? 300) * 1000),
    ...(a.isolation === undefined ? {} : { isolation: a.isolation })
  }, signer, opts)
}

export interface ReflectionInit {
  category: string
  description: string
  outcome: typeof s.OUTCOMES[number]
  recommendations?: string[]
  tags?: string[]
}

export function buildReflection (signer: Signer, r: ReflectionInit, opts?: BuildOptions): s.ReflectionEnvelope {
  return buildEnvelope('swarm/reflection', {
    category: r.category,
    description: r.description,
    outcome: r.outcome,
    recommendations: r.recommendations ?? [],
    tags: r.tags ?? []
  }, signer, opts)
}

export interface ProposalInit {
  file: string
  operation: typeof s.OPERATIONS[number]
  rationale: string
  risk: typeof s.RISKS[number]
  reasons?: string[]
  /** `sha256:<hex>` of the proposed content, null for a delete. */
  contentHash: string | null
  deadline: TimeInput
}

export function buildProposal (signer: Signer, p: ProposalInit, opts?: BuildOptions): s.ProposalEnvelope {
  return buildEnvelope('swarm/proposal', {
    file: p.file,
    operation: p.operation,
    rationale: p.rationale,
    risk: p.risk,
    reasons: p.reasons ?? [],
    'content-hash': p.contentHash,
    deadline: toTimestamp(p.deadline)
  }, signer, opts)
}

export interface VoteInit {
  proposalId: string
  vote: typeof s.VOTES[number]
  reason?: string
}

export function buildVote (signer: Signer, v: VoteInit, opts?: BuildOptions): s.VoteEnvelope {
  return buildEnvelope('swarm/vote', { 'proposal/id': v.proposalId, vote: v.vote, reason: v.reason ?? '' }, signer, opts)
}

export interface TaskRequestInit {
  correlationId: string
  taskType: string
  data: Record<string, unknown>
  requirements?: string[]
  deadline: TimeInput
  attachments?: s.Attachment[]
}

export function buildTaskRequest (signer: Signer, t: TaskRequestInit, opts?: BuildOptions): s.TaskRequestEnvelope {
  return buildEnvelope('swarm/task-request', {
    'correlation-id': t.correlationId,
    'task/type': t.taskType,
    data: t.data,
    requirements: t.requirements ?? [],
    deadline: toTimestamp(t.deadline),
    attachments: nonEmpty(t.attachments)
  }, signer, opts)
}

export interface TaskResponseInit {
  correlationId: string
  success: boolean
  result?: Record<string, unknown>
  error?: { code: string, message: string }
  executedBy: string
  durationMs: number
  receipt?: s.TaskReceipt
}

export function buildTaskResponse (signer: Signer, t: TaskResponseInit, opts?: BuildOptions): s.TaskResponseEnvelope {
  return buildEnvelope('swarm/task-response', {
    'correlation-id': t.correlationId,
    success: t.success,
    result: t.result,
    error: t.error,
    'executed-by': t.executedBy,
    'duration-ms': t.durationMs,
    ...(t.receipt === undefined ? {} : { receipt: t.receipt })
  }, signer, opts)
}
