import { describe, it, expect } from 'vitest'
import { detectCapabilities, checkTaskAcceptable, pythonExecutor, TASK_REQUIREMENTS } from '../../../src/tasks/capabilities.ts'
import type { JailProbe } from '../../../src/tasks/executors/jail.ts'
import { pythonAvailable } from '../../../src/tasks/executors/python.ts'

const hasPython = await pythonAvailable('python3')
const base = { tasksAccept: [] as string[], safePrefixes: [] as string[], openaiEndpoints: [], models: ['llama3'], languages: ['en'] }

describe('detectCapabilities', () => {
  it('claims nothing when nothing is configured', async () => {
    expect(await detectCapabilities(base)).toEqual({ capabilities: [], taskTypes: [], models: ['llama3'], languages: ['en'] })
  })

  it.skipIf(!hasPython)('claims python-execution only when python tasks are accepted and python exists', async () => {
    const yes = await detectCapabilities({ ...base, tasksAccept: ['python-computation'] })
    expect(yes.capabilities).toEqual(['python-execution'])
    expect(yes.taskTypes).toEqual(['python-computation'])
    // bubblewrap is installed by scripts/setup-system.sh: the jail is what is offered
    expect(yes.isolation).toBe('bwrap')
    const missing = await detectCapabilities({ ...base, tasksAccept: ['python-computation'], python: '/nonexistent/python3' })
    expect(missing).toMatchObject({ capabilities: [], taskTypes: [] })
  })

  it('claims code-generation with an endpoint and file-management with safe prefixes', async () => {
    const r = await detectCapabilities({
      ...base,
      tasksAccept: ['code-generation'],
      safePrefixes: ['/srv/data'],
      openaiEndpoints: [{ baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' }]
    })
    expect(r.capabilities).toEqual(['code-generation', 'file-management'])
    // file-management is a capability, but file-analysis is not offered unless accepted.
    expect(r.taskTypes).toEqual(['code-generation'])
  })

  it('does not offer an accepted type it cannot run', async () => {
    const r = await detectCapabilities({ ...base, tasksAccept: ['code-generation', 'file-analysis', 'made-up'] })
    expect(r.taskTypes).toEqual([])
  })
})

describe('pythonExecutor: no jail, no remote python unless the operator says so (never as root)', () => {
  const noJail = async (): Promise<JailProbe> => ({ ok: false, reason: 'bubblewrap (bwrap) is not installed' })
  const py = { ...base, tasksAccept: ['python-computation'], probe: noJail }

  it('refuses without tasks.unsafeHostExecution', async () => {
    const e = await pythonExecutor(py)
    expect(e).toMatchObject({ isolation: 'none', usable: false })
    expect(e.why).toContain('tasks.unsafeHostExecution is false')
    expect(await detectCapabilities(py)).toMatchObject({ capabilities: [], taskTypes: [] })
  })

  it('refuses tasks.unsafeHostExecution as root', async () => {
    const e = await pythonExecutor({ ...py, unsafeHostExecution: true, root: true })
    expect(e).toMatchObject({ isolation: 'none', usable: false })
    expect(e.why).toContain('root')
  })

  it.skipIf(!hasPython)('allows it, unjailed and declared none, when not root', async () => {
    const e = await pythonExecutor({ ...py, unsafeHostExecution: true, root: false })
    expect(e).toMatchObject({ isolation: 'none', usable: true })
    expect(e.why).toContain('UNSAFE')
    expect(await detectCapabilities({ ...py, unsafeHostExecution: true, root: false })).toMatchObject({ capabilities: ['python-execution'], isolation: 'none' })
  })

  it('uses the jail when it works, whatever unsafeHostExecution says', async () => {
    const plan = { bwrap: '/usr/bin/bwrap', layout: { exe: '/usr/bin/python3', paths: ['/usr/bin/python3'] } }
    const e = await pythonExecutor({ ...py, probe: async () => ({ ok: true, plan }), unsafeHostExecution: true, root: true })
    expect(e).toMatchObject({ isolation: 'bwrap', usable: true, jail: plan })
  })
})

describe('checkTaskAcceptable', () => {
  const all = ['python-execution', 'code-generation', 'file-management']
  it.each([
    ['python-computation', ['python-computation'], all, null],
    ['file-analysis', ['file-analysis'], ['file-management'], null],
    ['rm-rf', ['rm-rf'], all, 'unsupported-task'],
    ['__proto__', [], all, 'unsupported-task'],
    ['code-generation', ['python-computation'], all, 'not-accepted'],
    ['code-generation', ['code-generation'], ['python-execution'], 'not-capable']
  ])('%s accept=%j caps=%j → %s', (type, accept, caps, code) => {
    const r = checkTaskAcceptable(type, accept, caps)
    if (code === null) expect(r).toBeNull()
    else expect(r?.code).toBe(code)
  })

  it('names what is missing', () => {
    expect(checkTaskAcceptable('file-analysis', ['file-analysis'], [])?.detail).toEqual({ type: 'file-analysis', missing: ['file-management'] })
  })

  it('has a requirement list for every task type', () => {
    expect(Object.keys(TASK_REQUIREMENTS).sort()).toEqual(['code-generation', 'file-analysis', 'python-computation'])
  })
})
