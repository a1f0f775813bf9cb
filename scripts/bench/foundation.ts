// Foundation figures: `swarm id` wall time, control-socket round trip (beside a raw Unix-socket
// echo in the same run), daemon start to ready, and idle daemon RSS.

import { spawn, spawnSync } from 'node:child_process'
import { createServer, connect } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { figure, median, percentile, type Figure } from './figure.ts'
import { ControlClient } from '../../src/control/client.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'swarm')
const NODE = process.execPath
const RAW_START = join(ROOT, 'scripts', 'bench', 'raw-libp2p-start.ts')

/** Builds dist/swarm when bin/swarm would not use it (older than a source it was built from). */
async function ensureFreshBundle (): Promise<void> {
  const { DIST_FILE, DIST_INPUTS, buildDist, parseInputsScript } = await import('../build-dist.ts')
  try {
    const built = statSync(DIST_FILE).mtimeMs
    if (parseInputsScript(readFileSync(DIST_INPUTS, 'utf8')).every((f) => statSync(join(ROOT, f)).mtimeMs <= built)) return // as bin/swarm judges it
  } catch {}
  await buildDist()
}

async function newHome (): Promise<string> {
  const home = join(await mkdtemp(join(tmpdir(), 'swarm-bench-')), 'home')
  const r = spawnSync(NODE, [BIN, '--home', home, 'init'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`init failed: ${r.stderr}`)
  return home
}

function rssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
  return kb / 1024
}

async function waitReady (home: string, child: ReturnType<typeof spawn>, line = 'swarmd ready'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { reject(new Error('daemon not ready in 30 s')) }, 30_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes(line)) { clearTimeout(timer); resolve() }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited ${String(code)}`)) })
  })
  void home
}

async function stopChild (child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
  if (child.exitCode === null) child.kill('SIGKILL')
}

async function rawSocketRtt (n: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'swarm-bench-sock-'))
  const path = join(dir, 'echo.sock')
  const server = createServer((s) => { s.on('data', (d) => s.write(d)) })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const sock = connect(path)
  await new Promise((resolve) => sock.once('connect', resolve))
  const line = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'status', params: {} }) + '\n'
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await new Promise<void>((resolve) => { sock.once('data', () => { resolve() }); sock.write(line) })
    times.push(performance.now() - t)
  }
  sock.destroy()
  server.close()
  await rm(dir, { recursive: true, force: true })
  return times
}

export async function benchFoundation (): Promise<Figure[]> {
  const figures: Figure[] = []
  const home = await newHome()
  // Default transports (tcp, ws, webrtc-direct), but on loopback and ephemeral ports.
  await writeFile(join(home, 'config.json'), JSON.stringify({ listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws', '/ip4/127.0.0.1/udp/0/webrtc-direct'] }))
  // A user's install runs the bundle (npm ci builds it); a bench on edited sources would otherwise
  // time the unbundled sources, ~3× slower (the 2,248 ms of issue 22): build it when stale.
  await ensureFreshBundle()
  const starts: number[] = []
  const raws: number[] = []
  let child: ReturnType<typeof spawn> | undefined
  try {
    // interleaved with the raw baseline: a bare js-libp2p node with the same transports listening
    for (let i = 0; i < 5; i++) {
      let t = performance.now()
      const raw = spawn(NODE, [RAW_START], { stdio: ['ignore', 'pipe', 'ignore'] })
      await waitReady(home, raw, 'raw ready')
      raws.push(performance.now() - t)
      await stopChild(raw)
      t = performance.now()
      child = spawn(NODE, [BIN, '--home', home, 'daemon'], { stdio: ['ignore', 'pipe', 'ignore'] })
      await waitReady(home, child)
      starts.push(performance.now() - t)
      if (i < 4) await stopChild(child)
    }
    figures.push(figure('daemon-start-ms', median(starts), 'ms', { max: 1500 }, { baseline: median(raws), ratio: median(starts) / median(raws) }))

    // CLI wall time: a whole `swarm id --json` process against the running daemon, started as a
    // user starts it (bin/swarm exec'd through its #! line, not `node bin/swarm`), interleaved
    // with the raw baseline: the pinned Node starting and exiting at once. `--version` and the
    // top-level `--help` in the same loop (issue 22: little more than a bare start).
    const walls: number[] = []
    const bare: number[] = []
    const version: number[] = []
    const help: number[] = []
    const timed = (into: number[], cmd: string, args: string[]): void => {
      const t = performance.now()
      const r = spawnSync(cmd, args, { encoding: 'utf8' })
      into.push(performance.now() - t)
      if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} failed: ${r.stderr}`)
    }
    for (let i = 0; i < 21; i++) {
      timed(walls, BIN, ['--home', home, 'id', '--json'])
      timed(bare, NODE, ['-e', '0'])
      timed(version, BIN, ['--version'])
      timed(help, BIN, ['--help'])
    }
    figures.push(figure('cli-id-ms', median(walls), 'ms', { max: 200 }, { baseline: median(bare), ratio: median(walls) / median(bare) }))
    figures.push(figure('cli-id-ratio', median(walls) / median(bare), 'x', { max: 1.5 }))
    for (const [name, times] of [['version', version], ['help', help]] as const) {
      figures.push(figure(`cli-${name}-ms`, median(times), 'ms', {}, { baseline: median(bare), ratio: median(times) / median(bare) }))
      figures.push(figure(`cli-${name}-ratio`, median(times) / median(bare), 'x', { max: 1.5 }))
    }

    // Control-socket round trip, interleaved with a raw Unix-socket echo of the same line.
    const client = await ControlClient.connect(join(home, 'swarm.sock'), home)
    const rpc: number[] = []
    for (let i = 0; i < 200; i++) await client.call('status')
    for (let i = 0; i < 2000; i++) {
      const t = performance.now()
      await client.call('status')
      rpc.push(performance.now() - t)
    }
    client.close()
    const raw = await rawSocketRtt(2000)
    figures.push(figure('control-rtt-p50-ms', median(rpc), 'ms', { max: 1 }, { baseline: median(raw), ratio: median(rpc) / median(raw) }))
    figures.push(figure('control-rtt-p99-ms', percentile(rpc, 99), 'ms', {}, { baseline: percentile(raw, 99) }))

    // Idle RSS: give the daemon a few seconds to settle after start.
    await new Promise((resolve) => setTimeout(resolve, 5000))
    figures.push(figure('daemon-idle-rss-mb', rssMb(child!.pid!), 'MB', { max: 120 }))
    await stopChild(child!)

    // The same start from the sources (SWARM_NO_BUNDLE=1: a checkout whose bundle is stale), to
    // show what the bundle saves; reported, not judged.
    const fromSources: number[] = []
    for (let i = 0; i < 3; i++) {
      const t = performance.now()
      child = spawn(NODE, [BIN, '--home', home, 'daemon'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, SWARM_NO_BUNDLE: '1' } })
      await waitReady(home, child)
      fromSources.push(performance.now() - t)
      await stopChild(child)
    }
    figures.push(figure('daemon-start-sources-ms', median(fromSources), 'ms', {}, { baseline: median(starts), ratio: median(fromSources) / median(starts) }))
  } finally {
    if (child !== undefined) await stopChild(child)
    await rm(resolve(home, '..'), { recursive: true, force: true })
  }
  return figures
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchFoundation(), null, 2))
  process.exit(0)
}
