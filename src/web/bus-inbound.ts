// What reaches the page's bus outside its topics, and sealed envelopes wherever they come from:
// a direct delivery (/swarm/deliver/1.0.0, the same checks as gossip, the verdict as the answer)
// and a sealed envelope opened with the page's key and judged like any other.

import { CHANNEL_TYPES, checkChannelEnvelope, checkQuestionScope, directArrival, isAppointment } from '../bus/core/index.ts'
import { open, SEALED_TYPE, type SealedEnvelope, type SealedPayload } from '../bus/private.ts'
import type { Verdict } from '../envelope/index.ts'
import type { QuestionEnvelope } from '../envelope/schemas.ts'
import type { BusClient } from './bus-client.ts'

/** Opens a sealed envelope (outer signature already verified) and handles what it carries; why it was not taken, if it was not. */
export async function ingestSealed (bus: BusClient, sealed: SealedEnvelope, channel: string | undefined, history = false): Promise<string | undefined> {
  let payload: SealedPayload | undefined
  try {
    payload = open(sealed, bus.opener)
  } catch {
    return 'bad-seal'
  }
  if (payload === undefined) return 'not-recipient'
  const inner = await (history ? bus.historyValidator : bus.validator).validate(payload.envelope, { checkExpiry: !history })
  if (!inner.ok) return inner.reason
  const e = inner.envelope
  if (e.type === 'swarm/question') {
    const q = e as QuestionEnvelope
    if (channel !== undefined || q.delivery.scope !== 'private') return 'wrong-scope'
    bus.ingestQuestion(q, 'private', payload.to)
    return undefined
  }
  if (e.type === 'swarm/secretary-claim' && (e as { mode?: string }).mode === 'shadow' && channel === undefined) return undefined
  const qid = channel ?? (e as { 'question/id'?: string })['question/id'] ?? ''
  if (!(CHANNEL_TYPES as readonly string[]).includes(e.type) || checkChannelEnvelope(e, qid) !== undefined) return 'wrong-channel'
  const view = bus.questions.get(qid)
  if (view === undefined) return 'not-found'
  // a channel envelope carried on the private inbox is for channel members only
  if (channel === undefined && !view.joined) return 'not-member'
  return bus.admit(qid, e, undefined, { history })
}

/** /swarm/deliver/1.0.0: the same checks as gossip; the answer is the verdict. */
export async function onDelivery (bus: BusClient, req: Uint8Array, types: string[]): Promise<{ ok: boolean, reason?: string, detail?: string }> {
  const v: Verdict = await bus.validator.validate(req, { expectType: types })
  if (!v.ok) return { ok: false, reason: v.reason, detail: v.detail }
  const e = v.envelope
  try {
    if (e.type === SEALED_TYPE) {
      const why = await ingestSealed(bus, e as SealedEnvelope, undefined)
      return why === undefined ? { ok: true } : { ok: false, reason: why }
    }
    if (e.type === 'swarm/question') {
      const q = e as QuestionEnvelope
      const at = directArrival(q, { federations: [bus.federation], global: bus.questionTopics.includes('swarm/1/global/questions') })
      const why = at === undefined ? 'wrong-scope' : checkQuestionScope(q, at)
      if (why !== undefined) return { ok: false, reason: why }
      bus.ingestQuestion(q, 'direct')
      return { ok: true }
    }
    if (isAppointment(e)) { await bus.presence.appointment(e); return { ok: true } }
    if (e.type === 'swarm/secretary-claim' && (e as { mode?: string }).mode === 'shadow') return { ok: true }
    const qid = (e as { 'question/id'?: string })['question/id'] ?? ''
    if (!bus.questions.has(qid)) return { ok: false, reason: 'not-found' }
    const excluded = bus.admit(qid, e)
    return excluded === undefined ? { ok: true } : { ok: false, reason: excluded }
  } finally {
    // let the gossip copy through as well, so this page still forwards it
    bus.validator.forget(e.id)
  }
}
