// Gossipsub message ids from the signed content: byte variants of one envelope share an id,
// other content and repeated-name variants never do, and the daemon's (node:crypto) and the
// page's (noble) hashing agree byte for byte.
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { envelopeMsgId } from '../../../src/envelope/msg-id.ts'
import { contentMsgId } from '../../../src/net/node.ts'
import { arbEnvelope, shuffleKeys } from './arbitraries.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const daemonId = (s: string): string => hex(contentMsgId(enc(s)))
const pageId = (s: string): string => hex(envelopeMsgId(enc(s), () => sha256.create()))

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
  })
})
