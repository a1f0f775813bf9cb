// The validator takes the message-id function's parse of the same bytes (parse once); its
// verdicts must be exactly those of a validator that parses for itself.
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { EnvelopeValidator } from '../../../src/envelope/validate.ts'
import { envelopeMsgId } from '../../../src/envelope/msg-id.ts'
import { takeParsed } from '../../../src/envelope/parsed.ts'
import { contentMsgId } from '../../../src/net/node.ts'
import { arbEnvelope, mutateAt, NOW, shuffleKeys, signedPaths } from './arbitraries.ts'

const enc = new TextEncoder()
const fresh = (): EnvelopeValidator => new EnvelopeValidator({ now: () => NOW })

/** Envelopes as they may arrive: valid, reordered, tampered, duplicated member names, or not JSON at all. */
const arbWire = fc.oneof(
  arbEnvelope().map((e) => JSON.stringify(e)),
  fc.tuple(arbEnvelope(), fc.integer()).map(([e, seed]) => { let s = seed; return JSON.stringify(shuffleKeys(e, () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff))) }),
  fc.tuple(arbEnvelope(), fc.nat(), fc.nat(3)).map(([e, i, v]) => { const paths = signedPaths(e); return JSON.stringify(mutateAt(e, paths[i % paths.length], v)) }),
  arbEnvelope().map((e) => JSON.stringify(e).replace('{"type":', '{"type":"swarm/question","type":')),
  fc.string().map((s) => s)
)

it('verdicts after the message id took its parse equal the verdicts of a validator that parses itself', () => {
  fc.assert(fc.property(arbWire, (wire) => {
    const bytes = enc.encode(wire)
    contentMsgId('swarm/1/q/global', bytes)
    const shared = fresh().validateSync(bytes)
    expect(takeParsed(bytes)).toBeUndefined() // taken by the validator (or never parsed)
    const own = fresh().validateSync(enc.encode(wire))
    expect(shared).toEqual(own)
  }), { numRuns: 300 })
})

it('only the very bytes that were hashed carry the parse', () => {
  fc.assert(fc.property(arbEnvelope(), (e) => {
    const a = enc.encode(JSON.stringify(e))
    const b = Uint8Array.from(a)
    envelopeMsgId('t', a, () => ({ update: () => {}, digest: () => new Uint8Array(32) }))
    expect(takeParsed(b)).toBeUndefined()
    expect(takeParsed(a)?.text).toBe(JSON.stringify(e))
  }), { numRuns: 50 })
})
