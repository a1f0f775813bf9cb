// The channel store and history protocol: every channel member keeps the channel's envelopes in LevelDB (`channel`
// bucket, `<question id>!<seq>`, in local arrival order) beside the question record
// (`questions` bucket), and serves them to late joiners and restarted askers over
// /swarm/history/2.0.0 by cursor: request `{"question", "after": <envelope id>?, "limit"?}` (or
// `{"question", "ids": [<envelope id>…]}` for just those, to fill the log's gaps),
// response `{"question": <wire text of the question or null>, "envelopes": [<wire text>…],
// "next": <envelope id to continue after, or null>}`; an envelope id is the same on every member,
// so a client resumes on any of them. /swarm/history/1.0.0 (cursor = the server's local seq) is
// still served for older peers. The requester verifies every envelope as if it came from gossip.

import type { Libp2p, PeerId } from '@libp2p/interface'
import { PROTOCOL_HISTORY, PROTOCOL_HISTORY_CURSOR } from '../constants.ts'
import type { EnvelopeBase } from '../envelope/index.ts'
import type { QuestionEnvelope } from '../envelope/schemas.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../net/rpc.ts'
import type { Bucket } from '../store/db.ts'
import { WriteGroup } from '../store/write-group.ts'
import { LruMap } from '../envelope/index.ts'
import type { ChannelEntry, QuestionRecord } from './core/index.ts'
import type { RelayCache } from './relay-cache.ts'

export type { QuestionRecord }

export { PROTOCOL_HISTORY_CURSOR }
export const HISTORY_PAGE = 256
export const HISTORY_PAGE_BYTES = 2 * 1024 * 1024

/**
 * What one wire text adds to a page's frame: its JSON string form in UTF-8, not its length in
 * UTF-16 units (quotes and backslashes escape to two bytes, most of Unicode is three): by length,
 * a page of CJK text went past the reader's 4 MiB frame limit and stopped every backfill there.
 */
export function pageBytes (wire: string): number {
  return Buffer.byteLength(JSON.stringify(wire)) + 1
}

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
  /** A takeover claim's voiding asker presence (ChannelEntry.askerBack). */
  askerBack?: number
}

const seqKey = (qid: string, seq: number): string => `${qid}!${String(seq).padStart(10, '0')}`

/** A question record as stored: a public question's envelope is its wire text, parsed on load, not stored twice. */
type StoredQuestion = Omit<QuestionRecord, 'envelope'> & { envelope?: QuestionEnvelope }

/** Whether the wire text is the envelope itself (not sealed), so the record need not carry both. */
function wireIsEnvelope (rec: QuestionRecord): boolean {
  const scope = rec.envelope.delivery?.scope
  return rec.to === undefined && scope !== 'private' && scope !== 'private-to-swarm'
}

function slim (rec: QuestionRecord): StoredQuestion {
  if (!wireIsEnvelope(rec)) return rec
  const { envelope: _, ...rest } = rec
  return rest
}

function unslim (s: StoredQuestion | undefined): QuestionRecord | undefined {
  if (s === undefined || s.envelope !== undefined) return s as QuestionRecord | undefined
  let envelope: QuestionEnvelope
  try { envelope = JSON.parse(s.wire) } catch { return undefined }
  if (envelope?.id !== s.id || envelope.type !== 'swarm/question') return undefined
  return { ...s, envelope }
}

/** Ids kept in the id → seq maps of the channels served lately, in all (~100 bytes each). */
const ID_INDEX_MAX = 200_000
/** A channel this small is scanned, not mapped: a requester cycling through many of them cannot push a large one's map out. */
const ID_INDEX_MIN = 256

export class ChannelStore {
  private readonly questions: Bucket
  private readonly channel: Bucket
  /** Writes made in one turn go to disk as one batch (one sync when any is acknowledged). */
  private readonly writes = new WriteGroup()
  /**
   * id → seq of the large channels served lately, least recent first: a page after an envelope
   * id, or a set of ids, costs a lookup instead of a scan of the channel (a 5,000-envelope channel
   * read whole for every page made a backfill quadratic, and any peer could ask for it again and
   * again). Bounded by the ids held in all; a channel under ID_INDEX_MIN is scanned each time.
   */
  private readonly idSeqs = new Map<string, { seqs: Map<string, number>, ready: Promise<void> }>()

  private readonly idIndexMin: number
  /**
   * A mark per channel that changes whenever its stored entries do (`writeMark`): a channel
   * built from the store for a look is reused until then. A channel whose mark was evicted gets
   * the floor, raised past every mark it could have had, so an old mark never matches again.
   */
  private readonly marks = new LruMap<string, number>(4096)
  private markClock = 0
  private markFloor = 0

