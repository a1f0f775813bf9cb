import { afterAll, describe, expect, it } from 'vitest'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildQuestion, createSigner } from '../../../src/envelope/index.ts'
import { CommandAnswerer } from '../../../src/synthesis/answerers/command.ts'
import { answerPrompt, OpenAIAnswerer, parseAnswer, parseJsonLoose } from '../../../src/synthesis/answerers/openai.ts'
import { reflectionDrafts } from '../../../src/synthesis/answerers/reflections.ts'
import { serves, toDrafts } from '../../../src/synthesis/answerers/types.ts'
import { reply, startChatServer } from './chat-server.ts'

const signer = createSigner(new Uint8Array(32).fill(7), 'fed:a')
const question = buildQuestion(signer, { text: 'How do I rotate a trust root?', scope: 'federation-local', ttlSec: 60, tags: ['trust'] })
const input = { question, contributions: [], trigger: 'question' as const }
const NODE = process.execPath

describe('command answerer', () => {
  const dirs: string[] = []
  afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

  async function script (body: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'answerer-'))
    dirs.push(dir)
    const js = join(dir, 'a.mjs')
    await writeFile(js, body)
    const sh = join(dir, 'answer')
    await writeFile(sh, `#!/bin/sh\nexec "${NODE}" "${js}" "$@"\n`)
    await chmod(sh, 0o755)
    return sh
  }

  it('gets the question on stdin and returns validated drafts', async () => {
    const cmd = await script(`let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const i=JSON.parse(s);console.log(JSON.stringify([
      {kind:'fact',text:'echo: '+i.question.question.text,confidence:0.9,sources:['doc:1']},
      {kind:'nonsense',text:'x',confidence:1,sources:[]},
      {kind:'hypothesis',text:'  ',confidence:0.5,sources:[]},
      {kind:'recommendation',text:'do it',confidence:2,sources:[]}]))})`)
    const a = new CommandAnswerer({ kind: 'command', command: cmd })
    const res = await a.run(input, AbortSignal.timeout(10_000))
    expect(res.drafts).toEqual([{ kind: 'fact', text: 'echo: How do I rotate a trust root?', confidence: 0.9, sources: ['doc:1'] }])
    expect(res.rejected).toHaveLength(3)
  })

  it('is given as context only what its reflections source serves to that question', async () => {
    const cmd = await script(`let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const i=JSON.parse(s);console.log(JSON.stringify(i.reflections.map(r=>({kind:'fact',text:r.description,confidence:0.5,sources:[r.id]}))))})`)
    const asked: unknown[] = []
    const source = {
      answerFor: async (q: unknown) => {
        asked.push(q)
        return { items: [{ id: 'reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2P9', description: 'a shared one', outcome: 'success' as const, tags: [], score: 1, from: 'node:me', recommendations: [], author: 'node:me', sources: ['node:me'] }] }
      }
    }
    const withContext = new CommandAnswerer({ kind: 'command', command: cmd }, () => source)
    expect(await withContext.answer(input, AbortSignal.timeout(10_000))).toEqual([{ kind: 'fact', text: 'a shared one', confidence: 0.5, sources: ['reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2P9'] }])
    expect(asked).toEqual([question])
    // no source (or a failing one): an empty list, the run goes on
    expect(await new CommandAnswerer({ kind: 'command', command: cmd }).answer(input, AbortSignal.timeout(10_000))).toEqual([])
    const failing = { answerFor: async () => { throw new Error('store closed') } }
    expect(await new CommandAnswerer({ kind: 'command', command: cmd }, () => failing).answer(input, AbortSignal.timeout(10_000))).toEqual([])
  })

  it('fails cleanly: non-JSON, non-zero exit, timeout (process group killed), output cap, missing binary', async () => {
    const garbage = new CommandAnswerer({ kind: 'command', command: await script('console.log("hello")') })
    await expect(garbage.answer(input, AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 'bad-answer', detail: { stdoutBytes: 6 } })
    const exit = new CommandAnswerer({ kind: 'command', command: await script('console.error("boom"); process.exit(3)') })
    await expect(exit.answer(input, AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 'answerer-failed', detail: { stderr: 'boom' } })
    // a child that would outlive its parent: killing the group stops both
    const slow = new CommandAnswerer({ kind: 'command', command: await script(`require('node:child_process').spawn(process.execPath,['-e','setTimeout(()=>{},60000)'],{stdio:'inherit'});setTimeout(()=>{},60000)`.replace("require('node:child_process')", "(await import('node:child_process'))")), timeoutSec: 0.5 })
    await expect(slow.answer(input, AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 'timeout' })
    const big = new CommandAnswerer({ kind: 'command', command: await script('process.stdout.write("x".repeat(100000))'), outputBytes: 1024 })
    await expect(big.answer(input, AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 'too-large' })
    const missing = new CommandAnswerer({ kind: 'command', command: '/nonexistent/answerer' })
    await expect(missing.answer(input, AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 'answerer-failed' })
  })
})

