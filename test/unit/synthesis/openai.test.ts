import { describe, it, expect, afterEach } from 'vitest'
import { chatComplete } from '../../../src/synthesis/openai.ts'
import { startChatServer, reply, type ChatServer } from './chat-server.ts'

let server: ChatServer | undefined
afterEach(async () => { await server?.close(); server = undefined })

const messages = [{ role: 'user' as const, content: 'hi' }]

describe('chatComplete', () => {
  it('posts to /chat/completions and returns text, model and usage', async () => {
    server = await startChatServer((_call, res) => { reply(res, 'hello', 'llama3:8b') })
    const r = await chatComplete({ baseUrl: server.baseUrl + '/', model: 'llama3', apiKey: 'sk-test', messages, temperature: 0.1, maxTokens: 50 })
    expect(r).toEqual({ text: 'hello', model: 'llama3:8b', usage: { promptTokens: 7, completionTokens: 5, totalTokens: 12 } })
    const call = server.calls[0]
    expect(call.path).toBe('/v1/chat/completions')
    expect(call.headers.authorization).toBe('Bearer sk-test')
    expect(call.body).toEqual({ model: 'llama3', messages, stream: false, temperature: 0.1, max_tokens: 50 })
  })

  it('sends no authorization header without a key', async () => {
    server = await startChatServer((_call, res) => { reply(res, 'x') })
    await chatComplete({ baseUrl: server.baseUrl, model: 'm', messages })
    expect(server.calls[0].headers.authorization).toBeUndefined()
  })

  it('maps a non-2xx status to llm-http-error with the status', async () => {
    server = await startChatServer((_call, res) => { res.writeHead(503); res.end('overloaded') })
    await expect(chatComplete({ baseUrl: server.baseUrl, model: 'm', messages })).rejects.toMatchObject({
      code: 'llm-http-error', detail: { status: 503, body: 'overloaded' }
    })
  })

  it.each([
    ['not json', 'not json at all'],
    ['no choices', JSON.stringify({ model: 'm', choices: [] })],
    ['content not a string', JSON.stringify({ choices: [{ message: { content: null } }] })]
  ])('maps a bad body (%s) to llm-bad-response', async (_name, body) => {
    server = await startChatServer((_call, res) => { res.writeHead(200); res.end(body) })
    await expect(chatComplete({ baseUrl: server.baseUrl, model: 'm', messages })).rejects.toMatchObject({ code: 'llm-bad-response' })
  })

  it('times out with code timeout', async () => {
    server = await startChatServer(() => { /* never answers */ })
    await expect(chatComplete({ baseUrl: server.baseUrl, model: 'm', messages, timeoutMs: 200 })).rejects.toMatchObject({ code: 'timeout' })
  })

  it('reports the caller abort as aborted', async () => {
    server = await startChatServer(() => {})
    const ac = new AbortController()
    setTimeout(() => { ac.abort() }, 100)
    await expect(chatComplete({ baseUrl: server.baseUrl, model: 'm', messages, signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' })
  })

  it('reports a refused connection as llm-unreachable', async () => {
    server = await startChatServer(() => {})
    const url = server.baseUrl
    await server.close(); server = undefined
    await expect(chatComplete({ baseUrl: url, model: 'm', messages })).rejects.toMatchObject({ code: 'llm-unreachable' })
  })
})
