import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaults, envOverrides, loadConfig, mergeConfig, setConfigValue, validateConfig } from '../../../src/config/load.ts'

// every temporary directory this file makes, removed when it ends
const dirs: string[] = []
async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swarm-cfg-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

describe('config', () => {
  it('the shipped defaults validate and each call returns a fresh copy', () => {
    const a = defaults()
    expect(validateConfig(a)).toEqual(a)
    a.tasks.accept.push('x')
    expect(defaults().tasks.accept).toEqual([])
  })

  it('layers file < env < flags; arrays replace, objects merge', async () => {
    const dir = await tempDir()
    const file = join(dir, 'config.json')
    await writeFile(file, JSON.stringify({ tasks: { accept: ['python-computation'], maxAttempts: 5 }, node: { federation: 'fed:a' } }))
    const cfg = await loadConfig({ file, env: { SWARM_TASKS__MAX_ATTEMPTS: '7', SWARM_NODE__LANGUAGES: '["pl"]', PATH: '/bin' }, flags: { listen: ['/ip4/127.0.0.1/tcp/0'] } })
    expect(cfg.tasks.accept).toEqual(['python-computation'])
    expect(cfg.tasks.maxAttempts).toBe(7)
    expect(cfg.tasks.timeoutSec).toBe(30)
    expect(cfg.node).toEqual({ federation: 'fed:a', models: [], languages: ['pl'] })
    expect(cfg.listen).toEqual(['/ip4/127.0.0.1/tcp/0'])
  })

  it('errors name the key and what was expected', () => {
    expect(() => validateConfig(mergeConfig(defaults() as any, { tasks: { maxAttempts: 'x' } }))).toThrow(/tasks\.maxAttempts: expected number/)
    expect(() => validateConfig(mergeConfig(defaults() as any, { tasks: { bogus: 1 } }))).toThrow(/unknown key tasks\.bogus/)
    expect(() => validateConfig(mergeConfig(defaults() as any, { node: { federation: 'nope' } }))).toThrow(/node\.federation/)
    expect(() => envOverrides({ SWARM_TASKS__NOPE: '1' }, defaults() as any)).toThrow(/SWARM_TASKS__NOPE/)
  })

  it('reserved SWARM_ variables are not config', () => {
    expect(envOverrides({ SWARM_HOME: '/x', SWARM_REEXEC: '1' }, defaults() as any)).toEqual({})
  })

  it('config set parses JSON (a bare word is a string), validates, and writes atomically', async () => {
    const dir = await tempDir()
    const file = join(dir, 'config.json')
    await setConfigValue(file, 'consensus.vote', 'ask')
    await setConfigValue(file, 'tasks.accept', '["file-analysis"]')
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ consensus: { vote: 'ask' }, tasks: { accept: ['file-analysis'] } })
    await expect(setConfigValue(file, 'consensus.vote', 'maybe')).rejects.toThrow(/consensus\.vote/)
    await expect(setConfigValue(file, 'not a key', '1')).rejects.toThrow(/dotted/)
  })
})
