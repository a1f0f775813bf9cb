// A zod schema compiled to a plain predicate for the verify hot path (zod's own parse costs
// ~10 µs on a question, a third of the budget beside Ed25519). It covers the constructs the
// catalogue uses and gives up (undefined) on anything else. It only ever says "valid": when it
// says no, the validator asks zod itself, which also finds the issue to report; the tests check
// both agree on every catalogued type.

import type { z } from 'zod'

export type Predicate = (value: unknown) => boolean

type Def = { type?: string, check?: string, [k: string]: any }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function defOf (schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def
}

/** Predicates for a schema's checks (length, regex, bounds, refine), or undefined if unknown. */
function compileChecks (checks: unknown[] | undefined, kind: 'string' | 'number' | 'array' | 'object'): Predicate[] | undefined {
  const out: Predicate[] = []
  for (const c of checks ?? []) {
    const d = defOf(c)
    switch (d.check) {
      case 'min_length': { const n = d.minimum as number; out.push((v) => (v as string | unknown[]).length >= n); break }
      case 'max_length': { const n = d.maximum as number; out.push((v) => (v as string | unknown[]).length <= n); break }
      case 'string_format':
        if (kind !== 'string' || d.format !== 'regex' || !(d.pattern instanceof RegExp) || d.pattern.global || d.pattern.sticky) return undefined
        { const re = d.pattern as RegExp; out.push((v) => re.test(v as string)) }
        break
      case 'greater_than': { const n = d.value as number; out.push(d.inclusive === true ? (v) => (v as number) >= n : (v) => (v as number) > n); break }
      case 'less_than': { const n = d.value as number; out.push(d.inclusive === true ? (v) => (v as number) <= n : (v) => (v as number) < n); break }
      case 'number_format':
        if (d.format !== 'safeint') return undefined
        out.push((v) => Number.isSafeInteger(v))
        break
      case 'custom':
        // .refine() keeps its function in def.fn; .superRefine() does not (it reports itself)
        if (d.type !== 'custom' || typeof d.fn !== 'function') return undefined
        { const fn = d.fn as (v: unknown) => unknown; out.push((v) => fn(v) === true) }
        break
      default:
        return undefined
    }
  }
  return out
}

function all (base: Predicate, checks: Predicate[]): Predicate {
  if (checks.length === 0) return base
  return (v) => {
    if (!base(v)) return false
    for (const c of checks) if (!c(v)) return false
    return true
  }
}

/** A predicate equivalent to `schema.safeParse(v).success` on the accepting side, or undefined. */
export function compileSchema (schema: z.ZodType): Predicate | undefined {
  const d = defOf(schema)
  switch (d.type) {
    case 'string': {
      const checks = compileChecks(d.checks, 'string')
      return checks && all((v) => typeof v === 'string', checks)
    }
    case 'number': {
      const checks = compileChecks(d.checks, 'number')
      return checks && all((v) => typeof v === 'number' && Number.isFinite(v), checks)
    }
    case 'boolean':
      return (d.checks?.length ?? 0) > 0 ? undefined : (v) => typeof v === 'boolean'
    case 'unknown':
      return () => true
    case 'literal': {
      const values = d.values as unknown[]
      return (v) => values.includes(v)
    }
    case 'enum': {
      const values = new Set(Object.values(d.entries as Record<string, unknown>))
      return (v) => (typeof v === 'string' || typeof v === 'number') && values.has(v)
    }
    case 'optional': {
      const inner = compileSchema(d.innerType)
      return inner && ((v) => v === undefined || inner(v))
    }
    case 'nullable': {
      const inner = compileSchema(d.innerType)
      return inner && ((v) => v === null || inner(v))
    }
    case 'array': {
      const element = compileSchema(d.element)
      const checks = compileChecks(d.checks, 'array')
      if (element === undefined || checks === undefined) return undefined
      return all((v) => {
        if (!Array.isArray(v)) return false
        for (const x of v) if (!element(x)) return false
        return true
      }, checks)
    }
    case 'record': {
      // string keys to anything: a plain JSON object
      if (defOf(d.keyType).type !== 'string' || (defOf(d.keyType).checks?.length ?? 0) > 0 || defOf(d.valueType).type !== 'unknown') return undefined
      return (d.checks?.length ?? 0) > 0 ? undefined : isObject
    }
    case 'object': {
      // strict objects only (catchall never): then every key must be in the shape
      if (d.catchall === undefined || defOf(d.catchall).type !== 'never') return undefined
      const shape = d.shape as Record<string, z.ZodType>
      const keys = Object.keys(shape)
      const fields: Predicate[] = []
      for (const k of keys) {
        const p = compileSchema(shape[k])
        if (p === undefined) return undefined
        fields.push(p)
      }
      const known = new Set(keys)
      const checks = compileChecks(d.checks, 'object')
      if (checks === undefined) return undefined
      return all((v) => {
        if (!isObject(v)) return false
        for (let i = 0; i < keys.length; i++) if (!fields[i](v[keys[i]])) return false
        for (const k in v) if (!known.has(k)) return false
        return true
      }, checks)
    }
    default:
      return undefined
  }
}