  /** `idIndexMin`: the smallest channel given an id map (tests map every channel with 1). */
  constructor (questions: Bucket, channel: Bucket, opts: { idIndexMin?: number } = {}) {
    this.questions = questions
    this.channel = channel
    this.idIndexMin = opts.idIndexMin ?? ID_INDEX_MIN
  }

  /** Resolves once every write made so far is on disk. */
  async flush (): Promise<void> { await this.writes.flush() }

  async getQuestion (id: string): Promise<QuestionRecord | undefined> {
    await this.writes.flush()
    return unslim(await this.questions.get(id) as StoredQuestion | undefined)
  }

  /** `sync`: an acknowledged write (this node's own ask) survives a crash, not only a clean stop. */
  async putQuestion (rec: QuestionRecord, sync = false): Promise<void> {
    await this.writes.put(this.questions, rec.id, slim(rec), sync)
  }

  async allQuestions (): Promise<QuestionRecord[]> {
    await this.writes.flush()
    const out: QuestionRecord[] = []
    for await (const [, v] of this.questions.iterator()) {
      const rec = unslim(v as StoredQuestion)
      if (rec !== undefined) out.push(rec)
    }
    return out
  }

  async putEntry (qid: string, e: ChannelEntry, sync = false): Promise<void> {
    const stored: StoredEntry = { seq: e.seq, id: e.id, type: e.type, wire: e.wire, at: e.at }
    if (e.excluded !== undefined) stored.excluded = e.excluded
    if (e.detail !== undefined) stored.detail = e.detail
    if (e.history === true) stored.history = true
    if (e.sealed === true) stored.inner = e.envelope
    if (e.askerBack !== undefined) stored.askerBack = e.askerBack
    this.idSeqs.get(qid)?.seqs.set(e.id, e.seq)
    this.marked(qid)
    await this.writes.put(this.channel, seqKey(qid, e.seq), stored, sync)
  }

  /** The channel's entries in order (all of them, excluded ones marked). */
  async entries (qid: string, after = 0, limit = Infinity): Promise<ChannelEntry[]> {
    await this.writes.flush()
    const out: ChannelEntry[] = []
    for await (const [, v] of this.channel.iterator({ gt: seqKey(qid, after), lt: `${qid}!~` })) {
      const s = v as StoredEntry
      const entry: ChannelEntry = { seq: s.seq, id: s.id, type: s.type, wire: s.wire, envelope: s.inner ?? JSON.parse(s.wire), at: s.at }
      if (s.inner !== undefined) entry.sealed = true
      if (s.excluded !== undefined) entry.excluded = s.excluded
      if (s.detail !== undefined) entry.detail = s.detail
      if (s.history === true) entry.history = true
      if (typeof s.askerBack === 'number') entry.askerBack = s.askerBack
      out.push(entry)
      if (out.length >= limit) break
    }
    return out
  }

  /** One page of wire texts after `after` (bounded by count and bytes). */
  async page (qid: string, after: number, limit: number): Promise<{ envelopes: string[], next: number | null }> {
    await this.writes.flush()
    const envelopes: string[] = []
    let bytes = 0
    let last = after
    let more = false
    for await (const [, v] of this.channel.iterator({ gt: seqKey(qid, after), lt: `${qid}!~` })) {
      const s = v as StoredEntry
      const size = pageBytes(s.wire)
      if (envelopes.length >= limit || bytes + size > HISTORY_PAGE_BYTES) { more = true; break }
      envelopes.push(s.wire)
      bytes += size
      last = s.seq
    }
    return { envelopes, next: more ? last : null }
  }

  /**
   * One page after the envelope `afterId` (from the start when undefined or not held here),
   * bounded by count and bytes; `next` is the id to continue after, null at the end.
   */
  async pageAfterId (qid: string, afterId: string | undefined, limit: number): Promise<{ envelopes: string[], next: string | null }> {
    await this.writes.flush()
    // an unknown cursor starts over: the client drops what it already holds by id
    const from = afterId === undefined ? 0 : ((await this.seqsOf(qid)).get(afterId) ?? 0)
    const envelopes: string[] = []
    let bytes = 0
    let lastId: string | null = null
    for await (const [, v] of this.channel.iterator({ gt: seqKey(qid, from), lt: `${qid}!~` })) {
      const e = v as StoredEntry
      const size = pageBytes(e.wire)
      if (envelopes.length >= limit || bytes + size > HISTORY_PAGE_BYTES) return { envelopes, next: lastId }
      envelopes.push(e.wire)
      bytes += size
      lastId = e.id
    }
    return { envelopes, next: null }
  }

