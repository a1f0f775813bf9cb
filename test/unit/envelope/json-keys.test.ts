// Duplicate member names: no false alarm on any JSON text JSON.stringify writes, and every
// repeated name caught.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countJsonNames, countValueNames, hasDuplicateNames } from '../../../src/envelope/json-keys.ts'

const objects = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1 })

describe('duplicate member names', () => {
  it('JSON.stringify output, spaced or not, never repeats a name', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom(undefined, 1, 2, '\t'), (value, space) => {
      const text = JSON.stringify(value, null, space)
      expect(countJsonNames(text)).toBe(countValueNames(JSON.parse(text)))
      expect(hasDuplicateNames(text, JSON.parse(text))).toBe(false)
    }), { numRuns: 300 })
  })

  it('a name repeated in any object is caught', () => {
    fc.assert(fc.property(objects, fc.jsonValue({ maxDepth: 2 }), fc.nat(), (obj, extra, pick) => {
      const keys = Object.keys(obj)
      const name = keys[pick % keys.length]
      // the repeat goes first, so JSON.parse keeps the original value
      const text = `{${JSON.stringify(name)} : ${JSON.stringify(extra)},` + JSON.stringify(obj).slice(1)
      const value = JSON.parse(text)
      expect(hasDuplicateNames(text, value)).toBe(true)
      const nested = `{"outer":${text}}`
      expect(hasDuplicateNames(nested, JSON.parse(nested))).toBe(true)
    }), { numRuns: 300 })
  })
})
