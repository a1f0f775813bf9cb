// Control-socket client: what the CLI (and tests) use to drive a daemon. Light on imports on
// purpose: the CLI must start fast and never loads libp2p.

import { connect, type Socket } from 'node:net'
import { DaemonNotRunningError, SwarmError, TimeoutError } from '../errors.ts'
import { LineSplitter, rpcErrorToSwarm, type RpcResponse } from './protocol.ts'

/**
 * The params checked against the method's schema (src/control/methods), so a bad argument is
 * refused here with the `usage` error the daemon would give. Loaded on first use: a command
 * that never calls (or only calls methods with no parameters) does not pay for zod.
 */
let methods: Promise<typeof import('./methods/index.ts')> | undefined
async function checkBeforeSending (method: string, params: unknown): Promise<void> {
  if (params === undefined || params === null || (typeof params === 'object' && Object.keys(params).length === 0)) return
  methods ??= import('./methods/index.ts')
  ;(await methods).checkParams(method, params)
}

export interface CallOptions {
  signal?: AbortSignal
  /** Default 30 s; streams default to none (they end on close, signal or the daemon). */
  timeoutMs?: number
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  onEvent?: (event: unknown) => void
}

export class ControlClient {
  private readonly socket: Socket
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closed = false
  private readonly home: string

  private constructor (socket: Socket, home: string) {
    this.socket = socket
    this.home = home
    const splitter = new LineSplitter(64 * 1024 * 1024)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      for (const line of splitter.push(chunk)) {
        if (line == null || line.trim() === '') continue
        this.onLine(line)
      }
    })
    const fail = (err: Error): void => {
      this.closed = true
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
    }
    socket.on('error', (err) => { fail(new SwarmError('socket-error', `control socket error: ${err.message}`)) })
    socket.on('close', () => { fail(new SwarmError('daemon-gone', 'the daemon closed the control connection')) })
  }

  static async connect (socketPath: string, home: string, signal?: AbortSignal): Promise<ControlClient> {
    return await new Promise((resolve, reject) => {
      const socket = connect(socketPath)
      const onAbort = (): void => { socket.destroy(); reject(new TimeoutError('connecting to the daemon was aborted')) }
      signal?.addEventListener('abort', onAbort, { once: true })
      socket.once('connect', () => {
        signal?.removeEventListener('abort', onAbort)
        socket.removeAllListeners('error')
        resolve(new ControlClient(socket, home))
      })
      socket.once('error', (err: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', onAbort)
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') reject(new DaemonNotRunningError(home))
        else if (err.code === 'EACCES') reject(new SwarmError('permission-denied', `cannot open the control socket ${socketPath}: permission denied (run as the home's owner)`))
        else reject(new SwarmError('socket-error', `cannot reach the daemon at ${socketPath}: ${err.message}`))
      })
    })
  }

  private onLine (line: string): void {
    let msg: any
    try { msg = JSON.parse(line) } catch { return }
    if (msg?.method === 'stream' && msg.params != null) {
      this.pending.get(msg.params.id)?.onEvent?.(msg.params.event)
      return
    }
    const p = this.pending.get(msg?.id)
    if (p == null) return
    this.pending.delete(msg.id)
    const res = msg as RpcResponse
    if (res.error != null) p.reject(rpcErrorToSwarm(res.error))
    else p.resolve(res.result)
  }

  private send (method: string, params: unknown, pending: Pending, opts: CallOptions, defaultTimeout: number | undefined): void {
    if (this.closed) { pending.reject(new SwarmError('daemon-gone', 'the control connection is closed')); return }
    const id = this.nextId++
    const timeoutMs = opts.timeoutMs ?? defaultTimeout
    let timer: NodeJS.Timeout | undefined
    const cleanup = (): void => {
      if (timer != null) clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      this.pending.delete(id)
      cleanup()
      // Tell the daemon so it can stop a stream or cancel work.
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', method: 'cancel', params: { id } }) + '\n')
      pending.reject(new SwarmError('aborted', 'request aborted'))
    }
    this.pending.set(id, {
      resolve: (v) => { cleanup(); pending.resolve(v) },
      reject: (e) => { cleanup(); pending.reject(e) },
      onEvent: pending.onEvent
    })
    if (timeoutMs != null) {
      timer = setTimeout(() => {
        this.pending.delete(id)
        cleanup()
        pending.reject(new TimeoutError(`the daemon did not answer ${method} within ${timeoutMs} ms`))
      }, timeoutMs)
    }
    if (opts.signal?.aborted === true) { onAbort(); return }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n')
  }

  async call<T = any>(method: string, params: unknown = {}, opts: CallOptions = {}): Promise<T> {
    await checkBeforeSending(method, params)
    return await new Promise<T>((resolve, reject) => {
      this.send(method, params, { resolve: resolve as (v: unknown) => void, reject }, opts, 30_000)
    })
  }

  /** A streaming call: `onEvent` gets each notification; resolves with the final result. */
  async stream<T = any>(method: string, params: unknown, onEvent: (event: any) => void, opts: CallOptions = {}): Promise<T> {
    await checkBeforeSending(method, params)
    return await new Promise<T>((resolve, reject) => {
      this.send(method, params, { resolve: resolve as (v: unknown) => void, reject, onEvent }, opts, undefined)
    })
  }

  /** True once the connection is closed (by us, the daemon or an error). */
  get isClosed (): boolean { return this.closed }

  close (): void {
    this.closed = true
    this.socket.end()
    this.socket.destroy()
  }
}
