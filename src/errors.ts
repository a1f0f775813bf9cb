// Typed errors with stable codes. Codes cross the control socket and reach scripts that match
// on them, so a code never changes once published; messages are for people.

export interface SwarmErrorJSON {
  code: string
  message: string
  detail?: unknown
}

export class SwarmError extends Error {
  readonly code: string
  readonly detail?: unknown
  /** Exit status the CLI uses when this error ends a command. */
  readonly exitCode: number

  constructor (code: string, message: string, options: { detail?: unknown, exitCode?: number, cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SwarmError'
    this.code = code
    this.detail = options.detail
    this.exitCode = options.exitCode ?? 1
  }

  toJSON (): SwarmErrorJSON {
    const out: SwarmErrorJSON = { code: this.code, message: this.message }
    if (this.detail !== undefined) out.detail = this.detail
    return out
  }

  static fromJSON (json: SwarmErrorJSON, exitCode?: number): SwarmError {
    return new SwarmError(json.code, json.message, { detail: json.detail, exitCode })
  }
}

/** Bad CLI usage or a bad argument value: exit 2. */
export class UsageError extends SwarmError {
  constructor (message: string, detail?: unknown) {
    super('usage', message, { detail, exitCode: 2 })
    this.name = 'UsageError'
  }
}

export class ConfigError extends SwarmError {
  constructor (message: string, detail?: unknown) {
    super('bad-config', message, { detail })
    this.name = 'ConfigError'
  }
}

export class DaemonNotRunningError extends SwarmError {
  constructor (home: string) {
    super('not-running', `swarmd is not running on home ${home}; start it with: swarm daemon --detach`, { exitCode: 3 })
    this.name = 'DaemonNotRunningError'
  }
}

export class AlreadyRunningError extends SwarmError {
  constructor (pid: number | undefined, home: string) {
    super('already-running', `swarmd is already running (pid ${pid ?? 'unknown'}) on home ${home}`, { detail: { pid } })
    this.name = 'AlreadyRunningError'
  }
}

export class NotFoundError extends SwarmError {
  constructor (what: string, id: string) {
    super('not-found', `${what} ${id} not found`, { detail: { id } })
    this.name = 'NotFoundError'
  }
}

export class TimeoutError extends SwarmError {
  constructor (message = 'operation timed out') {
    super('timeout', message)
    this.name = 'TimeoutError'
  }
}

/** Turns anything thrown into a SwarmError without losing a code it already had. */
export function toSwarmError (err: unknown): SwarmError {
  if (err instanceof SwarmError) return err
  if (err instanceof Error) {
    if (err.name === 'AbortError' || err.name === 'TimeoutError') return new TimeoutError(err.message)
    const code = typeof (err as { code?: unknown }).code === 'string' ? String((err as unknown as { code: string }).code) : 'internal'
    return new SwarmError(code, err.message, { cause: err })
  }
  return new SwarmError('internal', String(err))
}

/** A signal that aborts after `ms` unless the caller's own signal aborts first. */
export function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
}

/**
 * A signal that aborts when any of `parents` does or after `ms`; `done()` drops the timer and
 * the listeners. Cheaper than AbortSignal.any + AbortSignal.timeout on the per-task path, and
 * it leaves nothing registered on long-lived parents.
 */
export function scopedSignal (parents: Array<AbortSignal | undefined>, ms: number): { signal: AbortSignal, done: () => void } {
  const ac = new AbortController()
  const live = parents.filter((p): p is AbortSignal => p !== undefined)
  const onAbort = function (this: AbortSignal): void { ac.abort(this.reason) }
  const timer = setTimeout(() => { ac.abort(new SwarmError('timeout', `timed out after ${ms} ms`)) }, ms)
  const done = (): void => {
    clearTimeout(timer)
    for (const p of live) p.removeEventListener('abort', onAbort)
  }
  for (const p of live) {
    if (p.aborted) { ac.abort(p.reason); break }
    p.addEventListener('abort', onAbort, { once: true })
  }
  ac.signal.addEventListener('abort', done, { once: true })
  return { signal: ac.signal, done }
}

/**
 * Why a wait ended early, as its signal says: the caller's own SwarmError, a `timeout`
 * (AbortSignal.timeout's reason), else `aborted`. `while` names what was being waited for.
 */
export function abortedWhile (signal: AbortSignal, while_: string): SwarmError {
  const why = signal.reason as { name?: string } | undefined
  if (why instanceof SwarmError) return why
  if (why?.name === 'TimeoutError') return new SwarmError('timeout', `timed out while ${while_}`)
  return new SwarmError('aborted', `cancelled while ${while_}`)
}

/**
 * `work`, or its caller's abort, whichever comes first: for a caller sharing work begun by
 * another, whose own signal must still end its wait (the work itself goes on for the others).
 */
export async function untilAborted<T> (work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await work
  signal.throwIfAborted()
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(abortedWhile(signal, 'waiting for work in progress')) }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
