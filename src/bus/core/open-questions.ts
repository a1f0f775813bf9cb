// /swarm/open/1.0.0, the rules both ends apply: a node that just joined (a page on load) asks a
// member which questions are open on the topics it listens to, then fetches each channel over
// /swarm/history/2.0.0. Request `{"topics": [questions topic…], "limit"?: n}`; response
// `{"questions": [wire text…]}`, newest first. Only questions in the clear, before their deadline
// and not known closed, whose scope belongs on one of the requested topics. Pure.

import { normalizeScope, type QuestionEnvelope } from '../../envelope/schemas.ts'
import { checkQuestionScope } from './admission.ts'
import { deadlineOf } from './entries.ts'
import { topicKind } from './topics.ts'

export const PROTOCOL_OPEN_QUESTIONS = '/swarm/open/1.0.0'
/** Questions one answer lists at most (and the default). */
export const OPEN_QUESTIONS_LIMIT = 64
/** Bytes of wire text one answer carries at most. */
export const OPEN_QUESTIONS_BYTES = 1024 * 1024
const MAX_TOPICS = 16
const MAX_TOPIC_CHARS = 256

export interface OpenRequest { topics: string[], limit: number }

/** Parses a request; a reason code (`bad-json`, `bad-request`) when it is not one. */
export function parseOpenRequest (text: string): OpenRequest | { error: 'bad-json' | 'bad-request' } {
  let o: any
  try { o = JSON.parse(text) } catch { return { error: 'bad-json' } }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return { error: 'bad-request' }
  for (const k of Object.keys(o)) if (k !== 'topics' && k !== 'limit') return { error: 'bad-request' }
  const topics = o.topics
  if (!Array.isArray(topics) || topics.length === 0 || topics.length > MAX_TOPICS) return { error: 'bad-request' }
  if (!topics.every((t: unknown) => typeof t === 'string' && t.length > 0 && t.length <= MAX_TOPIC_CHARS)) return { error: 'bad-request' }
  if (o.limit !== undefined && (!Number.isSafeInteger(o.limit) || o.limit < 1)) return { error: 'bad-request' }
  return { topics: [...new Set(topics as string[])], limit: Math.min(o.limit ?? OPEN_QUESTIONS_LIMIT, OPEN_QUESTIONS_LIMIT) }
}

export interface OpenCandidate {
  envelope: QuestionEnvelope
  /** The text it travelled as. */
  wire: string
  /** A close is known (the channel holds one). */
  closed: boolean
}

/** True when the question's scope belongs on one of `topics` (the rule a topic validator applies). */
export function onTopics (q: QuestionEnvelope, topics: readonly string[]): boolean {
  return topics.some((t) => { const at = topicKind(t); return at.kind !== 'private' && checkQuestionScope(q, at) === undefined })
}

/** The wire texts to answer with: open, in the clear, on the requested topics, newest first, bounded. */
export function selectOpen (candidates: Iterable<OpenCandidate>, req: OpenRequest, now: number): string[] {
  const open: OpenCandidate[] = []
  for (const c of candidates) {
    const q = c.envelope
    if (c.closed || normalizeScope(q.delivery.scope) === 'private' || c.wire.length === 0 || c.wire[0] !== '{') continue
    if (deadlineOf(q) <= now) continue
    if (onTopics(q, req.topics)) open.push(c)
  }
  open.sort((a, b) => a.envelope['created-at'] < b.envelope['created-at'] ? 1 : a.envelope['created-at'] > b.envelope['created-at'] ? -1 : a.envelope.id < b.envelope.id ? 1 : -1)
  const out: string[] = []
  let bytes = 0
  for (const c of open) {
    if (out.length >= req.limit || bytes + c.wire.length > OPEN_QUESTIONS_BYTES) break
    out.push(c.wire)
    bytes += c.wire.length
  }
  return out
}