describe('openai answerer', () => {
  it('parses JSON items, fenced or wrapped; garbage becomes one low-confidence partial answer', () => {
    expect(parseJsonLoose('Sure!\n```json\n[{"a":1}]\n```')).toEqual([{ a: 1 }])
    expect(parseAnswer('Here: [{"kind":"fact","text":"T","confidence":0.7,"sources":["s"]}] hope it helps', 'model:m'))
      .toEqual([{ kind: 'fact', text: 'T', confidence: 0.7, sources: ['s', 'model:m'] }])
    expect(parseAnswer('{"items":[{"kind":"hypothesis","text":"H"}]}', 'model:m')).toEqual([{ kind: 'hypothesis', text: 'H', confidence: 0.5, sources: ['model:m'] }])
    expect(parseAnswer('I think you should cross-sign.', 'model:m')).toEqual([{ kind: 'partial-answer', text: 'I think you should cross-sign.', confidence: 0.3, sources: ['model:m'] }])
    expect(parseAnswer('[]', 'model:m')).toEqual([])
  })

  it('talks to a chat-completions server on loopback and phrases summaries', async () => {
    const server = await startChatServer((call, res) => {
      const system: string = call.body.messages[0].content
      if (system.startsWith('You rewrite')) reply(res, JSON.stringify(JSON.parse(call.body.messages[1].content.split('Items:\n')[1]).map((t: string) => `Clearly: ${t}`)))
      else reply(res, '```json\n[{"kind":"recommendation","text":"Cross-sign the new root.","confidence":0.8,"sources":[]}]\n```')
    })
    try {
      const a = new OpenAIAnswerer({ kind: 'openai', baseUrl: server.baseUrl, model: 'tiny', apiKeyEnv: 'TEST_KEY' }, { TEST_KEY: 'sk-test' })
      expect(await a.answer(input, AbortSignal.timeout(10_000))).toEqual([{ kind: 'recommendation', text: 'Cross-sign the new root.', confidence: 0.8, sources: ['model:tiny'] }])
      expect(server.calls[0].headers.authorization).toBe('Bearer sk-test')
      expect(server.calls[0].body.model).toBe('tiny')
      expect(server.calls[0].body.messages[1].content).toContain('How do I rotate a trust root?')
      expect(await a.phrase('q', ['one', 'two'])).toEqual(['Clearly: one', 'Clearly: two'])
    } finally {
      await server.close()
    }
  })
})

describe('openai prompt', () => {
  it('puts the servable reflections in the prompt, citable by id', () => {
    const p = answerPrompt(input, [{ id: 'reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2P9', description: 'Rotated with overlap.', outcome: 'success', recommendations: ['keep both'], author: 'node:x' }])
    expect(p).toContain('[reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2P9] worked: Rotated with overlap. (advice: keep both)')
    expect(answerPrompt(input)).not.toContain('learned before')
  })
})

describe('reflections answerer and filters', () => {
  it('turns knowledge into cited facts and recommendations', () => {
    const drafts = reflectionDrafts([
      { id: 'reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2P9', description: 'Rotated with a 30-day overlap.', outcome: 'success', tags: [], score: 1, from: 'node:x', recommendations: ['Keep both roots for 30 days.'], author: null, sources: [] },
      { id: 'reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2PA', description: 'Hard cut-over.', outcome: 'failure', tags: [], score: 0.5, from: 'node:x', recommendations: ['ignored'], author: null, sources: [] }
    ])
    expect(drafts).toEqual([
      { kind: 'fact', text: 'Rotated with a 30-day overlap.', confidence: 0.8, sources: ['reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2P9'] },
      { kind: 'recommendation', text: 'Keep both roots for 30 days.', confidence: 0.8, sources: ['reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2P9'] },
      { kind: 'fact', text: 'Tried before without success: Hard cut-over.', confidence: 0.6, sources: ['reflection:01JNY6M2X6Y8M1G5R4Z3K7Q2PA'] }
    ])
  })

  it('serves by scope, tags and urgency', () => {
    expect(serves({ kind: 'reflections' }, question)).toBe(true)
    expect(serves({ kind: 'reflections', tags: ['TRUST'] }, question)).toBe(true)
    expect(serves({ kind: 'reflections', tags: ['python'] }, question)).toBe(false)
    expect(serves({ kind: 'reflections', scopes: ['global'] }, question)).toBe(false)
    expect(serves({ kind: 'reflections', urgencies: ['normal'], scopes: ['federation-local'] }, question)).toBe(true)
    expect(() => toDrafts({})).toThrow(/JSON array/)
  })

  it('the reflections answerer never runs on a channel anyone may read', () => {
    const scoped = (scope: string): typeof question => ({ ...question, delivery: { ...question.delivery, scope } } as typeof question)
    expect(serves({ kind: 'reflections' }, scoped('global'))).toBe(false)
    expect(serves({ kind: 'reflections' }, scoped('cross-federation'))).toBe(false)
    expect(serves({ kind: 'reflections' }, scoped('private'))).toBe(true)
    expect(serves({ kind: 'reflections' }, scoped('federation-local'))).toBe(true)
    expect(serves({ kind: 'command', command: '/bin/true' }, scoped('global'))).toBe(true)
  })
})
