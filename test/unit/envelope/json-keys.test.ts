// Duplicate member names: no false alarm on any JSON text JSON.stringify writes, and every
// repeated name caught.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countJsonNames, countValueNames, hasDuplicateNames } from '../../../src/envelope/json-keys.ts'

const objects = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1 })

/** Strings made of what could fool a scanner: quotes, backslashes, colons and spaces. */
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', ':', ' ', '\\"', '":', 'a', '\n'), maxLength: 12 })
const trickyValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(tricky, tie('value'), { maxKeys: 4 }))
})).value
const whitespace = fc.string({ unit: fc.constantFrom(' ', '\n', '\r', '\t'), maxLength: 3 })

/** JSON text of `v` with whitespace from `ws` between every two tokens, as a hostile peer may send. */
function spaced (v: unknown, ws: () => string): string {
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => spaced(x, ws)).join(`${ws()},${ws()}`)}${ws()}]`
  if (v !== null && typeof v === 'object') return `{${ws()}${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${ws()}:${ws()}${spaced(x, ws)}`).join(`${ws()},${ws()}`)}${ws()}}`
  return JSON.stringify(v)
}

/** The plain character walk the colon count replaced: every string skipped, escapes honoured. */
function walkNames (text: string): number {
  let names = 0
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '"') continue
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++
    let j = i + 1
    while (j < text.length && ' \n\r\t'.includes(text[j])) j++
    if (text[j] === ':') names++
  }
  return names
}

describe('duplicate member names', () => {
  it('JSON.stringify output, spaced or not, never repeats a name', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom(undefined, 1, 2, '\t'), (value, space) => {
      const text = JSON.stringify(value, null, space)
      expect(countJsonNames(text)).toBe(countValueNames(JSON.parse(text)))
      expect(hasDuplicateNames(text, JSON.parse(text))).toBe(false)
    }), { numRuns: 300 })
  })

  it('counts what a full walk counts, whatever the strings hold and however the text is spaced', () => {
    fc.assert(fc.property(trickyValue, fc.array(whitespace, { minLength: 1, maxLength: 16 }), (value, spaces) => {
      let n = 0
      const text = spaced(value, () => spaces[n++ % spaces.length])
      // (against JSON's own round trip: a generated -0 reads back as 0, which toEqual tells apart)
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)))
      expect(countJsonNames(text)).toBe(walkNames(text))
      expect(countJsonNames(text)).toBe(countValueNames(value))
    }), { numRuns: 500 })
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
