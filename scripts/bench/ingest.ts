// Ingest at the anchors' rate (issue 22, item 3). Two fresh daemons (SWARM_BENCH=1): one
// publishes a burst of freshly built and signed questions, the other validates, stores and
// relays them (`question:received` is emitted after the store). The baseline, interleaved in the
// same run between the same two daemons, is raw gossipsub: the same publisher builds and signs
// the same questions and publishes their bytes on an unchecked topic, the other side only
// announces receipt (`bench:raw`). Rate = messages / (last receipt − burst start), median of
// ROUNDS rounds each. BENCH_INGEST_PROF=DIR starts the receiving daemon with --cpu-prof there.
// Run alone: node_modules/.bin/node scripts/bench/ingest.ts (prints JSON).

import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ControlClient } from '../../src/control/client.ts'
import { figure, median, type Figure } from './figure.ts'
import { sleep, until } from './daemons.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'swarm')
const BURST = Number(process.env.BENCH_INGEST_BURST ?? 3000)
const ROUNDS = Number(process.env.BENCH_INGEST_ROUNDS ?? 3)
const TEXT = 'What is the safest way to rotate a federation-wide trust root without breaking older nodes? ' + 'Context: mixed versions, partial connectivity. '.repeat(6)

interface D { dir: string, home: string, pid: number, tcp: string, client: ControlClient, questions: number, raw: number, last: number }

const pids = new Set<number>()
process.on('exit', () => { for (const p of pids) { try { process.kill(p, 'SIGKILL') } catch {} } })

async function cli (args: string[], env: NodeJS.ProcessEnv = {}): Promise<any> {
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      if (err != null) { reject(new Error(`swarm ${args.join(' ')}: ${err.message} ${stdout} ${stderr}`)); return }
      try { resolve(JSON.parse(stdout)) } catch { resolve(stdout) }
    })
  })
}

async function startDaemon (prof?: string): Promise<D> {
  const dir = await mkdtemp(join(tmpdir(), 'swarm-bench-ingest-'))
  const home = join(dir, 'home')
  await cli(['--home', home, 'init', '--federation', 'fed:ingest', '--json'])
  await writeFile(join(home, 'config.json'), JSON.stringify({
    node: { federation: 'fed:ingest' },
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    log: { level: 'warn' },
    presence: { heartbeatSec: 10 },
    rateLimit: { perSender: { ratePerSec: 1e6, burst: 1e6 }, perScope: { ratePerSec: 1e6, burst: 1e6 } }
  }))
  const env: NodeJS.ProcessEnv = { SWARM_BENCH: '1' }
  if (prof !== undefined) env.NODE_OPTIONS = process.env.BENCH_INGEST_HEAP === '1' ? `--heap-prof --heap-prof-dir=${prof}` : `--cpu-prof --cpu-prof-dir=${prof}`
  // any other diagnostics for the receiving daemon (an --import that samples allocations, say)
  if (prof !== undefined && process.env.BENCH_INGEST_NODE_OPTIONS !== undefined) env.NODE_OPTIONS = process.env.BENCH_INGEST_NODE_OPTIONS
  const started = await cli(['--home', home, 'daemon', '--detach', '--json'], env)
  pids.add(started.pid)
  const client = await ControlClient.connect(join(home, 'swarm.sock'), home, AbortSignal.timeout(10_000))
  const tcp = (started.addresses as string[]).find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (tcp === undefined) throw new Error('no tcp address')
  const d: D = { dir, home, pid: started.pid, tcp, client, questions: 0, raw: 0, last: 0 }
  void client.stream('events', { types: ['question:received', 'bench:raw'] }, (e: Record<string, any>) => {
    if (e.type === 'question:received') d.questions++
    else d.raw++
    d.last = Math.max(d.last, e.t)
  }).catch(() => {})
  return d
}


