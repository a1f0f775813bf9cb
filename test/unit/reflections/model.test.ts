import { describe, expect, it } from 'vitest'
import { createRecord, normalizeOutcome, normalizeTags, validateRecord, visibilityOf } from '../../../src/reflections/model.ts'
import { SwarmError } from '../../../src/errors.ts'
import { tokenize } from '../../../src/reflections/tokenize.ts'

function codeAndField (fn: () => unknown): { code: string, field?: string } {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SwarmError)
    const e = err as SwarmError
    return { code: e.code, field: (e.detail as { field?: string } | undefined)?.field }
  }
  throw new Error('expected a throw')
}

describe('normalizeOutcome', () => {
  it('accepts the four spellings, any case', () => {
    expect(normalizeOutcome('success')).toBe('success')
    expect(normalizeOutcome('Successful')).toBe('success')
    expect(normalizeOutcome(' FAILED ')).toBe('failure')
    expect(normalizeOutcome('failure')).toBe('failure')
  })

  it('refuses anything else with bad-outcome', () => {
    for (const bad of ['ok', '', 'succeeded', 'fail', 1, null, undefined]) {
      expect(codeAndField(() => normalizeOutcome(bad)).code).toBe('bad-outcome')
    }
  })
})

describe('reflection validation', () => {
  const base = { description: 'rotated the trust root', outcome: 'success' }

  it('fills defaults and normalizes tags', () => {
    const r = createRecord({ ...base, tags: [' Trust Root ', 'TLS', 'tls'] }, { author: 'node:a' })
    expect(r.id).toMatch(/^reflection:[0-9A-Z]{26}$/)
    expect(r.category).toBe('general')
    expect(r.tags).toEqual(['trust-root', 'tls'])
    expect(r).toMatchObject({ source: 'local', provenance: [], signature: null, recommendations: [], author: 'node:a' })
    expect(Number.isNaN(Date.parse(r.createdAt))).toBe(false)
  })

  it('names the bad field', () => {
    expect(codeAndField(() => createRecord({ outcome: 'success' } as never, { author: 'n' }))).toEqual({ code: 'bad-reflection', field: 'description' })
    expect(codeAndField(() => createRecord({ ...base, description: '   ' }, { author: 'n' })).field).toBe('description')
    expect(codeAndField(() => createRecord({ ...base, description: 'x'.repeat(8 * 1024 + 1) }, { author: 'n' })).field).toBe('description')
    expect(codeAndField(() => normalizeTags(Array.from({ length: 33 }, (_, i) => `t${i}`))).field).toBe('tags')
    expect(codeAndField(() => normalizeTags(['x'.repeat(65)])).field).toBe('tags[0]')
    expect(codeAndField(() => normalizeTags(['ok', 'a!b'])).field).toBe('tags[1]')
    expect(codeAndField(() => createRecord({ ...base, recommendations: Array(33).fill('r') }, { author: 'n' })).field).toBe('recommendations')
    expect(codeAndField(() => createRecord({ ...base, outcome: 'meh' }, { author: 'n' })).code).toBe('bad-outcome')
    expect(codeAndField(() => createRecord({ ...base, id: 'reflection:nope' }, { author: 'n' })).field).toBe('id')
  })

  it('checks whole records from peers', () => {
    const r = createRecord(base, { author: 'node:a' })
    expect(validateRecord(JSON.parse(JSON.stringify(r)))).toEqual(r)
    expect(codeAndField(() => validateRecord({ ...r, createdAt: 'yesterday' })).field).toBe('createdAt')
    expect(codeAndField(() => validateRecord({ ...r, author: '' })).field).toBe('author')
    expect(codeAndField(() => validateRecord({ ...r, signature: 5 })).field).toBe('signature')
    expect(codeAndField(() => validateRecord('nope')).field).toBe('input')
  })

  it('keeps visibility and scope, and refuses bad ones', () => {
    const r = createRecord(base, { author: 'node:a', visibility: 'shared', scope: { federation: 'fed:x', question: 'question:01ARZ3NDEKTSV4RRFFQ69G5FAV', recipients: ['node:a', 'node:b'] } })
    expect(validateRecord(JSON.parse(JSON.stringify(r)))).toEqual(r)
    expect(visibilityOf(createRecord(base, { author: 'node:a' }))).toBe('local')
    expect(visibilityOf({ source: 'swarm' })).toBe('shared')
    expect(codeAndField(() => validateRecord({ ...r, visibility: 'public' })).field).toBe('visibility')
    expect(codeAndField(() => validateRecord({ ...r, scope: { recipients: [] } })).field).toBe('scope.federation')
    expect(codeAndField(() => validateRecord({ ...r, scope: { federation: 'fed:x', recipients: [3] } })).field).toBe('scope.recipients[0]')
  })
})

describe('tokenize', () => {
  it('lowercases, drops stopwords and meets word forms on one stem', () => {
    expect(tokenize('How do I ROTATE the keys?')).toEqual(['rotat', 'key'])
    expect(new Set(tokenize('rotate rotates rotating rotated'))).toEqual(new Set(['rotat']))
    expect(tokenize('Größe 42 ключи')).toEqual(['größ', '42', 'ключи'])
  })
})
