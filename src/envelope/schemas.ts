// Written schemas (zod) for every envelope type. Keys follow the Orbiplex kebab/slash style.
// Top-level objects are strict (an unknown field is bad-schema: it would be signed but unread);
// free-form task payloads (`data`, `result`) are any JSON object.

import { z } from 'zod'
import { ULID } from './ids.ts'

export { ULID } from './ids.ts'
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function digits (s: string, at: number, n: number): number {
  let v = 0
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/** RFC 3339 in UTC (`Z`), seconds or finer, and a real calendar date. Hand-parsed: it runs on
 *  every envelope the validator sees. */
export function isTimestamp (text: string): boolean {
  const n = text.length
  if (n < 20 || n > 30 || text.charCodeAt(n - 1) !== 90 /* Z */) return false
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return false
  const y = digits(text, 0, 4)
  const mo = digits(text, 5, 2)
  const d = digits(text, 8, 2)
  const h = digits(text, 11, 2)
  const mi = digits(text, 14, 2)
  const sec = digits(text, 17, 2)
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return false
  if (n > 20) {
    // fractional seconds: '.' and 1 to 9 digits
    if (text[19] !== '.' || n < 22 || digits(text, 20, n - 21) < 0) return false
  }
  const leap = mo === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))
  return d <= DAYS[mo - 1] + (leap ? 1 : 0)
}

/** `2026-03-17T18:42:11Z`: second precision, as in the Orbiplex example. */
export function formatTimestamp (ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

import {
  CLAIM_MODES, CONTRIBUTION_KINDS, OPERATIONS, ORIGINS, OUTCOMES, PRESENCE_EVENTS, RESOLUTIONS, RISKS, ROLES, SCOPES, SCOPE_SYNONYMS, SUMMARY_STATUSES, URGENCIES
} from './vocabulary.ts'

export {
  CLAIM_MODES, CONTRIBUTION_KINDS, OPERATIONS, ORIGINS, OUTCOMES, PRESENCE_EVENTS, RESOLUTIONS, RISKS, ROLES, SCOPES, SCOPE_SYNONYMS, SUMMARY_STATUSES, URGENCIES
} from './vocabulary.ts'
export const VOTES = ['yes', 'no'] as const

export function normalizeScope (scope: string): typeof SCOPES[number] | undefined {
  return (SCOPES as readonly string[]).includes(scope) ? scope as typeof SCOPES[number] : SCOPE_SYNONYMS[scope]
}

// building blocks
export const timestamp = z.string().refine(isTimestamp, 'must be an RFC 3339 UTC timestamp (…Z)')
export const idOf = (kind: string): z.ZodString => z.string().regex(new RegExp(`^${kind}:${ULID}$`), `must be ${kind}:<ULID>`)
export const text = (max = 32_768): z.ZodString => z.string().min(1).max(max)
export const label = z.string().min(1).max(256)
export const labels = z.array(label).max(256)
export const unit = z.number().min(0).max(1)
export const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
/** libp2p peer id text (base58btc `12D3KooW…`/`Qm…`, or a base32 CID); checked loosely. */
export const peerId = z.string().regex(/^[A-Za-z0-9]{16,128}$/, 'must be a libp2p peer id')
export const nodeId = z.string().min(1).max(256)
export const jsonObject = z.record(z.string(), z.unknown())

export const sender = z.strictObject({
  'node/id': nodeId,
  'federation/id': z.string().min(1).max(256),
  pubkey: z.string().regex(/^ed25519:[0-9a-f]{64}$/, 'must be ed25519:<64 lowercase hex>')
})

// 64 bytes are 86 unpadded characters; the last carries 2 data bits, so only A, Q, g, w are canonical.
export const signature = z.strictObject({
  alg: z.literal('ed25519'),
  value: z.string().regex(/^base64url:[A-Za-z0-9_-]{85}[AQgw]$/, 'must be base64url:<86 chars> (64 bytes)')
})

export type Shape = Record<string, z.ZodType>

/** The full strict schema of an envelope type: common fields + its own. */
export function envelopeSchema<S extends Shape> (type: string, idKind: string, fields: S) {
  return z.strictObject({
    type: z.literal(type),
    id: idOf(idKind),
    sender,
    'created-at': timestamp,
    ...fields,
    signature
  })
}

/**
 * A task receipt, signed by the executor on its own (domain `swarm/task-receipt.v1`), so the
 * delegator's audit log keeps a small self-verifying record of what ran where, how jailed.
 */
export const taskReceipt = z.strictObject({
  'task/id': idOf('task'),
  'correlation-id': label,
  'task/type': label,
  'input-hash': z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex>'),
  'output-hash': z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex>'),
  isolation: label,
  'executed-by': nodeId,
  'started-at': timestamp,
  'finished-at': timestamp,
  'duration-ms': count,
  signature
})
export type TaskReceipt = z.infer<typeof taskReceipt>
/** An attachment, named by content id (CIDv1 sha2-256, base32) with its size and media type: the
 *  signature covers the id, so the bytes fetched beside the gossip (/swarm/blob/1.0.0, see
 *  docs/attachments.md) are the ones the sender meant. Optional on question, contribution,
 *  summary and task request; absent, those envelopes keep their exact shape. */
export const attachment = z.strictObject({
  cid: z.string().regex(/^b[a-z2-7]{58,60}$/, 'must be a base32 CIDv1 (sha2-256)'),
  size: count,
  'media-type': z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/, 'must be a media type like text/plain'),
  // no path, no controls (C0, DEL, C1), no bidi marks or overrides: shown to operators and saved
  // under, a name must read as what it is (`report\u202etxt.sh` shows as report…hs.txt)
  name: z.string().regex(/^[^/\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]{1,255}$/, 'must be a file name without a path or control characters').optional()
})
export const attachments = z.array(attachment).min(1).max(16).optional()
export type Attachment = z.infer<typeof attachment>
/** Most `previous` ids a channel envelope names (docs/channel-log.md). */
export const MAX_PREVIOUS = 8
/** The channel log's hash chain: ids of the latest channel envelopes its author had seen in the
 *  channel (at most MAX_PREVIOUS, no repeats), so a member can tell what it is missing. Optional:
 *  envelopes without it stay valid. */
