// The control socket: a Unix socket in the home, mode 0600, owner-only. Each line is one
// JSON-RPC request; handlers come from a method table that services fill at start. A bad
// line gets an error reply and the connection (and the daemon) keeps serving.

import { createServer, type Server, type Socket } from 'node:net'
import { chmod, unlink } from 'node:fs/promises'
import { SwarmError, toSwarmError } from '../errors.ts'
import { MAX_CONTROL_LINE_BYTES } from '../constants.ts'
import {
  LineSplitter, errorResponse, RPC_APP_ERROR, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR,
  type RpcRequest, type RpcResponse
} from './protocol.ts'

/** How long a refused connection may stay open after its refusal (the client reads it, then closes). */
const REFUSED_LINGER_MS = 2000

export interface MethodContext {
  /** Aborted when the client disconnects or cancels this request. */
  signal: AbortSignal
  /** Sends a stream notification for this request (streaming methods only). */
  notify: (event: unknown) => void
}

export type MethodHandler = (params: any, ctx: MethodContext) => Promise<unknown>

export interface MethodRegistry {
  register: (method: string, handler: MethodHandler) => void
  /** Runs a method in-process, as a socket client's call would (for parts that drive the daemon like a client). */
  dispatch?: (method: string, params: unknown, ctx: MethodContext) => Promise<unknown>
}

export interface ControlServerInit {
  socketPath: string
  /** Called for every finished request (metrics). */
  onRequest?: (method: string, ok: boolean, ms: number) => void
  /** Peer-credential check; return false to refuse a connection. */
  authorize?: (socket: Socket) => boolean
  log?: { warn: (msg: string, fields?: object) => void }
}

export class ControlServer implements MethodRegistry {
  private readonly methods = new Map<string, MethodHandler>()
  private server?: Server
  private readonly sockets = new Set<Socket>()
  private readonly init: ControlServerInit

  constructor (init: ControlServerInit) {
    this.init = init
  }

  register (method: string, handler: MethodHandler): void {
    if (this.methods.has(method)) throw new Error(`control method ${method} registered twice`)
    this.methods.set(method, handler)
  }

  async dispatch (method: string, params: unknown, ctx: MethodContext): Promise<unknown> {
    const handler = this.methods.get(method)
    if (handler === undefined) throw new SwarmError('unknown-method', `unknown method ${method}`)
    return await handler(params ?? {}, ctx)
  }

  async start (): Promise<void> {
    // We hold the home lock, so a socket file here is a leftover from a crash.
    await unlink(this.init.socketPath).catch(() => {})
    const server = createServer((socket) => { this.onConnection(socket) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      // Create the socket owner-only from the first instant, then make the mode explicit.
      const old = process.umask(0o177)
      try {
        server.listen(this.init.socketPath, () => { server.off('error', reject); resolve() })
      } finally {
        process.umask(old)
      }
    })
    await chmod(this.init.socketPath, 0o600)
    this.server = server
  }

  async stop (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => {
      if (this.server == null) { resolve(); return }
      this.server.close(() => { resolve() })
    })
    await unlink(this.init.socketPath).catch(() => {})
  }

  private onConnection (socket: Socket): void {
    this.sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => { this.sockets.delete(socket) })
    if (this.init.authorize != null && !this.init.authorize(socket)) {
      // What the refused client still sends is read and dropped, so its request's write does not
      // fail (EPIPE) before it reads the refusal; the connection is destroyed after a short
      // linger in any case, so a refused client cannot hold it (or a graceful stop) open.
      socket.resume()
      socket.end(JSON.stringify(errorResponse(null, RPC_INVALID_REQUEST, new SwarmError('forbidden', 'control socket: connection refused (not the home owner)'))) + '\n')
      setTimeout(() => { socket.destroy() }, REFUSED_LINGER_MS).unref()
      return
    }
    const inflight = new Map<number | string, AbortController>()
    const splitter = new LineSplitter(MAX_CONTROL_LINE_BYTES)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      for (const line of splitter.push(chunk)) {
        if (line === null) {
          this.reply(socket, errorResponse(null, RPC_INVALID_REQUEST, new SwarmError('too-large', `request larger than ${MAX_CONTROL_LINE_BYTES} bytes`)))
          continue
        }
        if (line.trim() === '') continue
        void this.onLine(socket, line, inflight)
      }
    })
    socket.on('close', () => {
      for (const ac of inflight.values()) ac.abort()
      inflight.clear()
    })
  }

  private async onLine (socket: Socket, line: string, inflight: Map<number | string, AbortController>): Promise<void> {
    let req: RpcRequest
    try {
      req = JSON.parse(line)
    } catch (err: any) {
      this.reply(socket, errorResponse(null, RPC_PARSE_ERROR, new SwarmError('bad-json', `request is not JSON: ${err.message as string}`)))
      return
    }
    if (req === null || typeof req !== 'object' || req.jsonrpc !== '2.0' || typeof req.method !== 'string') {
      this.reply(socket, errorResponse(null, RPC_INVALID_REQUEST, new SwarmError('bad-request', 'not a JSON-RPC 2.0 request')))
      return
    }
    const id = (typeof req.id === 'number' || typeof req.id === 'string') ? req.id : null
    if (req.method === 'cancel') {
      const target = (req.params as { id?: number | string } | undefined)?.id
      if (target !== undefined) inflight.get(target)?.abort()
      return
    }
    const handler = this.methods.get(req.method)
    if (handler === undefined) {
      this.reply(socket, errorResponse(id, RPC_METHOD_NOT_FOUND, new SwarmError('unknown-method', `unknown method ${req.method}`)))
      return
    }
    const ac = new AbortController()
    if (id !== null) inflight.set(id, ac)
    const started = performance.now()
    try {
      const result = await handler(req.params ?? {}, {
        signal: ac.signal,
        notify: (event) => {
          if (id === null || socket.destroyed) return
          // a burst of events (a gossip read delivering many questions) leaves in one write per
          // turn of the loop, not one syscall per event
          if (socket.writableCorked === 0) {
            socket.cork()
            setImmediate(() => { socket.uncork() })
          }
          socket.write(JSON.stringify({ jsonrpc: '2.0', method: 'stream', params: { id, event } }) + '\n')
        }
      })
      this.init.onRequest?.(req.method, true, performance.now() - started)
      if (id !== null) this.reply(socket, { jsonrpc: '2.0', id, result: result ?? null })
    } catch (err) {
      this.init.onRequest?.(req.method, false, performance.now() - started)
      const e = toSwarmError(err)
      if (e.code === 'internal') this.init.log?.warn('control method failed', { method: req.method, err: (err as Error)?.stack })
      if (id !== null) this.reply(socket, errorResponse(id, RPC_APP_ERROR, e))
    } finally {
      if (id !== null) inflight.delete(id)
    }
  }

  private reply (socket: Socket, res: RpcResponse): void {
    if (!socket.destroyed) socket.write(JSON.stringify(res) + '\n')
  }
}
