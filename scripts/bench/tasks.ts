// Task delegation figures: round trip of a trivial task (p50, p99) beside a raw libp2p
// request/response on a fresh stream between the same two nodes in the same run, and tasks/s
// with 16 in flight. Two real libp2p nodes over loopback TCP in this process, each with the
// real TaskService (LevelDB, audit log, adverts); only the control socket is left out.
//
// The trivial task is `echo`, an extra task type the benchmark hands the executor's service
// (TaskServiceInit.executors; the daemon never has it): it takes the whole real path (adverts,
// selection, signed request, verify, audit, queue, signed response, verify, audit) with no
// executor work, so the ratio measures delegation overhead, not an executor. A file-analysis of
// a 12-byte file (the cheapest real type: no process, six filesystem calls) is reported beside
// it. Python is never used: its start-up (~20 ms) would swamp what is measured.
// Run alone: node_modules/.bin/node scripts/bench/tasks.ts (prints JSON).

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { figure, median, percentile, type Figure } from './figure.ts'
import { defaults } from '../../src/config/load.ts'
import { homePaths } from '../../src/config/paths.ts'
import { identityFromSeed, newSeed } from '../../src/identity/index.ts'
import { openDb, type SwarmDb } from '../../src/store/db.ts'
import { AuditLog } from '../../src/store/audit.ts'
import { createSwarmNode, type SwarmLibp2p } from '../../src/net/node.ts'
import { TopicRouter } from '../../src/net/topics.ts'
import { PeerDirectory } from '../../src/net/directory.ts'
import { handleRequests, request } from '../../src/net/rpc.ts'
import { SwarmEvents } from '../../src/daemon/events.ts'
import { Counters } from '../../src/daemon/counters.ts'
import { silentLogger } from '../../src/daemon/logger.ts'
import { TaskService, type TaskServiceInit } from '../../src/tasks/service.ts'

const ROUNDS = Number(process.env.BENCH_TASK_ROUNDS ?? 400)
const WARMUP = 50
const INFLIGHT = 16
const THROUGHPUT_MS = 5_000
const RATIO_TARGET = 2
const ECHO = '/swarm/bench-echo/1.0.0'

interface BenchNode { libp2p: SwarmLibp2p, db: SwarmDb, tasks: TaskService, topics: TopicRouter, directory: PeerDirectory }

async function startNode (dir: string, tasks: Record<string, unknown>, executors?: TaskServiceInit['executors']): Promise<BenchNode> {
  const home = join(dir, `home-${Math.random().toString(36).slice(2)}`)
  await mkdir(home, { recursive: true })
  const config = defaults()
  config.node.federation = 'fed:bench'
  Object.assign(config.tasks, tasks, { advertIntervalSec: 5 })
  const identity = await identityFromSeed(newSeed(), config.node.federation)
  const db = await openDb(join(home, 'db'))
  const libp2p = await createSwarmNode({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
  const counters = new Counters()
  const topics = new TopicRouter(libp2p.services.pubsub, counters, silentLogger)
  const directory = new PeerDirectory()
  const service = new TaskService({
    paths: homePaths(home),
    config,
    identity,
    db,
    libp2p,
    topics,
    control: { register: () => {} },
    events: new SwarmEvents(),
    counters,
    log: silentLogger,
    audit: new AuditLog(db.bucket('audit')),
    directory
  }, { executors })
  await libp2p.start()
  topics.start()
  await service.start()
  return { libp2p, db, tasks: service, topics, directory }
}

async function stopNode (n: BenchNode | undefined): Promise<void> {
  if (n === undefined) return
  await n.tasks.stop().catch(() => {})
  n.topics.stop()
  try { await n.libp2p.stop() } catch {}
  await n.db.close().catch(() => {})
}

export async function benchTasks (): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'swarm-bench-tasks-'))
  let caller: BenchNode | undefined
  let executor: BenchNode | undefined
  try {
    const shared = join(dir, 'shared')
    await mkdir(shared)
    await writeFile(join(shared, 'tiny.txt'), 'hello\nworld\n')
    executor = await startNode(dir, { accept: ['file-analysis'], safePrefixes: [shared], maxConcurrent: INFLIGHT, maxQueued: 4 * INFLIGHT }, {
      echo: async (data) => ({ echo: data })
    })
    caller = await startNode(dir, {})
    const exec = executor
    const call = caller

    // The raw baseline: the same nodes, one frame each way on a fresh stream, response of the
    // size a task response has.
    const echoSize = 900
    await handleRequests(exec.libp2p, ECHO, async () => new Uint8Array(echoSize))
    await call.libp2p.dial(exec.libp2p.getMultiaddrs()[0])
    const deadline = Date.now() + 20_000
    while (call.directory.byPeer(exec.libp2p.peerId.toString()) === undefined) {
      if (Date.now() > deadline) throw new Error('no capability advert from the executor within 20 s')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const payload = new Uint8Array(700)
    const raw = async (): Promise<number> => {
      const t = performance.now()
      await request(call.libp2p, exec.libp2p.peerId, ECHO, payload, { timeoutMs: 10_000 })
      return performance.now() - t
    }
    const run = async (type: string, data: Record<string, unknown>): Promise<number> => {
      const t = performance.now()
      const r = await call.tasks.run({ type, data, timeoutSec: 10 })
      if (!r.success) throw new Error(`${type} task failed: ${r.error.code}: ${r.error.message}`)
      return performance.now() - t
    }
    const task = async (): Promise<number> => await run('echo', { n: 1 })
    const fileTask = async (): Promise<number> => await run('file-analysis', { path: 'tiny.txt' })
    for (let i = 0; i < WARMUP; i++) { await raw(); await task(); await fileTask() }
    const rawMs: number[] = []
    const taskMs: number[] = []
    const fileMs: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      // rotate the order so no side always runs first
      const order = [async () => rawMs.push(await raw()), async () => taskMs.push(await task()), async () => fileMs.push(await fileTask())]
      for (let j = 0; j < 3; j++) await order[(i + j) % 3]()
    }

    let done = 0
    const stopAt = performance.now() + THROUGHPUT_MS
    const t0 = performance.now()
    await Promise.all(Array.from({ length: INFLIGHT }, async () => {
      while (performance.now() < stopAt) { await task(); done++ }
    }))
    const perSec = done / ((performance.now() - t0) / 1000)

    const p50 = median(taskMs)
    const rawP50 = median(rawMs)
    const ratio = p50 / rawP50
    return [
      figure('task-rtt-p50-ms', p50, 'ms (trivial echo task: signed both ways, verified, audited; baseline = raw)', {}, { baseline: rawP50 }),
      figure('task-rtt-p99-ms', percentile(taskMs, 99), 'ms (baseline = raw p99)', {}, { baseline: percentile(rawMs, 99) }),
      figure('task-rtt-p50-ratio', ratio, 'x raw libp2p request/response on a fresh stream, same nodes, same run', { max: RATIO_TARGET }, { baseline: rawP50, ratio }),
      figure('tasks-per-sec-16-inflight', perSec, 'tasks/s (echo, 16 in flight, one executor, one process)', {}),
      figure('task-rtt-p50-ms-file-analysis', median(fileMs), 'ms (file-analysis of a 12-byte file; reference)', {}, { baseline: rawP50, ratio: median(fileMs) / rawP50 })
    ]
  } finally {
    await stopNode(caller)
    await stopNode(executor)
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchTasks()
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n')
  // a stopped libp2p node can keep the process alive for a moment
  process.exit(0)
}
