// Deterministic CBOR: byte-identical to cborg's RFC 8949 mode on any JSON value.
import { decode, encode, rfc8949EncodeOptions } from 'cborg'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytesToHex, domainOf, encodeCanonical, signingInput } from '../../../src/envelope/index.ts'

const cborg = (v: unknown): string => bytesToHex(encode(v, rfc8949EncodeOptions))
const ours = (v: unknown): string => bytesToHex(encodeCanonical(v))

// cborg writes a float16 subnormal with more than one significant bit as a float32; RFC 8949
// §4.2.1 wants the shortest form that keeps the value, which is the float16 (see the KAT below).
const F16_MIN_NORMAL = 2 ** -14
function hasF16Subnormal (v: unknown): boolean {
  if (typeof v === 'number') return v !== 0 && Math.abs(v) < F16_MIN_NORMAL && !Number.isInteger(v)
  if (Array.isArray(v)) return v.some(hasF16Subnormal)
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasF16Subnormal)
  return false
}
const sameAsCborg = (v: unknown): void => {
  if (hasF16Subnormal(v)) expect(decode(encodeCanonical(v))).toEqual(JSON.parse(JSON.stringify(v))) // -0 is 0 in both
  else expect(ours(v)).toBe(cborg(v))
}

describe('encodeCanonical', () => {
  it('matches cborg rfc8949 on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      sameAsCborg(v)
    }), { numRuns: 2000 })
  })

  it('matches cborg on numbers of every width', () => {
    fc.assert(fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger(), fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround)), (n) => {
      if (!Number.isFinite(n)) return
      sameAsCborg(n)
    }), { numRuns: 5000 })
    for (const n of [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -24, -25, -256, -257, -(2 ** 32), -(2 ** 32) - 1,
      Number.MIN_SAFE_INTEGER, 2 ** 53, -(2 ** 53), 0.5, 1.5, 65504, 65504.5, 2 ** -14, 0.1, 1e300, 5e-324, 0.78, -0.0]) {
      expect(ours(n), String(n)).toBe(cborg(n))
    }
  })

  it('writes float16 subnormals in three bytes (shortest form that keeps the value)', () => {
    expect(ours(2 ** -24)).toBe('f90001')
    expect(ours(-(2 ** -24))).toBe('f98001')
    expect(ours(3 * 2 ** -20)).toBe('f90030')
    expect(ours(1023 * 2 ** -24)).toBe('f903ff')
    expect(ours(2 ** -25)).toBe('fa33000000') // below float16's range: float32
    for (const n of [2 ** -24, 3 * 2 ** -20, 1023 * 2 ** -24, -(5 * 2 ** -22)]) expect(decode(encodeCanonical(n))).toBe(n)
  })

  it('sorts map keys by encoded bytes (length first), non-ASCII keys included', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.integer()), (obj) => {
      expect(ours(obj)).toBe(cborg(obj))
    }), { numRuns: 1000 })
    expect(ours({ bb: 1, a: 2, aaa: 3, é: 4, z: 5 })).toBe(cborg({ bb: 1, a: 2, aaa: 3, é: 4, z: 5 }))
    const long = 'k'.repeat(30)
    expect(ours({ [long]: 1, zz: 2 })).toBe(cborg({ [long]: 1, zz: 2 }))
  })

  it('encodes long and non-ASCII strings like cborg', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
      expect(ours(s)).toBe(cborg(s))
    }), { numRuns: 1000 })
    const big = 'x'.repeat(70_000)
    expect(ours(big)).toBe(cborg(big))
  })

  it('drops undefined members, as JSON does', () => {
    expect(ours({ a: 1, b: undefined })).toBe(ours({ a: 1 }))
  })

  it('refuses what JSON cannot carry', () => {
    expect(() => encodeCanonical(NaN)).toThrow(TypeError)
    expect(() => encodeCanonical(Infinity)).toThrow(TypeError)
    expect(() => encodeCanonical([undefined])).toThrow(TypeError)
    expect(() => encodeCanonical(10n)).toThrow(TypeError)
    expect(() => encodeCanonical(new Date())).toThrow(TypeError)
    expect(() => encodeCanonical(new Uint8Array(2))).toThrow(TypeError)
    let deep: unknown = 1
    for (let i = 0; i < 100; i++) deep = [deep]
    expect(() => encodeCanonical(deep)).toThrow(/nested deeper/)
    // the shared buffer is left clean after a failure
    expect(ours({ a: [1] })).toBe(cborg({ a: [1] }))
  })
})

describe('signingInput', () => {
  it('is domain + 0x00 + CBOR of the object without unsigned fields', () => {
    const obj = { type: 't', b: [1, 'x'], signature: { alg: 'ed25519', value: 'v' }, skip: true }
    const hex = bytesToHex(signingInput('t.v1', obj, ['signature', 'skip']))
    expect(hex).toBe(bytesToHex(new TextEncoder().encode('t.v1')) + '00' + cborg({ type: 't', b: [1, 'x'] }))
    expect(bytesToHex(signingInput('t.v1', obj))).toBe(bytesToHex(new TextEncoder().encode('t.v1')) + '00' + cborg({ type: 't', b: [1, 'x'], skip: true }))
  })

  it('the domain of a type is <type>.v1', () => {
    expect(domainOf('swarm/question')).toBe('swarm/question.v1')
  })
})
