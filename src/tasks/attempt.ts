// One delegation attempt on the caller's side: build and sign the request, send it on
// /swarm/task/1.0.0, and judge the answer — signed by the peer that was asked, for this
// correlation id, a result or an error, and a receipt (receipts.ts) that binds this request and
// exactly this outcome. `proven` marks a response the peer signed whose receipt is missing or
// lies: evidence against that peer, unlike a garbled or unsigned frame anyone could have sent.

import type { PeerId } from '@libp2p/interface'
import { buildTaskRequest, newId, type EnvelopeValidator, type TaskReceipt, type TaskRequestEnvelope, type TaskResponseEnvelope, type Attachment } from '../envelope/index.ts'
import { toSwarmError } from '../errors.ts'
import type { Identity } from '../identity/index.ts'
import type { SwarmLibp2p } from '../net/node.ts'
import { sendTask } from './protocol.ts'
import { checkReceipt, inputHash, outputHash } from './receipts.ts'
import { TASK_REQUEST_MAX_BYTES, TASK_RESPONSE_GRACE_MS } from './constants.ts'

export interface AttemptDeps {
  libp2p: SwarmLibp2p
  identity: Identity
  /** Validates task-response envelopes (the stream's larger caps). */
  responses: EnvelopeValidator
  /** The node id of a peer (the same key). */
  nodeIdOf: (peer: PeerId) => string | undefined
}

export interface AttemptArgs {
  peer: PeerId
  correlationId: string
  type: string
  data: Record<string, unknown>
  requirements: string[]
  timeoutMs: number
  signal: AbortSignal
  /** The isolation class the receipt must declare, if any. */
  isolation?: string
  /** Files the request names by content id (docs/attachments.md). */
  attachments?: Attachment[]
}

export type AttemptOutcome =
  | { ok: true, result: Record<string, unknown>, durationMs: number, receipt: TaskReceipt, pubkey: string }
  | { ok: false, answered: boolean, error: { code: string, message: string }, durationMs: number, receipt?: TaskReceipt, pubkey?: string, proven?: boolean }

export async function attemptTask (deps: AttemptDeps, a: AttemptArgs): Promise<AttemptOutcome> {
  const { peer, correlationId, type, data, requirements, timeoutMs, signal, isolation, attachments } = a
  const t0 = performance.now()
  const elapsed = (): number => Math.round(performance.now() - t0)
  let request: TaskRequestEnvelope
  try {
    // Whole seconds (envelope time precision), rounded up so the peer gets all of timeoutMs.
    const deadline = Math.ceil((Date.now() + timeoutMs) / 1000) * 1000
    request = buildTaskRequest(deps.identity, { correlationId, taskType: type, data, requirements, deadline, attachments }, { id: newId('task') })
  } catch (err) {
    const e = toSwarmError(err)
    return { ok: false, answered: false, error: { code: e.code === 'bad-schema' ? 'bad-request' : e.code, message: e.message }, durationMs: elapsed() }
  }
  const bytes = new TextEncoder().encode(JSON.stringify(request))
  if (bytes.length > TASK_REQUEST_MAX_BYTES) {
    return { ok: false, answered: false, error: { code: 'too-large', message: `the request is larger than ${TASK_REQUEST_MAX_BYTES} bytes` }, durationMs: elapsed() }
  }
  let raw: Uint8Array
  try {
    raw = await sendTask(deps.libp2p, peer, bytes, { signal, timeoutMs: timeoutMs + TASK_RESPONSE_GRACE_MS })
  } catch (err) {
    const e = toSwarmError(err)
    // Our own wait ran out: retryable, unlike a peer's verdict that the task hit its limit.
    const code = e.code === 'timeout' ? 'timeout-no-answer' : e.code === 'aborted' ? 'aborted' : 'stream-failed'
    return { ok: false, answered: false, error: { code, message: `${peer.toString()}: ${e.message}` }, durationMs: elapsed() }
  }
  const verdict = deps.responses.validateSync(raw, { expectType: 'swarm/task-response' })
  const badResponse = (why: string): { ok: false, answered: false, error: { code: string, message: string }, durationMs: number } =>
    ({ ok: false, answered: false, error: { code: 'bad-response', message: `${peer.toString()} answered with a bad response: ${why}` }, durationMs: elapsed() })
  if (!verdict.ok) {
    // The stream gate (closed federations) answers a refused stream with a plain status frame.
    const gate = refusalFrame(raw)
    if (gate !== undefined) return { ok: false, answered: false, error: { code: 'not-accepted', message: `${peer.toString()} refused the stream: ${gate}` }, durationMs: elapsed() }
    return badResponse(`${verdict.reason}: ${verdict.detail}`)
  }
  const res = verdict.envelope as TaskResponseEnvelope
  if (res.sender['node/id'] !== deps.nodeIdOf(peer)) return badResponse('not signed by that peer')
  if (res['correlation-id'] !== correlationId) return badResponse('another correlation id')
  if (res['executed-by'] !== peer.toString()) return badResponse('executed-by names another peer')
  if (res.success ? res.error !== undefined : res.error === undefined || res.result !== undefined) return badResponse('needs a result or an error, not both')
  // The receipt must bind this request and exactly this outcome, signed by the same key.
  if (res.receipt === undefined) return { ...badResponse('no receipt'), proven: true }
  const bad = checkReceipt(res.receipt, {
    pubkey: res.sender.pubkey,
    nodeId: res.sender['node/id'],
    taskId: request.id,
    correlationId,
    taskType: type,
    inputHash: inputHash(type, data),
    outputHash: outputHash({ success: res.success, result: res.result, error: res.error })
  })
  if (bad !== null) return { ...badResponse(bad), proven: true }
  // an honest receipt of weaker isolation than required: not this peer's fault (it was pinned)
  if (isolation !== undefined && res.receipt.isolation !== isolation) return badResponse(`receipt isolation ${res.receipt.isolation} is not the required ${isolation}`)
  const receipt = res.receipt
  const pubkey = res.sender.pubkey
  if (res.success) return { ok: true, result: res.result ?? {}, durationMs: elapsed(), receipt, pubkey }
  return { ok: false, answered: true, error: res.error ?? { code: 'internal', message: 'failed without an error' }, durationMs: elapsed(), receipt, pubkey }
}


/** The reason of a stream-gate refusal frame (`{"status":"refused","reason":…}`), if it is one. */
export function refusalFrame (raw: Uint8Array): string | undefined {
  if (raw.length > 4096) return undefined
  try {
    const v = JSON.parse(new TextDecoder().decode(raw))
    return v?.status === 'refused' && typeof v.reason === 'string' ? v.reason : undefined
  } catch {
    return undefined
  }
}