export const previous = z.array(z.string().regex(new RegExp(`^(contribution|presence|claim|summary|close):${ULID}$`), 'must be a channel envelope id')).min(1).max(MAX_PREVIOUS)
  .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id').optional()

// type-specific fields, one shape per envelope type

const contentItem = z.strictObject({ text: text(), confidence: unit, sources: z.array(label).min(1).max(256) })

export const fields = {
  question: {
    'ttl-sec': z.number().int().min(1).max(30 * 24 * 3600),
    question: z.strictObject({ text: text(), tags: labels, urgency: z.enum(URGENCIES) }),
    delivery: z.strictObject({
      scope: z.enum([...SCOPES, 'private-to-swarm']),
      'response-channel/id': idOf('question'),
      'response-channel/mode': label,
      'follow-ups?': z.boolean().optional()
    }),
    filters: z.strictObject({
      'models/require': labels,
      'models/exclude': labels,
      'responder/min-reputation': unit,
      languages: labels
    }),
    reward: z.strictObject({ kind: label, amount: z.number().nullable() }),
    attachments
  },
  contribution: {
    'question/id': idOf('question'),
    previous,
    kind: z.enum(CONTRIBUTION_KINDS),
    text: text(),
    confidence: unit,
    sources: labels,
    'in-reply-to': idOf('contribution').optional(),
    origin: z.enum(ORIGINS),
    attachments
  },
  presence: {
    'question/id': idOf('question'),
    previous,
    event: z.enum(PRESENCE_EVENTS),
    role: z.enum(ROLES)
  },
  secretaryClaim: {
    'question/id': idOf('question'),
    previous,
    mode: z.enum(CLAIM_MODES),
    reason: z.string().max(4096),
    'asker/node-id': nodeId
  },
  summary: {
    'question/id': idOf('question'),
    previous,
    status: z.enum(SUMMARY_STATUSES),
    content: z.strictObject({
      facts: z.array(contentItem).max(256),
      hypotheses: z.array(contentItem).max(256),
      recommendations: z.array(contentItem).max(256),
      uncertainty: unit
    }),
    contributors: z.array(nodeId).max(1024),
    excluded: z.array(z.strictObject({ contribution: idOf('contribution'), reason: z.string().max(4096) })).max(1024),
    attachments
  },
  close: {
    'question/id': idOf('question'),
    previous,
    resolution: z.enum(RESOLUTIONS),
    accepted: z.array(idOf('contribution')).max(1024),
    'handed-off-to': label.optional(),
    note: z.string().max(4096).optional()
  },
  capabilityAdvert: {
    'peer/id': peerId,
    capabilities: labels,
    'task-types': labels,
    models: labels,
    languages: labels,
    'queue-length': count,
    running: count,
    sequence: count,
    'expires-at': timestamp,
    /** The python executor's isolation class (`bwrap`, `wasm`, `none`), when python is offered. */
    isolation: label.optional()
  },
  reflection: {
    category: label,
    description: text(),
    outcome: z.enum(OUTCOMES),
    recommendations: z.array(text(4096)).max(256),
    tags: labels
  },
  proposal: {
    file: text(1024),
    operation: z.enum(OPERATIONS),
    rationale: text(),
    risk: z.enum(RISKS),
    reasons: z.array(text(4096)).max(256),
    'content-hash': z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex>').nullable(),
    deadline: timestamp
  },
  vote: {
    'proposal/id': idOf('proposal'),
    vote: z.enum(VOTES),
    reason: z.string().max(4096)
  },
  taskRequest: {
    'correlation-id': label,
    'task/type': label,
    data: jsonObject,
    requirements: labels,
    deadline: timestamp,
    attachments
  },
  taskResponse: {
    'correlation-id': label,
    success: z.boolean(),
    result: jsonObject.optional(),
    error: z.strictObject({ code: label, message: z.string().max(4096) }).optional(),
    'executed-by': peerId,
    'duration-ms': z.number().min(0).max(Number.MAX_SAFE_INTEGER),
    receipt: taskReceipt.optional()
  }
} satisfies Record<string, Shape>

