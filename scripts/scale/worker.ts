// One process of the scale harness: hosts a share of the swarm as real daemons (Daemon.start,
// the very wiring `swarm daemon` runs: bus, channels, synthesis, tasks, reflections, federation),
// each in its own temporary home, and answers the coordinator over IPC. It also counts the bytes
// its daemons write to TCP (every libp2p link, whatever protocol) through Node's net diagnostics
// channels, and reports CPU and memory, so per-node costs are measured, not estimated.

import { subscribe } from 'node:diagnostics_channel'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import { Daemon } from '../../src/daemon/index.ts'
import { initHome } from '../../src/config/home.ts'
import { homePaths } from '../../src/config/paths.ts'

export interface NodeSpec { index: number, home: string, federation: string, config: Record<string, unknown> }
export interface NodeInfo { index: number, home: string, socket: string, tcp: string, peerId: string, nodeId: string }
export interface WorkerSample { cpuUs: number, rss: number, tcpBytesOut: number, nodes: number, connections: number[], topics: number[] }

type Request =
  | { id: number, op: 'start', specs: NodeSpec[] }
  | { id: number, op: 'stop', indexes: number[] }
  | { id: number, op: 'sample' }
  | { id: number, op: 'exit' }

// ---- TCP bytes out: every socket to an IP address (the control socket is a Unix socket)
let closedBytes = 0
const sockets = new Set<Socket>()
const isTcp = (s: Socket): boolean => typeof s.remoteAddress === 'string' && s.remoteAddress !== ''
const track = (s: Socket): void => {
  const add = (): void => {
    if (!isTcp(s)) return
    sockets.add(s)
    s.once('close', () => { closedBytes += s.bytesWritten; sockets.delete(s) })
  }
  if (s.connecting) s.once('connect', add)
  else add()
}
subscribe('net.client.socket', (m: any) => { track(m.socket) })
subscribe('net.server.socket', (m: any) => { track(m.socket) })
const tcpBytesOut = (): number => { let b = closedBytes; for (const s of sockets) b += s.bytesWritten; return b }

const daemons = new Map<number, Daemon>()

async function startNode (spec: NodeSpec): Promise<NodeInfo> {
  const paths = homePaths(spec.home)
  await initHome(paths, { federation: spec.federation })
  await writeFile(paths.config, JSON.stringify(spec.config))
  const d = await Daemon.start({ home: spec.home, env: {} })
  daemons.set(spec.index, d)
  const tcp = d.node.getMultiaddrs().map((a) => a.toString()).find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (tcp === undefined) throw new Error('no tcp address')
  return { index: spec.index, home: spec.home, socket: join(spec.home, 'swarm.sock'), tcp, peerId: d.identity.peerId.toString(), nodeId: d.identity.nodeId }
}

function sample (): WorkerSample {
  const cpu = process.cpuUsage()
  const connections: number[] = []
  const topics: number[] = []
  for (const d of daemons.values()) {
    connections.push(new Set(d.node.getConnections().map((c) => c.remotePeer.toString())).size)
    topics.push(d.node.services.pubsub.getTopics().length)
  }
  return { cpuUs: cpu.user + cpu.system, rss: process.memoryUsage().rss, tcpBytesOut: tcpBytesOut(), nodes: daemons.size, connections, topics }
}

async function handle (req: Request): Promise<unknown> {
  switch (req.op) {
    case 'start': {
      // a few at a time: starting all at once only queues them behind each other on 2 cores
      const out: NodeInfo[] = []
      for (let i = 0; i < req.specs.length; i += 4) out.push(...await Promise.all(req.specs.slice(i, i + 4).map(startNode)))
      return out
    }
    case 'stop':
      await Promise.all(req.indexes.map(async (i) => { await daemons.get(i)?.stop(); daemons.delete(i) }))
      return { stopped: req.indexes.length }
    case 'sample': return sample()
    case 'exit':
      await Promise.all([...daemons.values()].map(async (d) => await d.stop().catch(() => {})))
      daemons.clear()
      setImmediate(() => process.exit(0))
      return { bye: true }
  }
}

export function runWorker (): void {
  process.env.SWARM_BENCH = '1' // the raw-gossipsub baseline's control methods
  process.on('message', (req: Request) => {
    handle(req).then((result) => process.send?.({ id: req.id, result }), (err: Error) => process.send?.({ id: req.id, error: err.stack ?? err.message }))
  })
  process.on('disconnect', () => process.exit(0)) // the coordinator is gone: so are we
  // as a daemon's own process does (src/cli/run-daemon.ts): a stray rejection is reported, not fatal
  process.on('unhandledRejection', (err) => { process.stderr.write(`scale worker: unhandled rejection: ${(err as Error)?.stack ?? String(err)}\n`) })
  process.send?.({ id: 0, result: sample() }) // ready, with the empty process's own costs
}

if (process.argv[2] === '--worker') runWorker()
