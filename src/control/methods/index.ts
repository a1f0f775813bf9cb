// The control methods' one table, and the two ways it is used: `handle()` registers a handler
// that receives parsed, typed parameters (a bad one is a `usage` error before the handler runs),
// and `checkParams()` lets a client (the CLI) refuse the same input before sending it.

import type { MethodContext, MethodRegistry } from '../server.ts'
import { UsageError } from '../../errors.ts'
import { METHODS, type MethodName, type MethodParams, type MethodSpec } from './table.ts'

export { METHODS, type MethodName, type MethodParams, type MethodSpec } from './table.ts'

/** True when `method` is declared in the table. */
export function isMethod (method: string): method is MethodName {
  return Object.hasOwn(METHODS, method)
}

/**
 * `params` parsed by `method`'s schema. A top-level null counts as absent (clients send either),
 * and a missing params object as `{}`. Throws a UsageError naming the method and the field.
 */
export function parseParams<N extends MethodName> (method: N, params: unknown): MethodParams<N> {
  const spec: MethodSpec = METHODS[method]
  const input = params === undefined || params === null
    ? {}
    : typeof params === 'object' && !Array.isArray(params)
      ? Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null))
      : params
  const r = spec.params.safeParse(input)
  if (r.success) return r.data as MethodParams<N>
  const issue = r.error.issues[0]
  const where = issue?.path.length === 0 ? 'params' : issue?.path.join('.')
  throw new UsageError(`${method}: ${where ?? 'params'}: ${issue?.message ?? 'bad parameters'}`, { method, field: where })
}

/** Checks a client's params before sending; methods the table does not know pass (a newer daemon may). */
export function checkParams (method: string, params: unknown): void {
  if (isMethod(method)) parseParams(method, params)
}

/** Registers `handler` for `method`; it receives the params already parsed by the method's schema. */
export function handle<N extends MethodName> (control: MethodRegistry, method: N, handler: (params: MethodParams<N>, ctx: MethodContext) => Promise<unknown>): void {
  control.register(method, async (params: unknown, ctx: MethodContext) => await handler(parseParams(method, params), ctx))
}
