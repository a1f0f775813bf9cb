import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { createSigner } from '../../../src/envelope/index.ts'
import { newSeed } from '../../../src/identity/index.ts'
import { checkReceipt, inputHash, outputHash, signReceipt, verifyReceiptSignature } from '../../../src/tasks/receipts.ts'

const executor = createSigner(newSeed(), 'fed:t')
const stranger = createSigner(newSeed(), 'fed:t')
const data = { code: 'print(6*7)' }
const outcome = { success: true, result: { stdout: '42\n', stderr: '', exitCode: 0 } }
const init = {
  taskId: 'task:01JCZZZZZZZZZZZZZZZZZZZZZZ', correlationId: 'task:01JCZZZZZZZZZZZZZZZZZZZZZY', taskType: 'python-computation',
  inputHash: inputHash('python-computation', data), outputHash: outputHash(outcome), isolation: 'bwrap', startedAt: 1_700_000_000_000, finishedAt: 1_700_000_000_050
}
const want = { pubkey: executor.pubkey, nodeId: executor.nodeId, taskId: init.taskId, correlationId: init.correlationId, taskType: init.taskType, inputHash: init.inputHash, outputHash: init.outputHash }

describe('task receipts', () => {
  const receipt = signReceipt(executor, init)

  it('binds the task, the hashes, the isolation and the timings, and verifies', () => {
    expect(receipt).toMatchObject({ 'task/id': init.taskId, isolation: 'bwrap', 'executed-by': executor.nodeId, 'duration-ms': 50 })
    expect(checkReceipt(receipt, want)).toBeNull()
    expect(checkReceipt(receipt, { ...want, isolation: 'bwrap' })).toBeNull()
    expect(verifyReceiptSignature(receipt, executor.pubkey)).toBe(true)
  })

  it('rejects a receipt for other input, output, task, isolation or key', () => {
    expect(checkReceipt(receipt, { ...want, inputHash: inputHash('python-computation', { code: 'print(1)' }) })).toMatch(/input hash/)
    expect(checkReceipt(receipt, { ...want, outputHash: outputHash({ success: true, result: { stdout: '41\n', stderr: '', exitCode: 0 } }) })).toMatch(/output hash/)
    expect(checkReceipt(receipt, { ...want, taskId: 'task:01JCZZZZZZZZZZZZZZZZZZZZZX' })).toMatch(/task id/)
    expect(checkReceipt(receipt, { ...want, isolation: 'wasm' })).toMatch(/isolation/)
    expect(checkReceipt(receipt, { ...want, pubkey: stranger.pubkey })).toMatch(/signature/)
    expect(checkReceipt(signReceipt(stranger, init), want)).toMatch(/another executor/)
    expect(checkReceipt({ ...receipt, extra: 1 }, want)).toMatch(/malformed/)
    expect(checkReceipt('nonsense', want)).toMatch(/malformed/)
  })

  it('property: changing any signed field breaks the signature', () => {
    fc.assert(fc.property(fc.constantFrom('task/id', 'correlation-id', 'task/type', 'isolation', 'started-at', 'duration-ms'), (field) => {
      const forged = { ...receipt, [field]: field === 'duration-ms' ? 51 : field === 'task/id' ? 'task:01JCZZZZZZZZZZZZZZZZZZZZZW' : field === 'started-at' ? '2023-11-14T22:13:21.000Z' : 'x' }
      expect(verifyReceiptSignature(forged as typeof receipt, executor.pubkey)).toBe(false)
    }))
  })

  it('hashes are canonical: key order does not matter, content does', () => {
    expect(inputHash('t', { a: 1, b: [1, 2] })).toBe(inputHash('t', { b: [1, 2], a: 1 }))
    expect(inputHash('t', { a: 1 })).not.toBe(inputHash('u', { a: 1 }))
    expect(outputHash({ success: false, error: { code: 'timeout', message: 'x' } })).not.toBe(outputHash({ success: false, error: { code: 'timeout', message: 'y' } }))
  })
})
