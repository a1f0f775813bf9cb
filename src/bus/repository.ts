// The channel store and history protocol: every channel member keeps the channel's envelopes in LevelDB (`channel`
// bucket, `<question id>!<seq>`, in local arrival order) beside the question record
// (`questions` bucket), and serves them to late joiners and restarted askers over
// /swarm/history/1.0.0: request `{"question", "after", "limit"}`, response `{"question": <wire
// text of the question or null>, "envelopes": [<wire text>…], "next": <seq or null>}`. The
// requester verifies every envelope as if it came from gossip.

import type { Libp2p, PeerId } from '@libp2p/interface'
import { PROTOCOL_HISTORY } from '../constants.ts'
import type { EnvelopeBase } from '../envelope/index.ts'
import type { QuestionEnvelope } from '../envelope/schemas.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../net/rpc.ts'
import type { Bucket } from '../store/db.ts'
import type { ChannelEntry, QuestionRecord } from './core/index.ts'

export type { QuestionRecord }

export const HISTORY_PAGE = 256
const HISTORY_PAGE_BYTES = 2 * 1024 * 1024

interface StoredEntry {
  seq: number
  id: string
  type: string
  wire: string
  /** The opened envelope when `wire` is sealed. */
  inner?: EnvelopeBase
  excluded?: string
  detail?: string
  at: number
  history?: boolean
}

const seqKey = (qid: string, seq: number): string => `${qid}!${String(seq).padStart(10, '0')}`

export class ChannelStore {
  private readonly questions: Bucket
  private readonly channel: Bucket

  constructor (questions: Bucket, channel: Bucket) {
    this.questions = questions
    this.channel = channel
  }

  async getQuestion (id: string): Promise<QuestionRecord | undefined> {
    return await this.questions.get(id) as QuestionRecord | undefined
  }

  async putQuestion (rec: QuestionRecord): Promise<void> {
    await this.questions.put(rec.id, rec)
  }

  async allQuestions (): Promise<QuestionRecord[]> {
    const out: QuestionRecord[] = []
    for await (const [, v] of this.questions.iterator()) out.push(v as QuestionRecord)
    return out
  }

  async putEntry (qid: string, e: ChannelEntry): Promise<void> {
    const stored: StoredEntry = { seq: e.seq, id: e.id, type: e.type, wire: e.wire, at: e.at }
    if (e.excluded !== undefined) stored.excluded = e.excluded
    if (e.detail !== undefined) stored.detail = e.detail
    if (e.history === true) stored.history = true
    if (e.sealed === true) stored.inner = e.envelope
    await this.channel.put(seqKey(qid, e.seq), stored)
  }

  /** The channel's entries in order (all of them, excluded ones marked). */
  async entries (qid: string, after = 0, limit = Infinity): Promise<ChannelEntry[]> {
    const out: ChannelEntry[] = []
    for await (const [, v] of this.channel.iterator({ gt: seqKey(qid, after), lt: `${qid}!~` })) {
      const s = v as StoredEntry
      const entry: ChannelEntry = { seq: s.seq, id: s.id, type: s.type, wire: s.wire, envelope: s.inner ?? JSON.parse(s.wire), at: s.at }
      if (s.inner !== undefined) entry.sealed = true
      if (s.excluded !== undefined) entry.excluded = s.excluded
      if (s.detail !== undefined) entry.detail = s.detail
      if (s.history === true) entry.history = true
      out.push(entry)
      if (out.length >= limit) break
    }
    return out
  }

  /** One page of wire texts after `after` (bounded by count and bytes). */
  async page (qid: string, after: number, limit: number): Promise<{ envelopes: string[], next: number | null }> {
    const envelopes: string[] = []
    let bytes = 0
    let last = after
    let more = false
    for await (const [, v] of this.channel.iterator({ gt: seqKey(qid, after), lt: `${qid}!~` })) {
      const s = v as StoredEntry
      if (envelopes.length >= limit || bytes + s.wire.length > HISTORY_PAGE_BYTES) { more = true; break }
      envelopes.push(s.wire)
      bytes += s.wire.length
      last = s.seq
    }
    return { envelopes, next: more ? last : null }
  }
}

export interface HistoryRequest {
  question: string
  after?: number
  limit?: number
}

export interface HistoryPage {
  question: string | null
  envelopes: string[]
  next: number | null
}

/** Serves channel history from the store. */
export async function serveHistory (libp2p: Libp2p<any>, store: ChannelStore): Promise<void> {
  await handleRequests(libp2p, PROTOCOL_HISTORY, async (req) => {
    let q: HistoryRequest
    try {
      q = decodeJson(req) as HistoryRequest
    } catch {
      return encodeJson({ error: 'bad-json' })
    }
    if (typeof q?.question !== 'string') return encodeJson({ error: 'bad-request' })
    const rec = await store.getQuestion(q.question)
    if (rec === undefined) return encodeJson({ question: null, envelopes: [], next: null } satisfies HistoryPage)
    const after = typeof q.after === 'number' && q.after >= 0 ? q.after : 0
    const limit = typeof q.limit === 'number' && q.limit > 0 ? Math.min(q.limit, HISTORY_PAGE) : HISTORY_PAGE
    const page = await store.page(q.question, after, limit)
    return encodeJson({ question: rec.wire, ...page } satisfies HistoryPage)
  }, { maxInboundStreams: 32 })
}

/** Fetches every page of a channel from one peer; `onPage` ingests (and verifies) each page. */
export async function fetchHistory (libp2p: Libp2p<any>, peer: PeerId, questionId: string, onPage: (page: HistoryPage) => Promise<void>, signal?: AbortSignal): Promise<number> {
  let after = 0
  let n = 0
  for (let i = 0; i < 1000; i++) {
    const res = decodeJson(await request(libp2p, peer, PROTOCOL_HISTORY, encodeJson({ question: questionId, after, limit: HISTORY_PAGE } satisfies HistoryRequest), { signal, timeoutMs: 10_000 })) as HistoryPage & { error?: string }
    if (res.error !== undefined || !Array.isArray(res.envelopes)) return n
    await onPage(res)
    n += res.envelopes.length
    if (res.next === null || typeof res.next !== 'number' || res.next <= after) return n
    after = res.next
  }
  return n
}