  /** The held envelopes among `ids` (wire texts, in local arrival order): a member filling its log's gaps. */
  async byIds (qid: string, ids: readonly string[]): Promise<string[]> {
    await this.writes.flush()
    const seqs = await this.seqsOf(qid)
    const held = [...new Set(ids)].map((id) => seqs.get(id)).filter((s): s is number => s !== undefined).sort((x, y) => x - y)
    if (held.length === 0) return []
    const values = await this.channel.getMany(held.map((s) => seqKey(qid, s))) as Array<StoredEntry | undefined>
    return values.filter((v): v is StoredEntry => v !== undefined).map((v) => v.wire)
  }

  /** The channel's id → seq map: read once (one scan), then kept up to date by putEntry (large channels only). */
  private async seqsOf (qid: string): Promise<Map<string, number>> {
    const hit = this.idSeqs.get(qid)
    if (hit !== undefined) {
      this.idSeqs.delete(qid) // most recent last
      this.idSeqs.set(qid, hit)
      await hit.ready
      return hit.seqs
    }
    // registered before the scan, so an entry put meanwhile lands in the map as well
    const seqs = new Map<string, number>()
    const ready = (async () => {
      await this.writes.flush()
      for await (const [, v] of this.channel.iterator({ gt: seqKey(qid, 0), lt: `${qid}!~` })) {
        const s = v as StoredEntry
        if (!seqs.has(s.id)) seqs.set(s.id, s.seq)
      }
    })()
    const entry = { seqs, ready }
    this.idSeqs.set(qid, entry)
    try {
      await ready
    } catch (err) {
      if (this.idSeqs.get(qid) === entry) this.idSeqs.delete(qid)
      throw err
    }
    if (seqs.size < this.idIndexMin) {
      if (this.idSeqs.get(qid) === entry) this.idSeqs.delete(qid)
    } else {
      let held = 0
      for (const m of this.idSeqs.values()) held += m.seqs.size
      for (const [k, m] of this.idSeqs) {
        if (held <= ID_INDEX_MAX || k === qid) break
        this.idSeqs.delete(k)
        held -= m.seqs.size
      }
    }
    return seqs
  }

  /** Deletes a question and its channel from disk (retention, caps). */
  /** Changes whenever the channel's stored entries change (a write or a delete). */
  writeMark (qid: string): number {
    return this.marks.get(qid) ?? this.markFloor
  }

  private marked (qid: string): void {
    const mark = ++this.markClock
    if (!this.marks.has(qid) && this.marks.size >= this.marks.limit) this.markFloor = mark
    this.marks.set(qid, mark)
  }

  async deleteQuestion (qid: string): Promise<void> {
    await this.writes.flush()
    this.marked(qid)
    this.idSeqs.delete(qid)
    for await (const [k] of this.channel.iterator({ gt: seqKey(qid, 0), lt: `${qid}!~` })) await this.channel.del(k)
    this.idSeqs.delete(qid) // again: a request during the deletes may have mapped what was going
    this.marked(qid) // and a look during them may have built what was going
    await this.questions.del(qid)
  }
}

export interface HistoryRequest {
  question: string
  /** 2.0.0: an envelope id; 1.0.0: a local seq. */
  after?: number | string
  limit?: number
  /** 2.0.0: these envelopes only (a member filling gaps in its log), at most MAX_IDS_PER_REQUEST; overrides `after`. */
  ids?: string[]
  /** 2.0.0 with `ids`: how many more hops the server may ask its own peers for what it lacks (at most MAX_HOPS). */
  hops?: number
}

/** Hops an ids request may travel beyond the first server (a relay's neighbours, and theirs). */
export const MAX_HOPS = 2

/** Asks this node's other peers for the ids it lacks (`hops` left, never back to `from`). */
export type IdsForwarder = (questionId: string, ids: string[], hops: number, from: PeerId, signal?: AbortSignal) => Promise<string[]>

/** Ids one request may name (a `previous` list names 8; a gap round asks for up to 64). */
export const MAX_IDS_PER_REQUEST = 64

export interface HistoryPage {
  question: string | null
  envelopes: string[]
  next: number | null
}

/**
 * Serves channel history from the store: by envelope-id cursor or ids (2.0.0) and by local seq
 * (1.0.0). A channel this node is not in is served from what it relayed (`relayed`, memory only).
 */
