import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mayServe, questionAudience, serveLevel, type Audience, type ServeLevel, type ServePolicy } from '../../../src/reflections/visibility.ts'
import type { ReflectionRecord } from '../../../src/reflections/model.ts'

type R = Pick<ReflectionRecord, 'visibility' | 'source' | 'scope'>
const OWN = 'fed:own'
const policy = (overrides: Record<string, ServeLevel> = {}): ServePolicy => ({ federation: OWN, overrides })
const fed = fc.constantFrom('fed:own', 'fed:other', 'fed:third')
const node = fc.constantFrom('node:a', 'node:b', 'node:c', 'node:d')
const level = fc.constantFrom<ServeLevel>('none', 'shared', 'all')
const record: fc.Arbitrary<R> = fc.record({
  visibility: fc.constantFrom<R['visibility']>('local', 'shared', undefined),
  source: fc.constantFrom<R['source']>('local', 'swarm'),
  scope: fc.option(fc.record({ federation: fed, recipients: fc.option(fc.uniqueArray(node, { maxLength: 3 }), { nil: undefined }) }, { requiredKeys: ['federation'] }), { nil: undefined })
})
const audience: fc.Arbitrary<Audience> = fc.oneof(
  fc.constant<Audience>({ self: true }),
  fc.record({ self: fc.constant(false as const), federation: fc.option(fed, { nil: undefined }), readers: fc.option(fc.uniqueArray(node, { maxLength: 3 }), { nil: undefined }) })
)
const overrides = fc.dictionary(fed, level, { maxKeys: 3 })

describe('what leaves a node (mayServe)', () => {
  it('the node itself sees everything', () => {
    fc.assert(fc.property(record, overrides, (r, o) => mayServe(r, { self: true }, policy(o))))
  })

  it('by default a local reflection never reaches anyone else', () => {
    fc.assert(fc.property(record, audience, (r, a) => {
      if (a.self) return true
      const local = r.visibility === 'local' || (r.visibility === undefined && r.source === 'local')
      return !local || !mayServe(r, a, policy())
    }))
  })

  it('a reflection from a private question reaches only its recipients, whatever the config', () => {
    fc.assert(fc.property(record, audience, overrides, (r, a, o) => {
      if (a.self || r.scope?.recipients === undefined || !mayServe(r, a, policy(o))) return true
      return a.readers !== undefined && a.readers.length > 0 && a.readers.every((n) => r.scope!.recipients!.includes(n))
    }))
  })

  it('a channel anyone may read (no federation) gets nothing', () => {
    fc.assert(fc.property(record, overrides, fc.array(node), (r, o, readers) => !mayServe(r, { self: false, federation: undefined, readers }, policy(o))))
  })

  it('without an override, shared reflections reach only the federation they were shared into', () => {
    fc.assert(fc.property(record, audience, (r, a) => {
      if (a.self || !mayServe(r, a, policy())) return true
      return a.federation === (r.scope?.federation ?? OWN) && a.federation === OWN
    }))
  })

  it('config widens per federation, and only where it says', () => {
    const shared: R = { visibility: 'shared', source: 'local', scope: { federation: OWN } }
    const local: R = { visibility: 'local', source: 'local', scope: { federation: OWN } }
    const member = (f: string): Audience => ({ self: false, federation: f, readers: ['node:a'] })
    expect(mayServe(shared, member(OWN), policy())).toBe(true)
    expect(mayServe(local, member(OWN), policy())).toBe(false)
    expect(mayServe(local, member(OWN), policy({ [OWN]: 'all' }))).toBe(true)
    expect(mayServe(shared, member(OWN), policy({ [OWN]: 'none' }))).toBe(false)
    expect(mayServe(shared, member('fed:other'), policy())).toBe(false)
    expect(mayServe(shared, member('fed:other'), policy({ 'fed:other': 'shared' }))).toBe(true)
    expect(mayServe(local, member('fed:other'), policy({ 'fed:other': 'shared' }))).toBe(false)
    expect(serveLevel(policy(), OWN)).toBe('shared')
    expect(serveLevel(policy(), 'fed:other')).toBe('none')
    // imported (source swarm, no visibility written): shared within its scope
    expect(mayServe({ source: 'swarm', scope: { federation: OWN } }, member(OWN), policy())).toBe(true)
    // an old local record without visibility stays local
    expect(mayServe({ source: 'local' }, member(OWN), policy())).toBe(false)
  })
})

describe('questionAudience', () => {
  const q = (scope: string): { sender: { 'node/id': string, 'federation/id': string }, delivery: { scope: string } } => ({ sender: { 'node/id': 'node:a', 'federation/id': OWN }, delivery: { scope } })
  it('maps a question scope to who reads its channel', () => {
    expect(questionAudience(q('federation-local'))).toEqual({ self: false, federation: OWN })
    expect(questionAudience(q('private'), ['node:b'])).toEqual({ self: false, federation: OWN, readers: ['node:a', 'node:b'] })
    expect(questionAudience(q('global'))).toEqual({ self: false, federation: undefined })
    expect(questionAudience(q('cross-federation'))).toEqual({ self: false, federation: undefined })
  })

  it('a private-question reflection reaches a private channel among its recipients, never a federation channel', () => {
    const r: R = { visibility: 'shared', source: 'local', scope: { federation: OWN, recipients: ['node:a', 'node:b'] } }
    expect(mayServe(r, questionAudience(q('private'), ['node:b']), policy())).toBe(true)
    expect(mayServe(r, questionAudience(q('private'), ['node:b', 'node:c']), policy())).toBe(false)
    expect(mayServe(r, questionAudience(q('federation-local')), policy({ [OWN]: 'all' }))).toBe(false)
  })
})
