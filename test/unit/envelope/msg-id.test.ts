// Gossipsub message ids from the signed content: byte variants of one envelope share an id,
// other content and repeated-name variants never do, and the daemon's (node:crypto) and the
// page's (noble) hashing agree byte for byte.
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { envelopeMsgId, stripJsonSpace } from '../../../src/envelope/msg-id.ts'
import { contentMsgId, fastMsgId } from '../../../src/net/node.ts'
import { arbEnvelope, shuffleKeys } from './arbitraries.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const T = 'swarm/1/fed/fed:x/questions'
const daemonId = (s: string, topic = T): string => hex(contentMsgId(topic, enc(s)))
const pageId = (s: string, topic = T): string => hex(envelopeMsgId(topic, enc(s), () => sha256.create()))

describe('envelope message ids', () => {
  it('whitespace, key order and escapes of one envelope give one id, the same in daemon and page', () => {
    fc.assert(fc.property(arbEnvelope(), fc.constantFrom(undefined, 1, 4, '\t'), fc.integer(), (env, space, seed) => {
      let s = seed
      const rnd = (): number => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x80000000 }
      const plain = JSON.stringify(env)
      const variant = JSON.stringify(shuffleKeys(env, rnd), null, space).replace(/"type"/, '"\\u0074ype"')
      expect(daemonId(variant)).toBe(daemonId(plain))
      expect(pageId(variant)).toBe(daemonId(plain))
    }), { numRuns: 100 })
  })

  it('other content, and a repeated-name variant of the same object, get other ids', () => {
    fc.assert(fc.property(arbEnvelope(), (env) => {
      const plain = JSON.stringify(env)
      const changed = JSON.stringify({ ...env, 'created-at': '2000-01-01T00:00:00Z' })
      const repeated = plain.replace('{', '{"id":"x",')
      const ids = new Set([daemonId(plain), daemonId(changed), daemonId(repeated)])
      expect(ids.size).toBe(3)
      expect(pageId(repeated)).toBe(daemonId(repeated))
    }), { numRuns: 50 })
  })

  it('garbage is hashed as bytes, never as anything that parses', () => {
    for (const s of ['', 'not json', '[1,2]', '"str"', '{"a":1,"a":1}', '\u00ff']) {
      expect(daemonId(s)).toBe(pageId(s))
      expect(daemonId(s)).not.toBe(hex(createHash('sha256').update(enc(s)).digest()))
    }
    expect(daemonId('{"a":1}')).not.toBe(daemonId('{"a":1,"a":1}'))
    expect(daemonId('{"a":1}')).toBe(daemonId(' { "a" : 1 } '))
    // one envelope on two topics is two messages (gossipsub will not publish a seen id twice)
    expect(daemonId('{"a":1}', 'swarm/1/global/questions')).not.toBe(daemonId('{"a":1}'))
    expect(pageId('{"a":1}', 'swarm/1/global/questions')).toBe(daemonId('{"a":1}', 'swarm/1/global/questions'))
  })

  it('stripping copies each string whole exactly as a byte-by-byte scan would, on any bytes', () => {
    // the byte-by-byte scan the fast path replaced, kept as the oracle
    const oracle = (data: Uint8Array): number[] => {
      const out: number[] = []
      const space = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
      const structural = (b: number): boolean => [0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c].includes(b)
      let inString = false
      for (let i = 0; i < data.length; i++) {
        const b = data[i]
        if (inString) {
          out.push(b)
          if (b === 0x5c && i + 1 < data.length) out.push(data[++i])
          else if (b === 0x22) inString = false
          continue
        }
        if (space(b)) {
          let j = i
          while (j + 1 < data.length && space(data[j + 1])) j++
          const before = out.length === 0 ? -1 : out[out.length - 1]
          const after = j + 1 < data.length ? data[j + 1] : -1
          if (before === -1 || after === -1 || structural(before) || structural(after)) { i = j; continue }
          for (; i <= j; i++) out.push(data[i])
          i = j
          continue
        }
        if (b === 0x22) inString = true
        out.push(b)
      }
      return out
    }
    const bytes = fc.array(fc.constantFrom(0x22, 0x5c, 0x20, 0x0a, 0x7b, 0x7d, 0x3a, 0x2c, 0x61, 0x31, 0xc3), { maxLength: 80 }).map((a) => new Uint8Array(a))
    fc.assert(fc.property(bytes, (data) => { expect([...stripJsonSpace(data)]).toEqual(oracle(data)) }), { numRuns: 5000 })
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
      const data = enc(JSON.stringify(value, null, 1))
      expect([...stripJsonSpace(data)]).toEqual(oracle(data))
    }), { numRuns: 500 })
    // a hostile string of escapes, closed and unclosed: one pass over it (a search per escape from
    // its position would be quadratic, minutes for a 4 MiB gossip frame, before any validator)
    for (const tail of ['', '"']) {
      const data = enc('{"a":"' + '\\a'.repeat(128 * 1024) + tail)
      expect(stripJsonSpace(data).length).toBe(data.length)
      expect([...stripJsonSpace(data.subarray(0, 2000))]).toEqual(oracle(data.subarray(0, 2000)))
    }
  })

  it('stripping: spaced JSON strips to the compact text; a text stripping to valid compact JSON parses to the same value', () => {
    const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(1, 2, '\t', '\n '), (value, space) => {
      const compact = JSON.stringify(value)
      expect(dec(stripJsonSpace(enc(JSON.stringify(value, null, space))))).toBe(compact)
      expect(dec(stripJsonSpace(enc(' \n' + compact + '\t ')))).toBe(compact)
    }), { numRuns: 300 })
    // whitespace dropped anywhere (inside numbers, literals, between strings): same stripped form ⇒ same value
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.nat(), { maxLength: 6 }), (value, cuts) => {
      const compact = JSON.stringify(value)
      let text = compact
      for (const c of cuts) { const at = c % (text.length + 1); text = text.slice(0, at) + ' ' + text.slice(at) }
      if (dec(stripJsonSpace(enc(text))) === compact) expect(JSON.parse(text)).toEqual(JSON.parse(compact))
    }), { numRuns: 2000 })
    expect(dec(stripJsonSpace(enc('{"n":18 00}')))).toBe('{"n":18 00}')
    const tricky = { s: 'a  b\\', q: 'say "x" , y', t: [1, true] }
    expect(dec(stripJsonSpace(enc(JSON.stringify(tricky, null, 2))))).toBe(JSON.stringify(tricky))
    // the daemon's fast id: one per topic and stripped form
    expect(fastMsgId(T, enc(JSON.stringify(tricky, null, 2)))).toBe(fastMsgId(T, enc(JSON.stringify(tricky))))
    expect(fastMsgId('other', enc(JSON.stringify(tricky)))).not.toBe(fastMsgId(T, enc(JSON.stringify(tricky))))
    expect(fastMsgId(T, enc('{"n":18 00}'))).not.toBe(fastMsgId(T, enc('{"n":1800}')))
  })
})
