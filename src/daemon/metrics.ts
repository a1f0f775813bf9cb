// Prometheus text on /metrics: libp2p's own metrics (@libp2p/prometheus-metrics) and swarmd's
// counters, mirrored from Counters as `swarmd_<name>_total{label}` so every part that counts
// something is exported without wiring each counter by hand. Loaded only when configured.

import { createServer, type Server } from 'node:http'
import type { Metrics } from '@libp2p/interface'
import type { Counters } from '../kernel/counters.ts'
import { SwarmError } from '../errors.ts'
import type { Logger } from '../kernel/logger.ts'

export interface MetricsHandle {
  /** Pass to libp2p's `metrics` option. */
  libp2pMetrics: (components: any) => Metrics
  /** Gauges read at scrape time (questions by state, peers, …). */
  gauge: (name: string, help: string, read: () => Record<string, number> | number) => void
  observeControl: (method: string, ms: number) => void
  listen: (addr: string) => Promise<string>
  stop: () => Promise<void>
}

export async function createMetrics (counters: Counters, log: Logger): Promise<MetricsHandle> {
  // prom-client is CommonJS: take module.exports whether loaded natively or from the bundle.
  const promModule: any = await import('prom-client')
  const prom: typeof import('prom-client') = promModule.default ?? promModule
  const { prometheusMetrics } = await import('@libp2p/prometheus-metrics')
  const registry = new prom.Registry()
  prom.collectDefaultMetrics({ register: registry, prefix: 'swarmd_process_' })
  const mirrored = new Map<string, InstanceType<typeof prom.Counter>>()
  counters.onIncrement = (name, label, by) => {
    let c = mirrored.get(name)
    if (c === undefined) {
      const metric = `swarmd_${name.replace(/[^a-zA-Z0-9]+/g, '_')}_total`
      c = new prom.Counter({ name: metric, help: `swarmd ${name}`, labelNames: ['label'], registers: [registry] })
      mirrored.set(name, c)
    }
    c.inc({ label }, by)
  }
  const control = new prom.Histogram({
    name: 'swarmd_control_request_seconds',
    help: 'control-socket request latency',
    labelNames: ['method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry]
  })
  let server: Server | undefined
  return {
    libp2pMetrics: prometheusMetrics({ registry, preserveExistingMetrics: true, collectDefaultMetrics: false }),
    gauge (name, help, read) {
      // eslint-disable-next-line no-new
      new prom.Gauge({
        name: `swarmd_${name}`,
        help,
        labelNames: ['label'],
        registers: [registry],
        collect () {
          const v = read()
          if (typeof v === 'number') { this.set(v); return }
          this.reset()
          for (const [label, n] of Object.entries(v)) this.set({ label }, n)
        }
      })
    },
    observeControl (method, ms) { control.observe({ method }, ms / 1000) },
    async listen (addr) {
      const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(addr)
      if (m === null) throw new SwarmError('bad-config', `metrics address must be host:port, got '${addr}'`)
      const host = m[1] !== undefined && m[1] !== '' ? m[1] : '127.0.0.1'
      const port = Number(m[2])
      server = createServer((req, res) => {
        if (req.url !== '/metrics') { res.writeHead(404).end('not found\n'); return }
        registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType }).end(text)
        }, (err: Error) => {
          log.warn('metrics scrape failed', { err: err.message })
          res.writeHead(500).end()
        })
      })
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject)
        server?.listen(port, host, () => { resolve() })
      })
      const a = server.address()
      return typeof a === 'object' && a !== null ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics` : String(a)
    },
    async stop () {
      await new Promise<void>((resolve) => { if (server === undefined) resolve(); else server.close(() => { resolve() }) })
    }
  }
}
