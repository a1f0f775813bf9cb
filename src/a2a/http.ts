// The A2A endpoint's HTTP side (node:http, no framework): the public Agent Card, and JSON-RPC
// behind the bearer token — v1.0 methods (SendMessage, SendStreamingMessage, GetTask, CancelTask)
// and, for a request without `A2A-Version: 1.x`, the v0.3 names (message/send, message/stream,
// tasks/get, tasks/cancel). Streams are server-sent events.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { AGENT_CARD_PATH, AgentCard, A2A_VERSION_HEADER, Extensions, SSE_HEADERS, formatSSEErrorEvent, formatSSEEvent } from '@a2a-js/sdk'
import { JsonRpcTransportHandler, defaultServerCallContextBuilder, validateVersion, type A2ARequestHandler, type User } from '@a2a-js/sdk/server'
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server'
import { bearerMatches } from './token.ts'
import { JSONRPC_PATH } from './card.ts'

export const MAX_BODY_BYTES = 1024 * 1024
const LEGACY = '0.3'

export interface EndpointInit {
  handler: A2ARequestHandler
  token: string
  /** Counts for stats: requests, refused (no or bad token), bad (unreadable bodies). */
  numbers: { requests: number, unauthorized: number, bad: number }
  /** Brings the card up to date before it is served (the task types the swarm offers change). */
  refreshCard?: () => Promise<void>
}

const operator: User = { get isAuthenticated () { return true }, get userName () { return 'operator' } }

function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) { res.end(); return }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

const rpcError = (id: unknown, code: number, message: string): unknown => ({ jsonrpc: '2.0', id: id ?? null, error: { code, message } })

/** The body, or undefined when it is over the cap: then the rest is read and dropped (up to 8×
 *  the cap, so the refusal reaches the client) or the connection is cut. */
async function readBody (req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 8 * MAX_BODY_BYTES) { req.destroy(); return undefined }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer)
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')
}

export function createEndpoint (init: EndpointInit): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const modern = new JsonRpcTransportHandler(init.handler)
  const legacy = new LegacyJsonRpcTransportHandler(init.handler)
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === `/${AGENT_CARD_PATH}`) {
      await init.refreshCard?.().catch(() => {})
      sendJson(res, 200, AgentCard.toJSON(await init.handler.getAgentCard()), { 'Cache-Control': 'no-cache' })
      return
    }
    if (path !== JSONRPC_PATH) { sendJson(res, 404, { error: 'not found' }); return }
    if (req.method !== 'POST') { sendJson(res, 405, { error: 'POST only' }, { Allow: 'POST' }); return }
    init.numbers.requests++
    if (!bearerMatches(req.headers.authorization, init.token)) {
      init.numbers.unauthorized++
      req.resume()
      sendJson(res, 401, rpcError(null, -32001, 'unauthorized: a bearer token (the a2a-token file in the node\'s home) is required'), { 'WWW-Authenticate': 'Bearer realm="swarmd"' })
      return
    }
    const type = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase()
    if (type !== 'application/json' && type !== 'application/a2a+json') { init.numbers.bad++; req.resume(); sendJson(res, 415, rpcError(null, -32005, `content type ${type} is not JSON`)); return }
    const raw = await readBody(req)
    if (raw === undefined) { init.numbers.bad++; sendJson(res, 413, rpcError(null, -32600, `request body over ${MAX_BODY_BYTES} bytes`)); return }
    let body: any
    try { body = JSON.parse(raw) } catch { init.numbers.bad++; sendJson(res, 200, rpcError(null, -32700, 'request body is not JSON')); return }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) { init.numbers.bad++; sendJson(res, 200, rpcError(null, -32600, 'not a JSON-RPC request object')); return }
    const version = headerOf(req, A2A_VERSION_HEADER)
    const useLegacy = (version ?? LEGACY) === LEGACY
    const mapError = useLegacy ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError : JsonRpcTransportHandler.mapToJSONRPCError
    let result: unknown
    try {
      const context = defaultServerCallContextBuilder({ extensions: Extensions.parseServiceParameter(headerOf(req, 'A2A-Extensions')), user: operator, headers: req.headers, requestedVersion: version })
      validateVersion(context.requestedVersion, await init.handler.getAgentCard(), 'JSONRPC')
      result = await (useLegacy ? legacy : modern).handle(body, context)
    } catch (err) {
      sendJson(res, 200, { jsonrpc: '2.0', id: body.id ?? null, error: mapError(err) })
      return
    }
    if (result === null || typeof result !== 'object' || !(Symbol.asyncIterator in result)) { sendJson(res, 200, result); return }
    await streamSse(res, result as AsyncGenerator<unknown>, body.id, mapError)
  }
}

async function streamSse (res: ServerResponse, stream: AsyncGenerator<unknown>, id: unknown, mapError: (e: unknown) => unknown): Promise<void> {
  const it = stream[Symbol.asyncIterator]()
  let first: IteratorResult<unknown>
  try {
    first = await it.next()
  } catch (err) {
    // nothing sent yet: a plain JSON-RPC error, like any other refusal
    sendJson(res, 200, { jsonrpc: '2.0', id: id ?? null, error: mapError(err) })
    return
  }
  res.writeHead(200, SSE_HEADERS)
  res.flushHeaders()
  // a client that hangs up ends the generator (and with it the task's subscription, not the task)
  res.once('close', () => { void it.return?.(undefined) })
  try {
    if (first.done !== true) res.write(formatSSEEvent(first.value))
    for (;;) {
      const r = await it.next()
      if (r.done === true || res.destroyed) break
      res.write(formatSSEEvent(r.value))
    }
  } catch (err) {
    if (!res.destroyed) res.write(formatSSEErrorEvent({ jsonrpc: '2.0', id: id ?? null, error: mapError(err) }))
  } finally {
    if (!res.writableEnded) res.end()
  }
}

function headerOf (req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}
