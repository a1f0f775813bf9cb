// Knowledge queries over /swarm/knowledge/1.0.0: one request frame `{query, limit, federation}`,
// one reply frame `{items, from}` with the responder's curated top reflections, each item
// `{id, score, envelope}`: the reflection's signed `swarm/reflection` envelope, which the asker
// verifies and reads the reflection from, so a responder can neither change a reflection's text
// nor credit it to another author (issue 15 item 6). The asker checks each
// reply against hard bounds, scales each source's BM25 scores by its own top score (scores of
// different corpora are not comparable), and merges them with its local results: one entry per
// reflection id, the best-scoring copy kept and every node that returned it listed.

import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_KNOWLEDGE } from '../constants.ts'
import { SwarmError } from '../errors.ts'
import type { SwarmLibp2p } from '../net/node.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../net/rpc.ts'
import {
  KNOWLEDGE_HANDLER_TIMEOUT_MS, KNOWLEDGE_MAX_INBOUND_STREAMS, MAX_ITEM_DESCRIPTION_BYTES, MAX_ITEM_RECOMMENDATION_BYTES,
  MAX_ITEM_RECOMMENDATIONS, MAX_ITEM_TAG_CHARS, MAX_ITEM_TAGS, MAX_KNOWLEDGE_ITEMS, MAX_KNOWLEDGE_REPLY_BYTES,
  MAX_KNOWLEDGE_REQUEST_BYTES, MAX_QUERY_CHARS
} from './constants.ts'
import type { ReflectionEnvelope } from '../envelope/index.ts'
import { isReflectionId, type Outcome } from './model.ts'

/** `federation`: the asker's own (its word is what membership is in an open federation; admission checks it in a closed one). */
export interface KnowledgeRequest { query: string, limit: number, federation?: string }

/** Reads a reflection envelope and returns it if its signature and schema hold (else undefined). */
export type VerifyReflection = (envelope: unknown) => ReflectionEnvelope | undefined

/** One reflection of an answer, read from its verified envelope (or from the local store). */
export interface KnowledgeWireItem {
  id: string
  description: string
  outcome: Outcome
  tags: string[]
  /** The responder's own BM25 score (only comparable within its reply). */
  score: number
  recommendations?: string[]
  /** The node that wrote the reflection (the responder may have it from the swarm). */
  author?: string
  /** The signed envelope it was read from (remote items always have one). */
  envelope?: object
}

/** An item as it travels. */
export interface KnowledgeReplyItem { id: string, score: number, envelope: object }

export interface KnowledgeReply { items: KnowledgeReplyItem[], from: string }

/** A merged result: `from` is the node whose copy ranked best (this node for local ones). */
export interface KnowledgeResult {
  id: string
  description: string
  outcome: Outcome
  tags: string[]
  /** Scaled to the source's top score: 1 is the best match a source had, 0 < score ≤ 1. */
  score: number
  from: string
  recommendations: string[]
  author: string | null
  /** Every node that returned this reflection (the best first). */
  sources: string[]
}

export interface KnowledgeSource { from: string, items: KnowledgeWireItem[] }

const utf8 = new TextEncoder()
const bytesOf = (s: string): number => utf8.encode(s).length

/** Reads and bounds a request frame; throws `bad-request`. */
export function parseKnowledgeRequest (bytes: Uint8Array): KnowledgeRequest {
  if (bytes.length > MAX_KNOWLEDGE_REQUEST_BYTES) throw new SwarmError('too-large', `knowledge request over ${MAX_KNOWLEDGE_REQUEST_BYTES} bytes`)
  const body = decodeJson(bytes) as Record<string, unknown> | null
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SwarmError('bad-request', 'a knowledge request is {"query", "limit"}')
  const { query, limit, federation } = body
  if (federation !== undefined && (typeof federation !== 'string' || !/^fed:[A-Za-z0-9._-]{1,64}$/.test(federation))) throw new SwarmError('bad-request', 'federation must be a federation id like fed:name')
  if (typeof query !== 'string' || query.trim() === '' || query.length > MAX_QUERY_CHARS) throw new SwarmError('bad-request', `query must be text of 1..${MAX_QUERY_CHARS} characters`)
  const n = limit === undefined ? MAX_KNOWLEDGE_ITEMS : limit
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new SwarmError('bad-request', 'limit must be a positive integer')
  const req: KnowledgeRequest = { query, limit: Math.min(n, MAX_KNOWLEDGE_ITEMS) }
  if (federation !== undefined) req.federation = federation as string
  return req
}

/**
 * One reply item: its envelope must verify, be the reflection the item names, and stay within
 * the item bounds; everything shown is read from the envelope, never from the item's own fields.
 */
function checkItem (raw: unknown, verify: VerifyReflection): KnowledgeWireItem | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const o = raw as Record<string, unknown>
  if (!isReflectionId(o.id)) return undefined
  if (typeof o.score !== 'number' || !Number.isFinite(o.score) || o.score < 0) return undefined
  const env = verify(o.envelope)
  if (env === undefined || env.id !== o.id) return undefined
  if (env.outcome !== 'success' && env.outcome !== 'failure') return undefined
  if (bytesOf(env.description) > MAX_ITEM_DESCRIPTION_BYTES) return undefined
  if (env.tags.length > MAX_ITEM_TAGS || !env.tags.every((t) => t.length <= MAX_ITEM_TAG_CHARS)) return undefined
  if (env.recommendations.length > MAX_ITEM_RECOMMENDATIONS || !env.recommendations.every((x) => bytesOf(x) <= MAX_ITEM_RECOMMENDATION_BYTES)) return undefined
  return {
    id: env.id,
    description: env.description,
    outcome: env.outcome,
    tags: [...env.tags],
    score: o.score,
    recommendations: [...env.recommendations],
    author: env.sender['node/id'],
    envelope: env
  }
}

