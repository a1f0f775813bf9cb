import { describe, expect, it } from 'vitest'
import { checkTaskData, executeTask, fitResult } from '../../../src/tasks/execute.ts'

describe('checkTaskData', () => {
  it('wants code, path or prompt by type', () => {
    expect(checkTaskData('python-computation', { code: 'print(1)' })).toBeNull()
    expect(checkTaskData('python-computation', { code: '  ' })?.code).toBe('bad-request')
    expect(checkTaskData('file-analysis', { path: 'a' })).toBeNull()
    expect(checkTaskData('file-analysis', {})?.code).toBe('bad-request')
    expect(checkTaskData('code-generation', { prompt: 'x', language: 'python' })).toBeNull()
    expect(checkTaskData('code-generation', { prompt: 'x', language: 7 })?.code).toBe('bad-request')
    expect(checkTaskData('something-else', {})).toBeNull()
  })
})

describe('fitResult', () => {
  it('keeps small results and cuts python output to fit', () => {
    const small = { stdout: 'a', stderr: '', exitCode: 0 }
    expect(fitResult(small, 1000)).toBe(small)
    const big = fitResult({ stdout: '\u0001'.repeat(50_000), stderr: 'e'.repeat(50_000), exitCode: 0, truncated: false }, 20_000)
    expect(Buffer.byteLength(JSON.stringify(big))).toBeLessThanOrEqual(20_000)
    expect(big.truncated).toBe(true)
    expect(() => fitResult({ code: 'x'.repeat(5000) }, 1000)).toThrow(expect.objectContaining({ code: 'too-large' }))
  })
})

describe('executeTask', () => {
  const settings = { python: 'python3', timeoutMs: 30_000, memoryMb: 256, outputBytes: 1024 * 1024, safePrefixes: [], endpoints: [], env: {} }
  it('refuses unknown types and reports the time limit as timeout', async () => {
    await expect(executeTask('nope', {}, settings, { signal: new AbortController().signal, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'unsupported-task' })
    await expect(executeTask('python-computation', { code: 'while True: pass' }, settings, { signal: new AbortController().signal, timeoutMs: 500 }))
      .rejects.toMatchObject({ code: 'timeout' })
    const ok = await executeTask('python-computation', { code: 'print(6*7)' }, settings, { signal: new AbortController().signal, timeoutMs: 10_000 })
    expect(ok).toMatchObject({ stdout: '42\n', stderr: '', exitCode: 0 })
  })
})
