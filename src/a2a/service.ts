// The A2A service of the daemon. Off unless `a2a.listen` is set; then an HTTP endpoint (loopback
// when the host is left out) serves the Agent Card and A2A JSON-RPC behind the bearer token in
// `<home>/a2a-token`. It drives the node like any other client, through the control methods.
// Built on @a2a-js/sdk: its DefaultRequestHandler, task store and transport handlers.

import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import { handle } from '../control/methods/index.ts'
import { ControlClient } from '../control/client.ts'
import { SwarmClient } from '../client/swarm-client.ts'
import { LocalControl } from '../client/transport.ts'
import { SwarmError } from '../errors.ts'
import { loadOrCreateToken, tokenPath } from './token.ts'

export type A2AComponents = Pick<SwarmComponents, 'config' | 'identity' | 'paths' | 'log' | 'control'>

/** `host:port`, `[::1]:port` or `:port` (loopback). */
export function parseA2AListen (listen: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen.trim())
  const port = Number(m?.[3])
  if (m === null || port > 65535) throw new SwarmError('bad-config', `a2a.listen must be HOST:PORT (e.g. 127.0.0.1:7790), got ${listen}`, { exitCode: 2 })
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]), port }
}

const LOOPBACK = /^(127\.|::1$|localhost$)/

export class A2AService implements SwarmService {
  readonly name = 'a2a'
  /** `http://host:port` once listening. */
  url?: string
  private readonly c: A2AComponents
  private server?: Server
  private client?: Promise<SwarmClient>
  private readonly numbers = { requests: 0, unauthorized: 0, bad: 0 }
  private active = (): number => 0

  constructor (c: A2AComponents) {
    this.c = c
  }

  async start (): Promise<void> {
    handle(this.c.control, 'a2a.status', async () => ({ listening: this.url !== undefined, url: this.url ?? null, card: this.url === undefined ? null : `${this.url}/.well-known/agent-card.json`, tokenFile: tokenPath(this.c.paths.home) }))
    const listen = this.c.config.a2a.listen
    if (listen === null) return
    const { host, port } = parseA2AListen(listen)
    if (!LOOPBACK.test(host)) this.c.log.warn('a2a endpoint listens beyond loopback', { host })
    // the SDK is loaded only when the endpoint is on
    const [{ InMemoryTaskStore }, { SwarmRequestHandler }, { SwarmAgentExecutor }, { buildAgentCard, cardSkills }, { createEndpoint }] = await Promise.all([
      import('@a2a-js/sdk/server'), import('./handler.ts'), import('./executor.ts'), import('./card.ts'), import('./http.ts')
    ])
    const token = await loadOrCreateToken(this.c.paths.home)
    const executor = new SwarmAgentExecutor({ client: async () => await this.control(), nodeId: this.c.identity.nodeId, defaultWaitSec: this.c.config.a2a.waitSec })
    this.active = () => executor.active
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => { reject(new SwarmError('a2a-listen-failed', `cannot serve A2A on ${listen}: ${err.code === 'EADDRINUSE' ? 'address in use' : err.message}`)) })
      server.listen(port, host, () => { resolve() })
    })
    const addr = server.address() as AddressInfo
    this.url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
    const federation = this.c.identity.federation
    const card = buildAgentCard({ baseUrl: this.url, nodeId: this.c.identity.nodeId, federation, version: this.version(), taskTypes: this.c.config.tasks.accept })
    const handler = new SwarmRequestHandler(card, new InMemoryTaskStore(), executor)
    // the task skills are what this node and its peers advertise now (the handler keeps this card object)
    const refreshCard = async (): Promise<void> => {
      const caps = await (await this.control()).call<{ local: { taskTypes: string[] }, peers: Array<{ taskTypes: string[] }> }>('capabilities')
      card.skills = cardSkills({ federation, taskTypes: [...caps.local.taskTypes, ...caps.peers.flatMap((p) => p.taskTypes)] })
    }
    const endpoint = createEndpoint({ handler, token, numbers: this.numbers, refreshCard })
    server.on('request', (req, res) => {
      endpoint(req, res).catch((err: Error) => {
        this.c.log.warn('a2a request failed', { err: err.message })
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ error: 'internal' }))
      })
    })
    server.keepAliveTimeout = 5000
    this.server = server
    this.c.log.info('a2a endpoint served', { url: this.url })
  }

  async stop (): Promise<void> {
    const s = this.server
    this.server = undefined
    if (s !== undefined) {
      s.closeAllConnections()
      await new Promise<void>((resolve) => { s.close(() => { resolve() }) })
    }
    if (this.client !== undefined) (await this.client.catch(() => undefined))?.disconnect()
    this.client = undefined
  }

  stats (): Record<string, unknown> {
    if (this.url === undefined) return {}
    return { a2a: { url: this.url, ...this.numbers, activeTasks: this.active() } }
  }

  /** The daemon's method table in-process (no socket hop, no JSON round trip per event), else its
   *  own control socket (which opens after the services start, so on first use). */
  private async control (): Promise<SwarmClient> {
    const existing = this.client === undefined ? undefined : await this.client.catch(() => undefined)
    if (existing !== undefined && !existing.control.isClosed) return existing
    const { control } = this.c
    this.client = control.dispatch !== undefined
      ? Promise.resolve(new SwarmClient(new LocalControl(control.dispatch.bind(control))))
      : ControlClient.connect(this.c.paths.socket, this.c.paths.home, AbortSignal.timeout(5000)).then((cc) => new SwarmClient(cc))
    return await this.client
  }

  private version (): string {
    try { return String(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version) } catch { return 'unknown' }
  }
}
