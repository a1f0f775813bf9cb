// The daemon's side of /swarm/open/1.0.0 (rules in core/open-questions.ts): the open questions
// it knows on the topics a newcomer asks about, so a page that loads sees what was asked before.

import type { Libp2p } from '@libp2p/interface'
import { encodeJson, handleRequests } from '../net/rpc.ts'
import { parseOpenRequest, PROTOCOL_OPEN_QUESTIONS, selectOpen, type OpenCandidate, type QuestionBook } from './core/index.ts'

const decoder = new TextDecoder()

export async function serveOpenQuestions (libp2p: Libp2p<any>, book: QuestionBook, now: () => number): Promise<void> {
  await handleRequests(libp2p, PROTOCOL_OPEN_QUESTIONS, async (req) => {
    const q = parseOpenRequest(decoder.decode(req))
    if ('error' in q) return encodeJson(q)
    return encodeJson({ questions: selectOpen(candidates(book), q, now()) })
  }, { maxInboundStreams: 8, timeoutMs: 10_000 })
}

function * candidates (book: QuestionBook): Iterable<OpenCandidate> {
  // a channel this node does not follow may have closed unseen: the newcomer's history fetch tells
  for (const rec of book.records.values()) yield { envelope: rec.envelope, wire: rec.wire, closed: book.channels.get(rec.id)?.close !== undefined || book.digests.get(rec.id)?.closed === true }
}