export async function serveHistory (libp2p: Libp2p<any>, store: ChannelStore, relayed?: RelayCache, forward?: IdsForwarder): Promise<void> {
  const parse = (req: Uint8Array): HistoryRequest | { error: string } => {
    let q: HistoryRequest
    try { q = decodeJson(req) as HistoryRequest } catch { return { error: 'bad-json' } }
    if (typeof q?.question !== 'string') return { error: 'bad-request' }
    return q
  }
  const limitOf = (q: HistoryRequest): number => typeof q.limit === 'number' && q.limit > 0 ? Math.min(q.limit, HISTORY_PAGE) : HISTORY_PAGE
  await handleRequests(libp2p, PROTOCOL_HISTORY_CURSOR, async (req, from, signal) => {
    const q = parse(req)
    if ('error' in q) return encodeJson(q)
    const rec = await store.getQuestion(q.question)
    if (rec === undefined) return encodeJson({ question: null, envelopes: [], next: null } satisfies CursorPage)
    if (Array.isArray(q.ids)) {
      const ids = q.ids.filter((x): x is string => typeof x === 'string' && x.length <= 64).slice(0, MAX_IDS_PER_REQUEST)
      const held = await store.byIds(q.question, ids)
      let envelopes = rec.joined || relayed === undefined ? held : [...new Set([...held, ...relayed.byIds(q.question, ids)])]
      const hops = typeof q.hops === 'number' && q.hops > 0 ? Math.min(Math.floor(q.hops), MAX_HOPS) : 0
      if (hops > 0 && forward !== undefined && envelopes.length < ids.length) {
        // what this node lacks may sit with a member further on: ask its other peers
        const got = new Set(envelopes)
        const lacking = ids.filter((id) => !envelopes.some((w) => w.includes(`"id":"${id}"`)))
        // bounded by this request's own deadline: the asker stops waiting then, and so does this node
        for (const w of await forward(q.question, lacking, hops - 1, from, signal)) got.add(w)
        envelopes = [...got]
      }
      // the same byte budget as a cursor page: 64 large envelopes, JSON-escaped, outgrow a frame
      let bytes = 0
      envelopes = envelopes.filter((w) => (bytes += pageBytes(w)) <= HISTORY_PAGE_BYTES)
      return encodeJson({ question: rec.wire, envelopes, next: null } satisfies CursorPage)
    }
    const after = typeof q.after === 'string' ? q.after : undefined
    let page = await store.pageAfterId(q.question, after, limitOf(q))
    if (!rec.joined && page.envelopes.length === 0 && relayed !== undefined) page = relayed.pageAfterId(q.question, after, limitOf(q))
    return encodeJson({ question: rec.wire, ...page } satisfies CursorPage)
  }, { maxInboundStreams: 32 })
  await handleRequests(libp2p, PROTOCOL_HISTORY, async (req) => {
    const q = parse(req)
    if ('error' in q) return encodeJson(q)
    const rec = await store.getQuestion(q.question)
    if (rec === undefined) return encodeJson({ question: null, envelopes: [], next: null } satisfies HistoryPage)
    const after = typeof q.after === 'number' && q.after >= 0 ? q.after : 0
    const page = await store.page(q.question, after, limitOf(q))
    return encodeJson({ question: rec.wire, ...page } satisfies HistoryPage)
  }, { maxInboundStreams: 32 })
}

export interface CursorPage {
  question: string | null
  envelopes: string[]
  next: string | null
}

/** Asks one peer for the envelopes `ids` of a channel (what it holds of them). */
export async function fetchByIds (libp2p: Libp2p<any>, peer: PeerId, questionId: string, ids: readonly string[], hops = 0, signal?: AbortSignal): Promise<CursorPage> {
  const res = decodeJson(await request(libp2p, peer, PROTOCOL_HISTORY_CURSOR, encodeJson({ question: questionId, ids: ids.slice(0, MAX_IDS_PER_REQUEST), ...(hops > 0 ? { hops } : {}) }), { signal, timeoutMs: 5000 + 2500 * hops })) as CursorPage & { error?: string }
  if (res.error !== undefined || !Array.isArray(res.envelopes)) return { question: null, envelopes: [], next: null }
  return res
}

/**
 * Fetches a channel from one peer by cursor, from `after` (an envelope id) or the start;
 * `onPage` ingests (and verifies) each page. Returns the last cursor reached (to resume from).
 */
export async function fetchHistory (libp2p: Libp2p<any>, peer: PeerId, questionId: string, onPage: (page: HistoryPage | CursorPage) => Promise<void>, signal?: AbortSignal, after?: string): Promise<string | undefined> {
  let cursor = after
  for (let i = 0; i < 1000; i++) {
    const res = decodeJson(await request(libp2p, peer, PROTOCOL_HISTORY_CURSOR, encodeJson({ question: questionId, ...(cursor !== undefined ? { after: cursor } : {}), limit: HISTORY_PAGE }), { signal, timeoutMs: 10_000 })) as CursorPage & { error?: string }
    if (res.error !== undefined || !Array.isArray(res.envelopes)) return cursor
    await onPage(res)
    if (res.next === null || typeof res.next !== 'string' || res.next === cursor) return cursor
    cursor = res.next
  }
  return cursor
}