/**
 * Checks a peer's reply: it must name the connected peer as `from` and hold at most
 * `MAX_KNOWLEDGE_ITEMS` items (else the whole reply is dropped); items whose envelope does not
 * verify or is outside the bounds are dropped one by one, and so are repeated ids.
 */
export function parseKnowledgeReply (value: unknown, expectedFrom: string, verify: VerifyReflection): { items: KnowledgeWireItem[], dropped: number } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SwarmError('bad-reply', 'a knowledge reply is {"items", "from"}')
  const { items, from } = value as Record<string, unknown>
  if (from !== expectedFrom) throw new SwarmError('bad-reply', `reply names ${String(from).slice(0, 100)} as its sender, not the connected peer`)
  if (!Array.isArray(items)) throw new SwarmError('bad-reply', 'reply items must be an array')
  if (items.length > MAX_KNOWLEDGE_ITEMS) throw new SwarmError('too-many-items', `reply has ${items.length} items, over the cap of ${MAX_KNOWLEDGE_ITEMS}`)
  const out: KnowledgeWireItem[] = []
  const seen = new Set<string>()
  for (const raw of items) {
    const item = checkItem(raw, verify)
    if (item === undefined || seen.has(item.id)) continue
    seen.add(item.id)
    out.push(item)
  }
  return { items: out, dropped: items.length - out.length }
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000

/**
 * Merges the local and remote answers. Each source's scores are divided by its own top score;
 * a reflection several sources returned appears once, with the best scaled score and all the
 * sources. Order: successes before failures (a peer's curated answer already puts them first),
 * then scaled score, then how many nodes returned it, then newest id.
 */
export function mergeKnowledge (sources: KnowledgeSource[], limit: number): KnowledgeResult[] {
  const byId = new Map<string, KnowledgeResult>()
  for (const src of sources) {
    const top = src.items.reduce((m, i) => Math.max(m, i.score), 0)
    for (const item of src.items) {
      const score = top > 0 ? round(item.score / top) : 0
      const known = byId.get(item.id)
      if (known === undefined) {
        byId.set(item.id, {
          id: item.id,
          description: item.description,
          outcome: item.outcome,
          tags: item.tags,
          score,
          from: src.from,
          recommendations: item.recommendations ?? [],
          author: item.author ?? null,
          sources: [src.from]
        })
        continue
      }
      if (known.sources.includes(src.from)) continue
      if (score > known.score) {
        // a better copy: it becomes the item, the earlier sources stay listed after it
        byId.set(item.id, { ...known, description: item.description, outcome: item.outcome, tags: item.tags, score, from: src.from, recommendations: item.recommendations ?? known.recommendations, author: item.author ?? known.author, sources: [src.from, ...known.sources] })
      } else {
        known.sources.push(src.from)
        known.author ??= item.author ?? null
      }
    }
  }
  return [...byId.values()].sort((a, b) =>
    (a.outcome === b.outcome ? 0 : a.outcome === 'success' ? -1 : 1) ||
    b.score - a.score ||
    b.sources.length - a.sources.length ||
    (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  ).slice(0, Math.max(0, limit))
}

/**
 * The reply frame for `items`: only signed ones travel (the asker could not verify the others),
 * and no more than fit the asker's frame cap.
 */
export function replyFrame (items: KnowledgeWireItem[], limit: number, from: string): KnowledgeReply {
  const out: KnowledgeReplyItem[] = []
  let bytes = 64 + from.length
  for (const i of items) {
    if (out.length >= limit) break
    if (i.envelope === undefined) continue
    const item = { id: i.id, score: i.score, envelope: i.envelope }
    const size = bytesOf(JSON.stringify(item)) + 1
    if (bytes + size > MAX_KNOWLEDGE_REPLY_BYTES) break
    bytes += size
    out.push(item)
  }
  return { items: out, from }
}

/** Registers the responder: `answer` gives this node's curated items for a query from `peer`. */
export async function serveKnowledge (libp2p: SwarmLibp2p, from: string, answer: (q: KnowledgeRequest, peer: PeerId, signal: AbortSignal) => Promise<KnowledgeWireItem[]>): Promise<void> {
  await handleRequests(libp2p, PROTOCOL_KNOWLEDGE, async (bytes, peer, signal) => {
    const q = parseKnowledgeRequest(bytes)
    const items = await answer(q, peer, signal)
    return encodeJson(replyFrame(items, q.limit, from))
  }, {
    maxDataLength: MAX_KNOWLEDGE_REQUEST_BYTES,
    timeoutMs: KNOWLEDGE_HANDLER_TIMEOUT_MS,
    maxInboundStreams: KNOWLEDGE_MAX_INBOUND_STREAMS
  })
}

/** Asks one peer; the reply is checked against `expectedFrom` (the peer's node id). */
export async function askKnowledge (libp2p: SwarmLibp2p, peer: PeerId, expectedFrom: string, q: KnowledgeRequest, opts: { signal?: AbortSignal, timeoutMs: number, verify: VerifyReflection }): Promise<{ items: KnowledgeWireItem[], dropped: number }> {
  const res = await request(libp2p, peer, PROTOCOL_KNOWLEDGE, encodeJson(q), { signal: opts.signal, timeoutMs: opts.timeoutMs, maxDataLength: MAX_KNOWLEDGE_REPLY_BYTES })
  return parseKnowledgeReply(decodeJson(res), expectedFrom, opts.verify)
}
