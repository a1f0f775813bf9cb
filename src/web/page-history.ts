// The page as a channel member over the request protocols: on load it asks a peer which
// questions are open on its topics (/swarm/open/1.0.0) and fetches each channel, or resumes a kept
// one from its cursor, over /swarm/history/2.0.0; and it serves history to other pages and
// daemons from what it holds (the open-question list is a daemon's: the page's bundle stays
// small). Everything fetched is verified as if it came by gossip.

import { PROTOCOL_OPEN_QUESTIONS } from '../bus/core/open-questions.ts'
import { PROTOCOL_HISTORY_CURSOR } from '../constants.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../net/rpc.ts'
import type { BusClient } from './bus-client.ts'
import type { BrowserNode } from './node.ts'
import type { PeerId } from '@libp2p/interface'

export { PROTOCOL_HISTORY_CURSOR }
/** Envelopes per history page, and bytes (the daemon's bounds). */
const PAGE_LIMIT = 256
const PAGE_BYTES = 2 * 1024 * 1024
/** History pages fetched per channel at most in one resume. */
const MAX_PAGES = 40
const REQUEST_TIMEOUT_MS = 10_000
const decoder = new TextDecoder()

/** What one resume brought: the cursor it started after and the envelopes that were new here. */
export interface ResumeReport { question: string, after: string | null, fetched: string[] }

export class PageHistory {
  private readonly bus: BusClient
  private readonly node: BrowserNode

  constructor (bus: BusClient, node: BrowserNode) {
    this.bus = bus
    this.node = node
  }

  async start (): Promise<void> {
    await handleRequests(this.node, PROTOCOL_HISTORY_CURSOR, async (req) => encodeJson(this.servePage(decoder.decode(req))), { maxInboundStreams: 8, timeoutMs: REQUEST_TIMEOUT_MS })
  }

  async stop (): Promise<void> {
    await this.node.unhandle(PROTOCOL_HISTORY_CURSOR).catch(() => {})
  }

  /**
   * /swarm/history/2.0.0 from what this page holds: the question and the channel after the
   * cursor. A private channel is never served (the page keeps it opened, not sealed).
   */
  servePage (text: string): { question: string | null, envelopes: string[], next: string | null } | { error: string } {
    let q: any
    try { q = JSON.parse(text) } catch { return { error: 'bad-json' } }
    if (q === null || typeof q !== 'object' || typeof q.question !== 'string' || (q.after !== undefined && typeof q.after !== 'string') ||
      (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 1))) return { error: 'bad-request' }
    const view = this.bus.questions.get(q.question)
    if (view === undefined || view.to !== undefined) return { question: null, envelopes: [], next: null }
    const entries = view.channel.entries
    const from = q.after === undefined ? 0 : entries.findIndex((e) => e.id === q.after) + 1 // an unknown cursor starts over
    const limit = Math.min(q.limit ?? PAGE_LIMIT, PAGE_LIMIT)
    const envelopes: string[] = []
    let bytes = 0
    for (let i = from; i < entries.length; i++) {
      const w = entries[i].wire
      if (envelopes.length >= limit || bytes + w.length > PAGE_BYTES) return { question: view.wire, envelopes, next: entries[i - 1]?.id ?? null }
      envelopes.push(w)
      bytes += w.length
    }
    return { question: view.wire, envelopes, next: null }
  }

  /** Asks `peer` for the open questions on this page's topics and takes those it may (verified, held to their scope). */
  async openQuestions (peer: PeerId, signal?: AbortSignal): Promise<string[]> {
    const topics = this.bus.listenTopics()
    if (topics.length === 0) return []
    const res = decodeJson(await request(this.node, peer, PROTOCOL_OPEN_QUESTIONS, encodeJson({ topics }), { signal, timeoutMs: REQUEST_TIMEOUT_MS })) as { questions?: unknown }
    if (!Array.isArray(res.questions)) return []
    const taken: string[] = []
    for (const wire of res.questions.slice(0, 64)) {
      if (typeof wire !== 'string') continue
      const id = await this.bus.adoptQuestion(wire, 'backfill')
      if (id !== undefined) taken.push(id)
    }
    return taken
  }

  /** Fetches a channel from `peer` after the page's cursor for it (from the start when the cursor is another peer's). */
  async resume (questionId: string, peer: PeerId, signal?: AbortSignal): Promise<ResumeReport> {
    const view = this.bus.questions.get(questionId)
    const peerKey = peer.toString()
    let cursor = view?.cursorPeer === peerKey ? view.cursor : undefined
    const report: ResumeReport = { question: questionId, after: cursor ?? null, fetched: [] }
    for (let i = 0; i < MAX_PAGES; i++) {
      const res = decodeJson(await request(this.node, peer, PROTOCOL_HISTORY_CURSOR, encodeJson({ question: questionId, ...(cursor === undefined ? {} : { after: cursor }), limit: PAGE_LIMIT }), { signal, timeoutMs: REQUEST_TIMEOUT_MS })) as { envelopes?: unknown, next?: unknown }
      if (!Array.isArray(res.envelopes)) break
      let last: string | undefined
      for (const wire of res.envelopes.slice(0, PAGE_LIMIT)) {
        if (typeof wire !== 'string') continue
        last = idOf(wire) ?? last
        const id = await this.bus.adoptHistory(questionId, wire)
        if (id !== undefined) report.fetched.push(id)
      }
      const v = this.bus.questions.get(questionId)
      if (v !== undefined && last !== undefined) { v.cursor = last; v.cursorPeer = peerKey; this.bus.touch(questionId) }
      if (typeof res.next !== 'string' || res.next === cursor || last === undefined) break
      cursor = res.next
    }
    return report
  }
}

/** The id of an envelope's text, read without trusting it (only to move a cursor on the server's log). */
function idOf (wire: string): string | undefined {
  try {
    const id = (JSON.parse(wire) as { id?: unknown }).id
    return typeof id === 'string' && id.length <= 64 ? id : undefined
  } catch { return undefined }
}
