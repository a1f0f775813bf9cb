// How the page's bus takes channels it did not see live: a question or a history page fetched by
// request (page-history.ts) — verified like gossip, held to its scope, judged at the envelopes'
// own times — and a channel kept across a reload (channel-keep.ts), shown at once.

import { CHANNEL_TYPES, checkChannelEnvelope, checkQuestionScope, deadlineOf, directArrival, takesQuestionId } from '../bus/core/index.ts'
import { SEALED_TYPE, type SealedEnvelope } from '../bus/private.ts'
import type { QuestionEnvelope } from '../envelope/schemas.ts'
import type { BusClient } from './bus-client.ts'
import type { QuestionView } from './bus-types.ts'
import { keptEntries, type KeptChannel } from './channel-keep.ts'

const HISTORY_TYPES = [...CHANNEL_TYPES, SEALED_TYPE]

/** Takes a question fetched by request (verified, held to its scope as a direct delivery); its id if the page holds it now. */
export async function adoptQuestion (bus: BusClient, wire: string, via: string): Promise<string | undefined> {
  const v = await bus.historyValidator.validate(wire, { expectType: 'swarm/question' })
  if (!v.ok) return undefined
  const q = v.envelope as QuestionEnvelope
  const held = bus.questions.get(q.id)
  // held: unless this is the bound question whose id another signer's copy took (ingestQuestion replaces it)
  if (held !== undefined && !takesQuestionId(held.envelope, q)) return q.id
  const at = directArrival(q, { federations: [bus.federation], global: bus.questionTopics.includes('swarm/1/global/questions') })
  if (at === undefined || checkQuestionScope(q, at) !== undefined) return undefined
  bus.validator.remember(q)
  const mine = q.sender['node/id'] === bus.nodeId
  bus.ingestQuestion(q, via, undefined, mine)
  // a question of its own that the page no longer kept: it asked it, so it acts for it again
  if (mine) { bus.questions.get(q.id)!.joined = true; bus.joinChannel(q.id); bus.scheduleExpiry(bus.questions.get(q.id)!) }
  return q.id
}

/** Takes one envelope of a history page (verified, judged at its own time); its id when it was new here. */
export async function adoptHistory (bus: BusClient, questionId: string, wire: string): Promise<string | undefined> {
  const view = bus.questions.get(questionId)
  if (view === undefined) return undefined
  const v = await bus.historyValidator.validate(wire, { expectType: HISTORY_TYPES, checkExpiry: false })
  if (!v.ok) return undefined
  if (v.envelope.type === SEALED_TYPE) {
    const before = view.channel.entries.length
    await bus.ingestSealed(v.envelope as SealedEnvelope, questionId, true)
    return view.channel.entries.length > before ? view.channel.entries.at(-1)!.id : undefined
  }
  if (checkChannelEnvelope(v.envelope, questionId) !== undefined || view.channel.get(v.envelope.id) !== undefined) return undefined
  // the gossip copy, if it comes later, is then a duplicate, not news
  bus.validator.remember(v.envelope)
  bus.admit(questionId, v.envelope, wire, { history: true })
  return view.channel.get(v.envelope.id) === undefined ? undefined : v.envelope.id
}

/** A kept channel back after a reload: shown at once, judged by the core as when it was kept. */
export function restoreKept (bus: BusClient, k: KeptChannel): void {
  if (bus.questions.has(k.id)) return
  let q: QuestionEnvelope
  try { q = JSON.parse(k.question) as QuestionEnvelope } catch { return }
  if (q.id !== k.id) return
  const view = bus.record(q, k.mine, k.via)
  view.receivedAt = k.receivedAt
  if (k.to !== undefined) { view.to = k.to; view.channel.to = k.to }
  if (k.sealedWire !== undefined) view.sealedWire = k.sealedWire
  view.cursor = k.cursor
  view.cursorPeer = k.cursorPeer
  // an appointed page keeps following; the asker's absence counts again from now
  if (k.role !== undefined) { view.role = k.role; view.followingSince = Date.now() }
  for (const e of k.entries) view.channel.restore(e)
  for (const e of k.entries) if (e.sealed !== true) bus.validator.remember(e.envelope)
  bus.validator.remember(q)
  if (k.joined && !view.channel.closedOrExpired()) {
    view.joined = true
    bus.joinChannel(k.id)
    if (k.mine) bus.scheduleExpiry(view)
  }
  bus.changed(k.id)
}

/** What the page keeps of a channel across reloads. */
export function kept (view: QuestionView, now = Date.now()): KeptChannel {
  const k: KeptChannel = {
    id: view.id, question: view.wire, mine: view.mine, via: view.via, receivedAt: view.receivedAt, joined: view.joined,
    entries: keptEntries(view.channel.entries), deadline: deadlineOf(view.envelope), finished: view.channel.closedOrExpired(now)
  }
  if (view.to !== undefined) k.to = view.to
  if (view.sealedWire !== undefined) k.sealedWire = view.sealedWire
  if (view.cursor !== undefined) { k.cursor = view.cursor; k.cursorPeer = view.cursorPeer }
  if (view.role !== undefined) k.role = view.role
  return k
}