/** One burst: messages per second from the burst's start to the last receipt. */
async function round (pub: D, sub: D, kind: 'questions' | 'raw'): Promise<{ rate: number, lost: number, cpuUs: number }> {
  const before = sub[kind]
  const cpu0 = cpuMs(sub.pid)
  const t0 = performance.timeOrigin + performance.now()
  if (kind === 'raw') await pub.client.call('bench.raw-burst', { n: BURST, text: TEXT }, { timeoutMs: 120_000 })
  else await pub.client.call('bench.burst', { n: BURST, scope: 'federation-local', text: TEXT }, { timeoutMs: 120_000 })
  await until(() => sub[kind] - before >= BURST, 60_000)
  // a straggler may still be on its way: wait until the count stops moving
  let seen = -1
  while (seen !== sub[kind]) { seen = sub[kind]; await sleep(300) }
  const got = sub[kind] - before
  return { rate: got / ((sub.last - t0) / 1000), lost: Math.max(0, BURST - got), cpuUs: (cpuMs(sub.pid) - cpu0) * 1000 / got }
}

/** CPU time (user + system) a process has used, in ms: what a round cost the receiver,
 *  whatever else the machine was doing. */
function cpuMs (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10 // clock ticks of 10 ms
  } catch {
    return NaN
  }
}

export async function benchIngest (): Promise<Figure[]> {
  const prof = process.env.BENCH_INGEST_PROF
  const [pub, sub] = await Promise.all([startDaemon(), startDaemon(prof)])
  try {
    await sub.client.call('connect', { address: pub.tcp })
    await Promise.all([pub, sub].map(async (d) => await d.client.call('bench.raw-subscribe')))
    await sleep(2500) // meshes form on heartbeats
    // warm-up (JIT, streams)
    await pub.client.call('bench.burst', { n: 200, scope: 'federation-local', text: TEXT })
    await pub.client.call('bench.raw-burst', { n: 200, text: TEXT })
    await until(() => sub.questions >= 200 && sub.raw >= 200, 20_000)
    const ingest: number[] = []
    const raw: number[] = []
    const ingestCpu: number[] = []
    const rawCpu: number[] = []
    let lost = 0
    for (let i = 0; i < ROUNDS; i++) {
      // on an overloaded machine a burst can cost the link its ping (libp2p closes it): redial
      // and let the mesh re-form, or every later round would count nothing
      if ((await sub.client.call('peers') as unknown[]).length === 0) {
        await sub.client.call('connect', { address: pub.tcp })
        await sleep(2500)
      }
      const r = await round(pub, sub, 'raw')
      raw.push(r.rate)
      rawCpu.push(r.cpuUs)
      if ((await sub.client.call('peers') as unknown[]).length === 0) {
        await sub.client.call('connect', { address: pub.tcp })
        await sleep(2500)
      }
      const q = await round(pub, sub, 'questions')
      ingest.push(q.rate)
      ingestCpu.push(q.cpuUs)
      lost += q.lost
    }
    if (process.env.BENCH_INGEST_DEBUG === '1') process.stderr.write(`ingest ${JSON.stringify(ingest.map(Math.round))} raw ${JSON.stringify(raw.map(Math.round))} receiver µs/msg ingest ${JSON.stringify(ingestCpu.map(Math.round))} raw ${JSON.stringify(rawCpu.map(Math.round))}\n`)
    const v = median(ingest)
    const base = median(raw)
    const out = [
      figure('ingest-per-sec', v, 'questions/s', { min: Math.round(Math.min(2500, 0.9 * base)) }, { baseline: base, ratio: v / base }),
      figure('ingest-ratio', v / base, 'x', { min: 0.9 }, { baseline: base })
    ]
    if (lost > 0) out.push(figure('ingest-lost', lost, 'questions', { max: 0 }))
    return out
  } finally {
    for (const d of [pub, sub]) d.client.close()
    // the profiled daemon writes its profile on a clean exit
    if (prof !== undefined) { try { process.kill(sub.pid, 'SIGINT') } catch {} await sleep(3000) }
    for (const d of [pub, sub]) { try { process.kill(d.pid, 'SIGKILL') } catch {} pids.delete(d.pid) }
    // BENCH_INGEST_KEEP=1 keeps the homes (daemon.log) for a look afterwards
    if (process.env.BENCH_INGEST_KEEP === '1') process.stderr.write(`ingest homes: ${pub.home} ${sub.home}\n`)
    else for (const d of [pub, sub]) await rm(d.dir, { recursive: true, force: true }).catch(() => {})
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchIngest(), null, 2))
  process.exit(0)
}
