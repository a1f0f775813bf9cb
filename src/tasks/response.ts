// The executor's answer on the task stream: a signed task-response, and for a verified request
// the signed receipt binding that request to exactly this outcome (receipts.ts).

import { buildTaskResponse, newId, type TaskRequestEnvelope } from '../envelope/index.ts'
import type { Identity } from '../identity/index.ts'
import { inputHash, outputHash, signReceipt } from './receipts.ts'

export interface TaskOutcome { result?: Record<string, unknown>, error?: { code: string, message: string } }

/**
 * The response bytes. `started` is the performance.now() at which the request arrived;
 * `isolation` is the class of the executor that ran (or would have run) it. A result that cannot
 * be signed or encoded (not JSON, nested too deep) becomes a signed `internal` error instead.
 */
export function taskResponseBytes (identity: Identity, correlationId: string, started: number, outcome: TaskOutcome, req: TaskRequestEnvelope | undefined, isolation: string, onUnencodable?: (err: Error) => void): Uint8Array {
  const startedAt = Date.now() - (performance.now() - started)
  const build = (o: TaskOutcome): Uint8Array => {
    const success = o.error === undefined
    const result = success ? o.result ?? {} : undefined
    const receipt = req === undefined
      ? undefined
      : signReceipt(identity, {
        taskId: req.id,
        correlationId: req['correlation-id'],
        taskType: req['task/type'],
        inputHash: inputHash(req['task/type'], req.data),
        outputHash: outputHash({ success, result, error: o.error }),
        isolation,
        startedAt,
        finishedAt: Date.now()
      })
    return new TextEncoder().encode(JSON.stringify(buildTaskResponse(identity, {
      correlationId: correlationId.slice(0, 256),
      success,
      result,
      error: o.error,
      executedBy: identity.peerId.toString(),
      durationMs: Math.round(performance.now() - started),
      receipt
    }, { id: newId('task-result') })))
  }
  try {
    return build(outcome)
  } catch (err) {
    onUnencodable?.(err as Error)
    return build({ error: { code: 'internal', message: `the result could not be encoded: ${(err as Error).message}`.slice(0, 4000) } })
  }
}
