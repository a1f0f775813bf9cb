import { describe, it, expect, afterEach } from 'vitest'
import { generateCode, extractCode } from '../../../src/tasks/executors/code-generation.ts'
import { startChatServer, reply, type ChatServer } from '../synthesis/chat-server.ts'

const servers: ChatServer[] = []
afterEach(async () => { await Promise.all(servers.splice(0).map(async s => { await s.close() })) })

async function server (handler: Parameters<typeof startChatServer>[0]): Promise<ChatServer> {
  const s = await startChatServer(handler)
  servers.push(s)
  return s
}

describe('generateCode', () => {
  it('falls back from a failing endpoint to a working one', async () => {
    const broken = await server((_c, res) => { res.writeHead(500); res.end('boom') })
    const working = await server((_c, res) => { reply(res, 'Here:\n```python\nprint(6*7)\n```\nDone.') })
    const r = await generateCode({ prompt: 'print 42', language: 'python' }, [
      { baseUrl: broken.baseUrl, model: 'bad' },
      { baseUrl: working.baseUrl, model: 'good', apiKeyEnv: 'GOOD_KEY' }
    ], { env: { GOOD_KEY: 'k1' } })
    expect(r).toEqual({ code: 'print(6*7)', provider: 'good' })
    expect(broken.calls).toHaveLength(1)
    expect(working.calls[0].headers.authorization).toBe('Bearer k1')
    expect(working.calls[0].body.messages[0].content).toContain('in python')
    expect(working.calls[0].body.messages[1]).toEqual({ role: 'user', content: 'print 42' })
  })

  it('accepts a bare prompt string and stops at the first success', async () => {
    const a = await server((_c, res) => { reply(res, '```\nx = 1\n```') })
    const b = await server((_c, res) => { reply(res, 'unused') })
    const r = await generateCode('set x', [{ baseUrl: a.baseUrl, model: 'a' }, { baseUrl: b.baseUrl, model: 'b' }])
    expect(r.code).toBe('x = 1')
    expect(b.calls).toHaveLength(0)
  })

  it('skips an endpoint whose key variable is unset, without calling it', async () => {
    const keyed = await server((_c, res) => { reply(res, 'never') })
    const open = await server((_c, res) => { reply(res, 'y = 2') })
    const r = await generateCode('y', [{ baseUrl: keyed.baseUrl, model: 'k', apiKeyEnv: 'MISSING' }, { baseUrl: open.baseUrl, model: 'o' }], { env: {} })
    expect(r).toEqual({ code: 'y = 2', provider: 'o' })
    expect(keyed.calls).toHaveLength(0)
  })

  it('falls back on a timeout too', async () => {
    const slow = await server(() => {})
    const fast = await server((_c, res) => { reply(res, '```js\nok()\n```') })
    const r = await generateCode('x', [{ baseUrl: slow.baseUrl, model: 's' }, { baseUrl: fast.baseUrl, model: 'f' }], { timeoutMs: 200 })
    expect(r.provider).toBe('f')
  })

  it('fails with llm-unavailable listing every attempt', async () => {
    const a = await server((_c, res) => { res.writeHead(429); res.end() })
    const b = await server((_c, res) => { res.writeHead(200); res.end('{}') })
    const err = await generateCode('x', [{ baseUrl: a.baseUrl, model: 'a' }, { baseUrl: b.baseUrl, model: 'b' }]).catch(e => e)
    expect(err.code).toBe('llm-unavailable')
    expect(err.detail.attempts.map((x: any) => x.code)).toEqual(['llm-http-error', 'llm-bad-response'])
    // what a remote peer gets: models and codes, never the endpoint URLs or the providers' texts
    expect(err.message).toBe('every code-generation endpoint failed (a: llm-http-error; b: llm-bad-response)')
    expect(err.message).not.toContain('127.0.0.1')
  })

  it('fails with llm-unavailable when nothing is configured, and bad-request on an empty prompt', async () => {
    await expect(generateCode('x', [])).rejects.toMatchObject({ code: 'llm-unavailable' })
    await expect(generateCode('  ', [])).rejects.toMatchObject({ code: 'bad-request' })
  })

  it('stops on the caller abort instead of falling back', async () => {
    const slow = await server(() => {})
    const next = await server((_c, res) => { reply(res, 'z') })
    const ac = new AbortController()
    setTimeout(() => { ac.abort() }, 100)
    await expect(generateCode('x', [{ baseUrl: slow.baseUrl, model: 's' }, { baseUrl: next.baseUrl, model: 'n' }], { signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' })
    expect(next.calls).toHaveLength(0)
  })
})

describe('extractCode', () => {
  it.each([
    ['plain answer', '  x = 1  ', undefined, 'x = 1'],
    ['one fenced block', 'text\n```py\na\nb\n```\nmore', undefined, 'a\nb'],
    ['block matching the language wins', '```bash\nls\n```\n```python\nprint(1)\n```', 'python', 'print(1)'],
    ['first block when none matches', '```bash\nls\n```\n```ruby\nputs 1\n```', 'python', 'ls'],
    ['tilde fence', '~~~\ncode\n~~~', undefined, 'code'],
    ['longer fence holding a shorter one', '````md\n```\ninner\n```\n````', undefined, '```\ninner\n```'],
    ['unterminated fence (cut by max_tokens)', '```js\nconst a = 1\nconst b', undefined, 'const a = 1\nconst b']
  ])('%s', (_name, text, lang, expected) => {
    expect(extractCode(text, lang)).toBe(expected)
  })
})
