// The compiled schema predicate must never accept what zod rejects (and should agree overall).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { catalogue } from '../../../src/envelope/index.ts'
import { compileSchema } from '../../../src/envelope/fast-schema.ts'
import { arbEnvelope, mutateAt, signedPaths } from './arbitraries.ts'

describe('compileSchema', () => {
  it('compiles every catalogued type but task-response (its superRefine stays with zod)', () => {
    const missing = [...catalogue.values()].filter((r) => compileSchema(r.schema) === undefined).map((r) => r.type)
    expect(missing).toEqual(['swarm/task-response'])
  })

  it('agrees with zod on valid and mutated envelopes of every type', () => {
    fc.assert(fc.property(arbEnvelope(), fc.nat(), fc.nat(), fc.boolean(), (env, pick, variant, mutate) => {
      const paths = [...signedPaths(env), ['signature', 'value'], ['signature', 'alg'], ['signature']]
      const value = mutate ? mutateAt(env, paths[pick % paths.length], variant) : env
      const row = catalogue.get(env.type)!
      const fast = compileSchema(row.schema)
      if (fast === undefined) return
      expect(fast(value)).toBe(row.schema.safeParse(value).success)
    }), { numRuns: 3000 })
  })

  it('agrees with zod on the primitive constructs, for arbitrary values', () => {
    const schemas = [
      z.string().min(2).max(5), z.string().regex(/^a+$/), z.number().int().min(-3).max(3), z.number().gt(0).lt(1), z.boolean(), z.literal('x'),
      z.enum(['a', 'b']), z.array(z.string()).min(1).max(2), z.string().nullable(), z.number().optional(), z.record(z.string(), z.unknown()),
      z.strictObject({ a: z.string(), b: z.number().optional() }), z.string().refine((s) => s.startsWith('q'))
    ]
    fc.assert(fc.property(fc.anything({ withNullPrototype: false }), fc.constantFrom(...schemas.keys()), (v, i) => {
      const fast = compileSchema(schemas[i])!
      expect(fast(v)).toBe(schemas[i].safeParse(v).success)
    }), { numRuns: 3000 })
  })

  it('gives up on constructs it does not know', () => {
    expect(compileSchema(z.object({ a: z.string() }).loose() as any)).toBeUndefined()
    expect(compileSchema(z.string().email() as any)).toBeUndefined()
    expect(compileSchema(z.union([z.string(), z.number()]) as any)).toBeUndefined()
    expect(compileSchema(z.string().superRefine(() => {}) as any)).toBeUndefined()
  })
})
