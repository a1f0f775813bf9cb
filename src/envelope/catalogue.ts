// The envelope catalogue: one row per type (schema, signing domain, id kind, size cap, expiry
// rule). The validator and the builders read only this table, so a new type (membership
// certificates, …) is one `defineEnvelopeType` call.

import type { z } from 'zod'
import { MAX_ENVELOPE_BYTES } from '../constants.ts'
import { domainOf } from './codec.ts'
import * as s from './schemas.ts'

export interface EnvelopeType {
  /** `swarm/question` */
  type: string
  /** Id prefix: ids are `<idKind>:<ULID>`. */
  idKind: string
  /** Signing domain tag: `<type>.v1`. */
  domain: string
  schema: z.ZodType
  /** Largest JSON text accepted for this type (bytes). */
  maxBytes: number
  /** When the envelope stops being valid by itself (ms since epoch), or undefined if never. */
  expiresAt?: (envelope: any) => number
  /** Its id must be bound to its signer's key (bound-id.ts): the types the channel log keys by id. */
  boundId?: boolean
}

export interface EnvelopeTypeInit extends Omit<EnvelopeType, 'domain' | 'maxBytes'> {
  domain?: string
  maxBytes?: number
}

export const catalogue = new Map<string, EnvelopeType>()

/** Adds (or replaces) a row of the catalogue. */
export function defineEnvelopeType (init: EnvelopeTypeInit): EnvelopeType {
  const row: EnvelopeType = { ...init, domain: init.domain ?? domainOf(init.type), maxBytes: init.maxBytes ?? MAX_ENVELOPE_BYTES }
  catalogue.set(row.type, row)
  return row
}

export function envelopeType (type: string): EnvelopeType | undefined {
  return catalogue.get(type)
}

const questionExpiry = (e: s.QuestionEnvelope): number => Date.parse(e['created-at']) + e['ttl-sec'] * 1000

defineEnvelopeType({ type: 'swarm/question', idKind: 'question', schema: s.questionSchema, expiresAt: questionExpiry, boundId: true })
defineEnvelopeType({ type: 'swarm/contribution', idKind: 'contribution', schema: s.contributionSchema, boundId: true })
defineEnvelopeType({ type: 'swarm/presence', idKind: 'presence', schema: s.presenceSchema, boundId: true })
defineEnvelopeType({ type: 'swarm/secretary-claim', idKind: 'claim', schema: s.secretaryClaimSchema, boundId: true })
defineEnvelopeType({ type: 'swarm/summary', idKind: 'summary', schema: s.summarySchema, boundId: true })
defineEnvelopeType({ type: 'swarm/close', idKind: 'close', schema: s.closeSchema, boundId: true })
defineEnvelopeType({ type: 'swarm/capability-advert', idKind: 'advert', schema: s.capabilityAdvertSchema, expiresAt: (e: s.CapabilityAdvertEnvelope) => Date.parse(e['expires-at']) })
defineEnvelopeType({ type: 'swarm/reflection', idKind: 'reflection', schema: s.reflectionSchema })
// bound: a voter keeps one proposal per id, so a copy of an id under another key must not take it
defineEnvelopeType({ type: 'swarm/proposal', idKind: 'proposal', schema: s.proposalSchema, expiresAt: (e: s.ProposalEnvelope) => Date.parse(e.deadline), boundId: true })
defineEnvelopeType({ type: 'swarm/vote', idKind: 'vote', schema: s.voteSchema })
defineEnvelopeType({ type: 'swarm/task-request', idKind: 'task', schema: s.taskRequestSchema })
defineEnvelopeType({ type: 'swarm/task-response', idKind: 'task-result', schema: s.taskResponseSchema })

/** Type names of the built-in envelopes, for documentation and tests. */
export const ENVELOPE_TYPES = [...catalogue.keys()]
