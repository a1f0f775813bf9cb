// The daemon's web service: with `web.listen` (or `swarm daemon --web HOST:PORT`) a small
// node:http server serves the page, the browser bundle and /api/bootstrap (the daemon's
// webrtc-direct and websocket addresses, its federation and the topics to use). The bundle is
// prebuilt (dist/web/, a build step: src/web/bundle.ts); the daemon reads it in the background
// at start and warns when it is older than its sources.
import { PACKAGE_ROOT } from '../root.ts'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { isWebBundleStale, readWebBundle } from './bundle.ts'

import { topics } from '../constants.ts'
import { SwarmError } from '../errors.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import type { Bootstrap } from './swarm-api.ts'

export type WebComponents = Pick<SwarmComponents, 'config' | 'identity' | 'libp2p' | 'paths' | 'log' | 'topics'>

const PAGE_FILE = join(PACKAGE_ROOT, 'src', 'web', 'page.html')

interface Bundle { body: Buffer, gzip: Buffer, etag: string, file: string }

/** `host:port`, `[::1]:port` or `:port` → listen arguments. */
export function parseListen (listen: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen.trim())
  const port = Number(m?.[3])
  if (m === null || port > 65535) throw new SwarmError('bad-config', `web.listen must be HOST:PORT (e.g. 127.0.0.1:7780), got ${listen}`, { exitCode: 2 })
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]), port }
}

const PRIVATE_HOST = /^\/(ip4\/(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)|ip6\/(::1|f[cd]|fe80)|dns[46]?\/localhost\/)/

export class WebService implements SwarmService {
  readonly name = 'web'
  /** `http://host:port/` once listening. */
  url?: string
  private readonly c: WebComponents
  private server?: Server
  private page?: string
  private bundle?: Promise<Bundle>
  private bundleState: 'none' | 'loading' | 'ready' | 'failed' = 'none'
  private bundleBytes?: number
  private served = { page: 0, bundle: 0, bootstrap: 0 }

  constructor (c: WebComponents) {
    this.c = c
  }

  async start (): Promise<void> {
    const listen = this.c.config.web.listen
    if (listen === null) return
    const { host, port } = parseListen(listen)
    this.page = await readFile(PAGE_FILE, 'utf8')
    this.bundle = this.loadBundle()
    this.bundle.catch(() => {}) // reported in stats and the log; requests see it as a 503
    const server = createServer((req, res) => { this.handle(req, res).catch((err) => { this.fail(res, err) }) })
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new SwarmError('web-listen-failed', `cannot serve the web page on ${listen}: ${err.code === 'EADDRINUSE' ? 'address in use' : err.message}`))
      })
      server.listen(port, host, () => { resolve() })
    })
    this.server = server
    const addr = server.address() as AddressInfo
    const shown = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
    this.url = `http://${shown}:${addr.port}/`
    if (this.bootstrap().addrs.length === 0) this.c.log.warn('web page served, but the daemon listens on neither webrtc-direct nor websockets: browsers cannot join', { listen: this.c.config.listen })
    this.c.log.info('web page served', { url: this.url })
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  }

  stats (): Record<string, unknown> {
    if (this.c.config.web.listen === null) return {}
    return { web: { url: this.url ?? null, bundle: { state: this.bundleState, bytes: this.bundleBytes ?? null }, served: { ...this.served } } }
  }

  /** What a page needs to join this daemon (also inlined in the page as window.SWARM_BOOTSTRAP). */
  bootstrap (requestHost?: string): Bootstrap {
    const { libp2p, identity, config } = this.c
    const me = identity.peerId.toString()
    const all = libp2p.getMultiaddrs().map((a) => a.toString()).filter((a) => !a.includes('/p2p-circuit')).map((a) => a.includes('/p2p/') ? a : `${a}/p2p/${me}`)
    // the host the browser reached us at first: the address it can most likely dial
    const host = requestHost?.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
    const near = (a: string): number => host !== undefined && a.split('/')[2] === host ? 0 : 1
    const direct = all.filter((a) => a.includes('/webrtc-direct/') && a.includes('/certhash/')).sort((a, b) => near(a) - near(b))
    const ws = all.filter((a) => /\/(ws|wss|tls\/ws)\//.test(a)).sort((a, b) => near(a) - near(b))
    const addrs = [...direct, ...ws]
    const questionTopics = [topics.questions(identity.federation), ...config.bus.global ? [topics.globalQuestions()] : []]
    return {
      addrs,
      peerId: me,
      nodeId: identity.nodeId,
      federation: identity.federation,
      topics: { questions: questionTopics },
      heartbeatSec: config.presence.heartbeatSec,
      clockSkewSec: config.bus.clockSkewSec,
      defaultTtlSec: config.bus.defaultTtlSec,
      iceServers: config.iceServers as RTCIceServer[],
      // browsers refuse private addresses and ws:// unless told otherwise; the daemon that served the page vouches for its own
      allowLoopback: addrs.some((a) => PRIVATE_HOST.test(a) || /\/ws\//.test(a))
    }
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('referrer-policy', 'no-referrer')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    switch (path) {
      case '/':
      case '/index.html': {
        this.served.page++
        const boot = JSON.stringify(this.bootstrap(req.headers.host)).replace(/</g, '\\u003c')
        const html = (this.page ?? '').replace('<!--bootstrap-->', `<script>window.SWARM_BOOTSTRAP=${boot}</script>`)
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : html)
        return
      }
      case '/api/bootstrap':
        this.served.bootstrap++
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(this.bootstrap(req.headers.host)))
        return
      case '/swarm.js': {
        let bundle: Bundle
        try {
          bundle = await this.bundle!
        } catch (err) {
          res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' }).end(`the browser bundle is not available: ${(err as Error).message}\n`)
          return
        }
        this.served.bundle++
        const headers: Record<string, string> = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', etag: bundle.etag, vary: 'accept-encoding' }
        if (req.headers['if-none-match'] === bundle.etag) {
          res.writeHead(304, headers).end()
          return
        }
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
        if (gzip) headers['content-encoding'] = 'gzip'
        const body = gzip ? bundle.gzip : bundle.body
        headers['content-length'] = String(body.length)
        res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body)
        return
      }
      case '/favicon.ico':
        res.writeHead(204).end()
        return
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  }

  private fail (res: ServerResponse, err: unknown): void {
    this.c.log.warn('web request failed', { err: (err as Error).message })
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
    res.end()
  }

  /** Reads the prebuilt bundle (dist/web) once and keeps it in memory; a stale one is served with a warning. */
  private async loadBundle (): Promise<Bundle> {
    this.bundleState = 'loading'
    try {
      const { file, body } = await readWebBundle()
      const bundle: Bundle = { body, gzip: gzipSync(body), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, file }
      this.bundleState = 'ready'
      this.bundleBytes = body.length
      this.c.log.info('web bundle ready', { file, bytes: body.length })
      if (await isWebBundleStale()) this.c.log.warn('web bundle is older than its sources: rebuild it with `npm run build:web`', { file })
      return bundle
    } catch (err) {
      this.bundleState = 'failed'
      this.c.log.error('web bundle not available', { err: (err as Error).message })
      throw err
    }
  }
}

export function webService (c: WebComponents): WebService {
  return new WebService(c)
}
