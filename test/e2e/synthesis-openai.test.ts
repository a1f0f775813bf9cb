import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { reply, startChatServer, type ChatServer } from '../unit/synthesis/chat-server.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

describe('openai answerer against a chat-completions server on loopback', () => {
  const daemons: TestDaemon[] = []
  let server: ChatServer | undefined
  afterAll(async () => { await stopAll(daemons); await cleanupHomes(); await server?.close() })

  it('answers as the model it advertises, falls back on prose, and phrases summaries with exact sources', async () => {
    server = await startChatServer((call, res) => {
      const system: string = call.body?.messages?.[0]?.content ?? ''
      const user: string = call.body?.messages?.[1]?.content ?? ''
      if (system.startsWith('You rewrite')) {
        const texts = JSON.parse(user.slice(user.indexOf('Items:\n') + 'Items:\n'.length)) as string[]
        reply(res, JSON.stringify(texts.map((t) => `In short: ${t}`)), call.body.model)
      } else if (user.includes('prose please')) {
        reply(res, 'Probably restart the relays first.', call.body.model)
      } else {
        reply(res, 'Here you go:\n```json\n[{"kind":"recommendation","text":"Cross-sign the new root with the old one.","confidence":0.8,"sources":["rfc:5011"]}]\n```', call.body.model)
      }
    })
    const llm = { kind: 'openai', baseUrl: server.baseUrl, model: 'llama-test', apiKeyEnv: 'LLM_KEY', timeoutSec: 10 }
    daemons.push(...await startDaemons([
      { federation: 'fed:o', config: { ...fast, answerers: [{ ...llm, scopes: ['global'] }] } },
      { federation: 'fed:o', config: { ...fast, answerers: [llm] }, env: { LLM_KEY: 'sk-local' } }
    ], 'full'))
    const [a, e] = daemons

    // the answerer's model is advertised and satisfies models/require
    const caps = await e.json(['capabilities'])
    expect(caps.local.models).toContain('llama-test')
    const q = await a.json(['ask', 'How do I rotate the trust root?', '--require-model', 'model:llama-test', '--ttl', '120'])
    const shown = await eventually(async () => {
      const s = await a.json(['show', q.id])
      return s.contributions.length > 0 ? s : undefined
    }, { what: 'the model answers', timeoutMs: 30_000 })
    const rec = shown.contributions[0]
    expect(rec).toMatchObject({ kind: 'recommendation', text: 'Cross-sign the new root with the old one.', confidence: 0.8, sources: ['rfc:5011', 'model:llama-test'], origin: 'node-generated' })
    expect(rec.sender['node/id']).toBe(e.nodeId)
    const answerCall = server.calls.find((x) => x.body.messages[1].content.includes('How do I rotate the trust root?'))
    expect(answerCall?.headers.authorization).toBe('Bearer sk-local')
    expect(answerCall?.body.model).toBe('llama-test')

    // a node without the model is filtered out by its own check
    const unmatched = await a.json(['ask', 'Needs another model', '--require-model', 'model:other', '--ttl', '60'])
    await eventually(async () => (await e.json(['questions', '--all'])).some((x: any) => x.id === unmatched.id && x.eligible === false), { what: 'e records the ineligible question' })

    // the asker's openai answerer phrases the summary; the structure and sources stay exact
    const phrased = await a.json(['summarize', q.id])
    expect(phrased.content.recommendations).toEqual([{ text: 'In short: Cross-sign the new root with the old one.', confidence: 0.8, sources: [rec.id] }])
    const plain = await a.json(['summarize', q.id, '--no-phrase'])
    expect(plain.content.recommendations).toEqual([{ text: 'Cross-sign the new root with the old one.', confidence: 0.8, sources: [rec.id] }])
    expect(plain.content.uncertainty).toBe(phrased.content.uncertainty)

    // prose instead of JSON: one low-confidence partial answer carrying the text
    const q2 = await a.json(['ask', 'prose please: what breaks first?', '--ttl', '60'])
    const s2 = await eventually(async () => {
      const s = await a.json(['show', q2.id])
      return s.contributions.length > 0 ? s : undefined
    }, { what: 'prose answer', timeoutMs: 30_000 })
    expect(s2.contributions[0]).toMatchObject({ kind: 'partial-answer', text: 'Probably restart the relays first.', confidence: 0.3, sources: ['model:llama-test'] })

    // the server going away is logged and changes nothing else
    await server.close()
    server = undefined
    const q3 = await a.json(['ask', 'Anyone there?', '--ttl', '60'])
    await eventually(async () => {
      const ev = await e.json(['stats'])
      return (ev.assistance?.failed ?? 0) >= 1 ? ev : undefined
    }, { what: 'a failed answerer run counted', timeoutMs: 30_000 })
    expect((await a.json(['show', q3.id])).contributions).toEqual([])
  })
})
