// Knowledge queries over /swarm/knowledge/1.0.0: one request frame `{query, limit}`, one reply
// frame `{items, from}` with the responder's curated top reflections. The asker checks each
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
import { isReflectionId, MAX_NODE_ID_CHARS, type Outcome } from './model.ts'

export interface KnowledgeRequest { query: string, limit: number }

/** One item of a reply on the wire. */
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
}

export interface KnowledgeReply { items: KnowledgeWireItem[], from: string }

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
  const { query, limit } = body
  if (typeof query !== 'string' || query.trim() === '' || query.length > MAX_QUERY_CHARS) throw new SwarmError('bad-request', `query must be text of 1..${MAX_QUERY_CHARS} characters`)
  const n = limit === undefined ? MAX_KNOWLEDGE_ITEMS : limit
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new SwarmError('bad-request', 'limit must be a positive integer')
  return { query, limit: Math.min(n, MAX_KNOWLEDGE_ITEMS) }
}

function checkItem (raw: unknown): KnowledgeWireItem | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const o = raw as Record<string, unknown>
  if (!isReflectionId(o.id)) return undefined
  if (typeof o.description !== 'string' || o.description === '' || bytesOf(o.description) > MAX_ITEM_DESCRIPTION_BYTES) return undefined
  if (o.outcome !== 'success' && o.outcome !== 'failure') return undefined
  if (!Array.isArray(o.tags) || o.tags.length > MAX_ITEM_TAGS || !o.tags.every((t) => typeof t === 'string' && t.length <= MAX_ITEM_TAG_CHARS)) return undefined
  if (typeof o.score !== 'number' || !Number.isFinite(o.score) || o.score < 0) return undefined
  const item: KnowledgeWireItem = { id: o.id, description: o.description, outcome: o.outcome, tags: o.tags as string[], score: o.score }
  if (o.recommendations !== undefined) {
    const r = o.recommendations
    if (!Array.isArray(r) || r.length > MAX_ITEM_RECOMMENDATIONS || !r.every((x) => typeof x === 'string' && bytesOf(x) <= MAX_ITEM_RECOMMENDATION_BYTES)) return undefined
    item.recommendations = r as string[]
  }
  if (o.author !== undefined) {
    if (typeof o.author !== 'string' || o.author === '' || o.author.length > MAX_NODE_ID_CHARS) return undefined
    item.author = o.author
  }
  return item
}

/**
 * Checks a peer's reply: it must name the connected peer as `from` and hold at most
 * `MAX_KNOWLEDGE_ITEMS` items (else the whole reply is dropped); items outside the bounds are
 * dropped one by one, and so are repeated ids.
 */
export function parseKnowledgeReply (value: unknown, expectedFrom: string): { items: KnowledgeWireItem[], dropped: number } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SwarmError('bad-reply', 'a knowledge reply is {"items", "from"}')
  const { items, from } = value as Record<string, unknown>
  if (from !== expectedFrom) throw new SwarmError('bad-reply', `reply names ${String(from).slice(0, 100)} as its sender, not the connected peer`)
  if (!Array.isArray(items)) throw new SwarmError('bad-reply', 'reply items must be an array')
  if (items.length > MAX_KNOWLEDGE_ITEMS) throw new SwarmError('too-many-items', `reply has ${items.length} items, over the cap of ${MAX_KNOWLEDGE_ITEMS}`)
  const out: KnowledgeWireItem[] = []
  const seen = new Set<string>()
  for (const raw of items) {
    const item = checkItem(raw)
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

/** Registers the responder: `answer` gives this node's curated items for a query. */
export async function serveKnowledge (libp2p: SwarmLibp2p, from: string, answer: (q: KnowledgeRequest, signal: AbortSignal) => Promise<KnowledgeWireItem[]>): Promise<void> {
  await handleRequests(libp2p, PROTOCOL_KNOWLEDGE, async (bytes, _peer, signal) => {
    const q = parseKnowledgeRequest(bytes)
    const items = await answer(q, signal)
    return encodeJson({ items: items.slice(0, q.limit), from } satisfies KnowledgeReply)
  }, {
    maxDataLength: MAX_KNOWLEDGE_REQUEST_BYTES,
    timeoutMs: KNOWLEDGE_HANDLER_TIMEOUT_MS,
    maxInboundStreams: KNOWLEDGE_MAX_INBOUND_STREAMS
  })
}

/** Asks one peer; the reply is checked against `expectedFrom` (the peer's node id). */
export async function askKnowledge (libp2p: SwarmLibp2p, peer: PeerId, expectedFrom: string, q: KnowledgeRequest, opts: { signal?: AbortSignal, timeoutMs: number }): Promise<{ items: KnowledgeWireItem[], dropped: number }> {
  const res = await request(libp2p, peer, PROTOCOL_KNOWLEDGE, encodeJson(q), { signal: opts.signal, timeoutMs: opts.timeoutMs, maxDataLength: MAX_KNOWLEDGE_REPLY_BYTES })
  return parseKnowledgeReply(decodeJson(res), expectedFrom)
}
