import fc from 'fast-check'
import { Role, type Message } from '@a2a-js/sdk'
import { describe, expect, it } from 'vitest'
import { buildAgentCard } from '../../../src/a2a/card.ts'
import { contributionArtifact, dataPart, messageText, parseRequest, summaryArtifact, textPart } from '../../../src/a2a/parts.ts'
import { bearerMatches } from '../../../src/a2a/token.ts'

const msg = (parts: Message['parts'], metadata?: Record<string, unknown>): Message =>
  ({ messageId: 'm', contextId: '', taskId: '', role: Role.ROLE_USER, parts, metadata, extensions: [], referenceTaskIds: [] })

describe('parseRequest: an A2A message as a swarm operation', () => {
  it('turns text parts and metadata.swarmd into a question', () => {
    const r = parseRequest(msg([textPart('How?'), textPart('Really.')], { swarmd: { urgency: 'high', tags: ['x'], ttl: 60, wait: 300, contributions: 2 } }), 120)
    expect(r).toEqual({ ok: true, req: { kind: 'ask', ask: { text: 'How?\n\nReally.', scope: undefined, tags: ['x'], urgency: 'high', ttlSec: 60, to: undefined, federations: undefined }, waitSec: 60, enough: 2 } })
  })
  it('a private question when recipients are named', () => {
    const r = parseRequest(msg([textPart('psst')], { swarmd: { to: ['node:did:key:z6Mk'] } }), 120)
    expect(r.ok && r.req.kind === 'ask' && r.req.ask.scope).toBe('private')
  })
  it('a data part with a task type is a task', () => {
    expect(parseRequest(msg([dataPart({ taskType: 'python-computation', data: { code: 'print(6*7)' } })]), 120))
      .toEqual({ ok: true, req: { kind: 'task', type: 'python-computation', data: { code: 'print(6*7)' }, peer: undefined, timeoutSec: undefined } })
  })
  it('refuses what it cannot serve, with a reason', () => {
    expect(parseRequest(msg([]), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/no text/) })
    expect(parseRequest(msg([textPart('x'.repeat(20_000))]), 1)).toMatchObject({ ok: false })
    expect(parseRequest(msg([textPart('q')], { swarmd: { urgency: 'yesterday' } }), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/urgency/) })
    expect(parseRequest(msg([textPart('q')], { swarmd: { bogus: 1 } }), 1)).toMatchObject({ ok: false })
    expect(parseRequest(msg([dataPart({ taskType: 7 })]), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/task part/) })
  })
  it('never throws on arbitrary parts and metadata', () => {
    const part = fc.oneof(fc.string().map((s) => textPart(s)), fc.jsonValue().map((v) => dataPart(v)))
    fc.assert(fc.property(fc.array(part, { maxLength: 5 }), fc.option(fc.dictionary(fc.string(), fc.jsonValue())), (parts, meta) => {
      const r = parseRequest(msg(parts, meta === null ? undefined : { swarmd: meta }), 60)
      expect(typeof r.ok).toBe('boolean')
      if (r.ok && r.req.kind === 'ask') expect(r.req.ask.text).toBe(messageText(msg(parts)))
    }))
  })
})

describe('artifacts, card and token', () => {
  it('a contribution artifact carries its text and its view', () => {
    const a = contributionArtifact({ seq: 3, id: 'contribution:01', from: 'node:b', kind: 'fact', text: 'It is so.', confidence: 0.9, sources: ['s'] }, 'question:01')
    expect(a).toMatchObject({ artifactId: 'contribution:01', name: 'contribution/fact', metadata: { swarmd: { type: 'contribution', questionId: 'question:01' } } })
    expect(a.parts[0].content).toEqual({ $case: 'text', value: 'It is so.' })
  })
  it('the summary artifact renders every section', () => {
    const a = summaryArtifact({ id: 'summary:01', 'question/id': 'question:01', status: 'final', contributors: ['node:b'], excluded: [], content: { facts: [{ text: 'F', confidence: 1 }], hypotheses: [], recommendations: [{ text: 'R', confidence: 0.5 }], uncertainty: 0.2 } })
    expect(a.name).toBe('summary')
    const text = (a.parts[0].content as any).value as string
    expect(text).toMatch(/Facts:\n- F/)
    expect(text).toMatch(/Recommendations:\n- R/)
    expect(text).toMatch(/Uncertainty: 0.2/)
  })
  it('the card: an ask skill, a skill per task type, a bearer scheme, both protocol versions', () => {
    const card = buildAgentCard({ baseUrl: 'http://127.0.0.1:7790', nodeId: 'node:did:key:z6Mkabc', federation: 'fed:x', version: '0.1.0', taskTypes: ['python-computation', 'python-computation'] })
    expect(card.skills.map((s) => s.id)).toEqual(['swarm-ask', 'task:python-computation'])
    expect(card.supportedInterfaces.map((i) => i.protocolVersion)).toEqual(['1.0', '0.3'])
    expect(card.supportedInterfaces[0].url).toBe('http://127.0.0.1:7790/a2a/jsonrpc')
    expect(Object.keys(card.securitySchemes)).toEqual(['bearer'])
  })
  it('bearerMatches: only the exact token', () => {
    const token = 'a'.repeat(43)
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true)
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true)
    expect(bearerMatches(undefined, token)).toBe(false)
    expect(bearerMatches(`Basic ${token}`, token)).toBe(false)
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe(false)
    fc.assert(fc.property(fc.string(), (h) => { expect(bearerMatches(h, token)).toBe(h.trim().replace(/^bearer\s+/i, '') === token && /^bearer\s+/i.test(h)) }))
  })
})
