// Task receipts: the executor signs what it ran (task id, hashes of the input and of the
// outcome, its isolation class, timings) under its own domain, `swarm/task-receipt.v1`, so the
// delegator can check the receipt against what it sent and what came back, and keep it in its
// audit log as a record anyone holding the executor's key can verify later.

import { createHash } from 'node:crypto'
import {
  encodeCanonical, encodeSignature, decodeSignature, signingInput, syncEd25519, parsePubkey, taskReceipt,
  type TaskReceipt
} from '../envelope/index.ts'
import type { Signer } from '../envelope/types.ts'

export const RECEIPT_DOMAIN = 'swarm/task-receipt.v1'

/** `sha256:<hex>` of the deterministic CBOR of `value` (the envelope codec's canonical form). */
export function canonicalHash (value: unknown): string {
  return 'sha256:' + createHash('sha256').update(encodeCanonical(value)).digest('hex')
}

/** What a receipt's input hash covers: the task type and its data (the code, the path, the prompt). */
export function inputHash (taskType: string, data: Record<string, unknown>): string {
  return canonicalHash({ 'task/type': taskType, data })
}

/** What a receipt's output hash covers: the outcome exactly as the response carries it. */
export function outputHash (outcome: { success: boolean, result?: Record<string, unknown>, error?: { code: string, message: string } }): string {
  return canonicalHash(outcome.success ? { success: true, result: outcome.result ?? {} } : { success: false, error: outcome.error })
}

export interface ReceiptInit {
  taskId: string
  correlationId: string
  taskType: string
  inputHash: string
  outputHash: string
  isolation: string
  startedAt: number
  finishedAt: number
}

export function signReceipt (signer: Signer, r: ReceiptInit): TaskReceipt {
  const unsigned = {
    'task/id': r.taskId,
    'correlation-id': r.correlationId,
    'task/type': r.taskType,
    'input-hash': r.inputHash,
    'output-hash': r.outputHash,
    isolation: r.isolation,
    'executed-by': signer.nodeId,
    'started-at': new Date(r.startedAt).toISOString(),
    'finished-at': new Date(r.finishedAt).toISOString(),
    'duration-ms': Math.max(0, Math.round(r.finishedAt - r.startedAt))
  }
  return { ...unsigned, signature: encodeSignature(signer.sign(signingInput(RECEIPT_DOMAIN, unsigned))) }
}

export interface ReceiptExpectation {
  /** `ed25519:<hex>` of the peer that answered (the response's verified sender). */
  pubkey: string
  nodeId: string
  taskId: string
  correlationId: string
  taskType: string
  inputHash: string
  outputHash: string
  /** The isolation the delegator required, if any. */
  isolation?: string
}

/** null when `receipt` is signed by the expected key and binds exactly this task; else why not. */
export function checkReceipt (receipt: unknown, want: ReceiptExpectation): string | null {
  const parsed = taskReceipt.safeParse(receipt)
  if (!parsed.success) return `malformed receipt: ${parsed.error.issues[0]?.message ?? 'bad schema'}`
  const r = parsed.data
  if (r['executed-by'] !== want.nodeId) return 'receipt names another executor'
  if (r['task/id'] !== want.taskId) return 'receipt for another task id'
  if (r['correlation-id'] !== want.correlationId) return 'receipt for another correlation id'
  if (r['task/type'] !== want.taskType) return 'receipt for another task type'
  if (r['input-hash'] !== want.inputHash) return 'receipt input hash does not match what was sent'
  if (r['output-hash'] !== want.outputHash) return 'receipt output hash does not match the result'
  if (want.isolation !== undefined && r.isolation !== want.isolation) return `receipt isolation ${r.isolation} is not the required ${want.isolation}`
  return verifyReceiptSignature(r, want.pubkey) ? null : 'receipt signature does not verify'
}

/** The receipt's own signature against `pubkey` (`ed25519:<hex>`); also for re-checking the audit log. */
export function verifyReceiptSignature (r: TaskReceipt, pubkey: string): boolean {
  const key = parsePubkey(pubkey)
  const sig = decodeSignature(r.signature.value)
  if (key === undefined || sig === undefined) return false
  const { signature: _s, ...unsigned } = r
  const backend = syncEd25519()
  return backend.verifySync?.(key, signingInput(RECEIPT_DOMAIN, unsigned), sig) ?? false
}
