import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base64urlDecode, base64urlEncode } from '../../../src/envelope/index.ts'

describe('base64url', () => {
  it('round-trips and agrees with Buffer', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const text = base64urlEncode(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('base64url'))
      expect(base64urlDecode(text)).toEqual(bytes)
    }), { numRuns: 1000 })
  })

  it('refuses padding, foreign characters, impossible lengths and non-zero trailing bits', () => {
    expect(base64urlDecode('AA==')).toBeUndefined()
    expect(base64urlDecode('A+/A')).toBeUndefined()
    expect(base64urlDecode('A')).toBeUndefined()
    expect(base64urlDecode('AB')).toBeUndefined() // 'B' leaves a 1 in the discarded bits
    expect(base64urlDecode('AA')).toEqual(Uint8Array.of(0))
    expect(base64urlDecode('é')).toBeUndefined()
    expect(base64urlDecode('')).toEqual(new Uint8Array(0))
  })
})