export const questionSchema = envelopeSchema('swarm/question', 'question', fields.question)
  .refine((e) => e.delivery['response-channel/id'] === e.id, { message: 'must equal id', path: ['delivery', 'response-channel/id'] })
export const contributionSchema = envelopeSchema('swarm/contribution', 'contribution', fields.contribution)
export const presenceSchema = envelopeSchema('swarm/presence', 'presence', fields.presence)
export const secretaryClaimSchema = envelopeSchema('swarm/secretary-claim', 'claim', fields.secretaryClaim)
export const summarySchema = envelopeSchema('swarm/summary', 'summary', fields.summary)
export const closeSchema = envelopeSchema('swarm/close', 'close', fields.close)
export const capabilityAdvertSchema = envelopeSchema('swarm/capability-advert', 'advert', fields.capabilityAdvert)
export const reflectionSchema = envelopeSchema('swarm/reflection', 'reflection', fields.reflection)
export const proposalSchema = envelopeSchema('swarm/proposal', 'proposal', fields.proposal)
export const voteSchema = envelopeSchema('swarm/vote', 'vote', fields.vote)
export const taskRequestSchema = envelopeSchema('swarm/task-request', 'task', fields.taskRequest)
export const taskResponseSchema = envelopeSchema('swarm/task-response', 'task-result', fields.taskResponse)
  .superRefine((e, ctx) => {
    // an outcome is either a result or an error, never both
    if (e.success && e.error !== undefined) ctx.addIssue({ code: 'custom', message: 'must be absent when success is true', path: ['error'] })
    if (!e.success && e.error === undefined) ctx.addIssue({ code: 'custom', message: 'is required when success is false', path: ['error'] })
    if (!e.success && e.result !== undefined) ctx.addIssue({ code: 'custom', message: 'must be absent when success is false', path: ['result'] })
  })

export type QuestionEnvelope = z.infer<typeof questionSchema>
export type ContributionEnvelope = z.infer<typeof contributionSchema>
export type PresenceEnvelope = z.infer<typeof presenceSchema>
export type SecretaryClaimEnvelope = z.infer<typeof secretaryClaimSchema>
export type SummaryEnvelope = z.infer<typeof summarySchema>
export type CloseEnvelope = z.infer<typeof closeSchema>
export type CapabilityAdvertEnvelope = z.infer<typeof capabilityAdvertSchema>
export type ReflectionEnvelope = z.infer<typeof reflectionSchema>
export type ProposalEnvelope = z.infer<typeof proposalSchema>
export type VoteEnvelope = z.infer<typeof voteSchema>
export type TaskRequestEnvelope = z.infer<typeof taskRequestSchema>
export type TaskResponseEnvelope = z.infer<typeof taskResponseSchema>
export type SummaryItem = z.infer<typeof contentItem>
