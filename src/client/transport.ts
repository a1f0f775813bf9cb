// What the client library needs of a connection to the daemon: a call, a stream, a close. The
// control socket's ControlClient is one; LocalControl (the same method table, in-process) is the
// other, for parts of the daemon that drive it like a client (the A2A endpoint).

import type { CallOptions } from '../control/client.ts'
import type { MethodContext } from '../control/server.ts'
import { SwarmError, TimeoutError, toSwarmError } from '../errors.ts'

export interface ControlTransport {
  call: <T = any>(method: string, params?: unknown, opts?: CallOptions) => Promise<T>
  stream: <T = any>(method: string, params: unknown, onEvent: (event: any) => void, opts?: CallOptions) => Promise<T>
  close: () => void
  readonly isClosed: boolean
}

type Dispatch = (method: string, params: unknown, ctx: MethodContext) => Promise<unknown>

/** The daemon's method table called in-process: no socket, no JSON round trip; the same handlers,
 *  limits and errors a socket client meets. */
export class LocalControl implements ControlTransport {
  private readonly dispatch: Dispatch
  /** In-flight requests: closing ends each with `daemon-gone`, as a closed socket would. */
  private readonly live = new Set<(err: SwarmError) => void>()
  private closed = false

  constructor (dispatch: Dispatch) {
    this.dispatch = dispatch
  }

  get isClosed (): boolean { return this.closed }

  async call<T = any>(method: string, params: unknown = {}, opts: CallOptions = {}): Promise<T> {
    return await this.run<T>(method, params, () => {}, opts, opts.timeoutMs ?? 30_000)
  }

  async stream<T = any>(method: string, params: unknown, onEvent: (event: any) => void, opts: CallOptions = {}): Promise<T> {
    return await this.run<T>(method, params, onEvent, opts, opts.timeoutMs)
  }

  close (): void {
    this.closed = true
    for (const end of [...this.live]) end(new SwarmError('daemon-gone', 'the control connection is closed'))
  }

  /** Like ControlClient: an abort or a timeout ends the request at once and stops its handler. */
  private async run<T>(method: string, params: unknown, notify: (e: unknown) => void, opts: CallOptions, timeoutMs: number | undefined): Promise<T> {
    if (this.closed) throw new SwarmError('daemon-gone', 'the control connection is closed')
    return await new Promise<T>((resolve, reject) => {
      const ac = new AbortController()
      let timer: NodeJS.Timeout | undefined
      const end = (err?: SwarmError, value?: unknown): void => {
        if (!this.live.delete(end)) return
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        if (err === undefined) { resolve((value ?? null) as T); return }
        ac.abort()
        reject(err)
      }
      const onAbort = (): void => { end(new SwarmError('aborted', 'request aborted')) }
      this.live.add(end)
      if (timeoutMs !== undefined) timer = setTimeout(() => { end(new TimeoutError(`the daemon did not answer ${method} within ${timeoutMs} ms`)) }, timeoutMs)
      if (opts.signal?.aborted === true) { onAbort(); return }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      // a copy in, as the socket's JSON would make one: a handler may keep what it is given
      this.dispatch(method, structuredClone(params ?? {}), { signal: ac.signal, notify: (e) => { if (!ac.signal.aborted) notify(e) } })
        .then((value) => { end(undefined, value) }, (err: unknown) => { end(toSwarmError(err)) })
    })
  }
}
