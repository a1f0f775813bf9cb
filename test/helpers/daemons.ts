// Test harness: real `bin/swarm` daemons in temporary homes on 127.0.0.1 (port 0), driven
// through the CLI as a user would. Every spawned daemon is tracked and killed at teardown, and
// on process exit as a last resort, so no test leaves a process behind.

import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { killMarked, OWNER_VAR } from './procs.ts'
import { pidAlive } from '../../src/daemon/lock.ts'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const NODE = process.execPath
export const BIN = join(ROOT, 'bin', 'swarm')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (undefined when it is not one document). */
  json: any
  /** stdout parsed as NDJSON lines. */
  lines: any[]
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv
  input?: string
  timeoutMs?: number
}

/** Runs `swarm ARGS…` (no home added) and collects its output. */
export async function swarm (args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return await new Promise((resolve) => {
    const child = execFile(NODE, [BIN, ...args], {
      cwd: ROOT,
      env: { ...cleanEnv(), ...opts.env },
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024
    }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof (err as any).code === 'number' ? (err as any).code : 1
      resolve({ code, stdout, stderr, json: parseJson(stdout), lines: parseLines(stdout) })
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
    else child.stdin?.end()
  })
}

/** This test file's marker: every process spawned through the harness inherits it (procs.ts). */
const OWNER = randomUUID()

function cleanEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SWARM_')) env[k] = v
  env[OWNER_VAR] = OWNER
  // mDNS is on by default; a test never multicasts onto the machine's real networks
  env.SWARM_MDNS = 'false'
  armExitHook()
  return env
}

/** The harness environment for tests that spawn `bin/swarm` themselves (so teardown finds them). */
export function harnessEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...cleanEnv(), ...extra }
}

function parseJson (s: string): any {
  try { return JSON.parse(s) } catch { return undefined }
}

function parseLines (s: string): any[] {
  return s.split('\n').filter((l) => l.trim() !== '').map((l) => parseJson(l)).filter((v) => v !== undefined)
}

const livePids = new Set<number>()
const tempDirs = new Set<string>()
let exitHook = false

function trackPid (pid: number): void {
  livePids.add(pid)
  armExitHook()
}

/** Last resort when a test file ends without teardown: kill what it started. */
function armExitHook (): void {
  if (!exitHook) {
    exitHook = true
    process.on('exit', () => {
      for (const p of livePids) { try { process.kill(p, 'SIGKILL') } catch {} }
      killMarked(OWNER_VAR, OWNER)
    })
  }
}

export interface DaemonSpec {
  federation?: string
  /** Extra config.json content, merged over the harness defaults. */
  config?: Record<string, unknown>
  /** Also listen on websockets / webrtc-direct (loopback, port 0). */
  ws?: boolean
  webrtcDirect?: boolean
  env?: NodeJS.ProcessEnv
  /** Extra `swarm daemon` flags. */
  flags?: string[]
}

export class TestDaemon {
  readonly home: string
  readonly spec: DaemonSpec
  pid = 0
  nodeId = ''
  peerId = ''
  addresses: string[] = []

  constructor (home: string, spec: DaemonSpec) {
    this.home = home
    this.spec = spec
  }

  /** `swarm --home H ARGS…` */
  async cli (args: string[], opts: CliOptions = {}): Promise<CliResult> {
    return await swarm(['--home', this.home, ...args], { ...opts, env: { ...this.spec.env, ...opts.env } })
  }

  /** Runs with --json and fails loudly on a non-zero exit. */
  async json (args: string[], opts: CliOptions = {}): Promise<any> {
    const res = await this.cli([...args, '--json'], opts)
    if (res.code !== 0) throw new Error(`swarm ${args.join(' ')} exited ${res.code}: ${res.stdout} ${res.stderr}`)
    return res.json
  }

  async start (): Promise<void> {
    const res = await this.cli(['daemon', '--detach', '--json', ...(this.spec.flags ?? [])])
    if (res.code !== 0) throw new Error(`daemon start failed (${res.code}): ${res.stdout} ${res.stderr}`)
    this.pid = res.json.pid
    this.nodeId = res.json.nodeId
    this.peerId = res.json.peerId
    this.addresses = res.json.addresses
    trackPid(this.pid)
  }

  /** The loopback TCP address to dial this daemon. */
  get tcpAddr (): string {
    const a = this.addresses.find((x) => x.includes('/tcp/') && !x.includes('/ws'))
    if (a === undefined) throw new Error(`no tcp address among ${this.addresses.join(', ')}`)
    return a
  }

  async stop (): Promise<void> {
    if (this.pid === 0 || !alive(this.pid)) { livePids.delete(this.pid); return }
    await this.cli(['stop'], { timeoutMs: 30_000 })
    await waitGone(this.pid, 10_000)
    livePids.delete(this.pid)
  }

  /** kill -9: what a crash looks like. */
  async kill (): Promise<void> {
    if (this.pid !== 0 && alive(this.pid)) {
      process.kill(this.pid, 'SIGKILL')
      await waitGone(this.pid, 5000)
    }
    livePids.delete(this.pid)
  }
}

/** Running (not exited): a zombie waiting for init to reap it (seconds, in some containers) has exited. */
export function alive (pid: number): boolean {
  try { process.kill(pid, 0) } catch { return false }
  return pidAlive(pid)
}

async function waitGone (pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
  if (alive(pid)) { try { process.kill(pid, 'SIGKILL') } catch {} }
}

export async function tempHome (prefix = 'swarm-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/** Creates a home (swarm init) with test-friendly config, without starting it. */
export async function createDaemon (spec: DaemonSpec = {}): Promise<TestDaemon> {
  const home = join(await tempHome(), 'home')
  const d = new TestDaemon(home, spec)
  const init = await d.cli(['init', '--json', '--federation', spec.federation ?? 'fed:test'])
  if (init.code !== 0) throw new Error(`init failed: ${init.stdout} ${init.stderr}`)
  const listen = ['/ip4/127.0.0.1/tcp/0']
  if (spec.ws === true) listen.push('/ip4/127.0.0.1/tcp/0/ws')
  if (spec.webrtcDirect === true) listen.push('/ip4/127.0.0.1/udp/0/webrtc-direct')
  // mDNS off: tests must not find each other (or anything else) on the host's LAN
  const config = deepMerge({ node: { federation: spec.federation ?? 'fed:test' }, listen, mdns: false, log: { level: 'debug' } }, spec.config ?? {})
  await writeFile(join(home, 'config.json'), JSON.stringify(config, null, 2))
  return d
}

function deepMerge (a: Record<string, any>, b: Record<string, any>): Record<string, any> {
  const out = { ...a }
  for (const [k, v] of Object.entries(b)) {
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k]) ? deepMerge(out[k], v) : v
  }
  return out
}

/** Starts N daemons (in parallel) and connects them: `full` mesh, `chain`, `star` (all to the first) or `none`. */
export async function startDaemons (specs: DaemonSpec[], topology: 'full' | 'chain' | 'star' | 'none' = 'full'): Promise<TestDaemon[]> {
  const daemons = await Promise.all(specs.map(async (s) => await createDaemon(s)))
  await Promise.all(daemons.map(async (d) => { await d.start() }))
  await connectDaemons(daemons, topology)
  return daemons
}

export async function connectDaemons (daemons: TestDaemon[], topology: 'full' | 'chain' | 'star' | 'none'): Promise<void> {
  const pairs: Array<[TestDaemon, TestDaemon]> = []
  for (let i = 0; i < daemons.length; i++) {
    for (let j = i + 1; j < daemons.length; j++) {
      if (topology === 'full' || (topology === 'chain' && j === i + 1) || (topology === 'star' && i === 0)) pairs.push([daemons[j], daemons[i]])
    }
  }
  for (const [from, to] of pairs) {
    const res = await from.cli(['connect', to.tcpAddr, '--json'])
    if (res.code !== 0) throw new Error(`connect failed: ${res.stdout} ${res.stderr}`)
  }
}

/** Stops every daemon given (gracefully, then by force) and removes the temp homes. */
export async function stopAll (daemons: TestDaemon[]): Promise<void> {
  await Promise.all(daemons.map(async (d) => { await d.stop().catch(async () => { await d.kill() }) }))
}

export async function cleanupHomes (): Promise<void> {
  for (const pid of livePids) { try { process.kill(pid, 'SIGKILL') } catch {} }
  livePids.clear()
  // Daemons the harness did not start itself (a test's own `start`, a restart after kill -9)
  // carry this file's marker too.
  killMarked(OWNER_VAR, OWNER)
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => {})
  tempDirs.clear()
}

/**
 * Polls `fn` until it returns a truthy value or the time runs out. Without `intervalMs` the pause
 * starts at 100 ms and grows by a quarter each time up to 500 ms: most polls spawn a CLI process
 * (~0.1 s of CPU each), and a long wait polled every 200 ms kept half a core busy on a 2-core
 * machine, slowing the daemons it waited for.
 */
export async function eventually<T> (fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: { timeoutMs?: number, intervalMs?: number, what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000)
  let last: unknown
  let pause = 100
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== null && v !== false) return v as T
    } catch (err) { last = err }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last != null ? `: ${String((last as Error).message ?? last)}` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? pause))
    pause = Math.min(500, pause * 1.25)
  }
}

/** Kills stray daemons of a home by pid file (belt and braces for crashed tests). */
export function killHome (home: string): void {
  spawnSync('pkill', ['-9', '-f', home])
}

/**
 * A streaming CLI command (`swarm events --json`, `swarm watch ID --json`) as a child process,
 * collecting its NDJSON lines until `stop()`; the child is tracked like a daemon.
 */
export function streamCli (args: string[]): { lines: any[], stop: () => void } {
  const child = spawn(NODE, [BIN, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'ignore'] })
  if (child.pid !== undefined) trackPid(child.pid)
  const lines: any[] = []
  let buf = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    buf += chunk
    let i
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try { lines.push(JSON.parse(line)) } catch {}
    }
  })
  return { lines, stop: () => { child.kill('SIGKILL'); if (child.pid !== undefined) livePids.delete(child.pid) } }
}

/** `swarm events --json [--type T]` of one daemon. */
export function watchEvents (d: TestDaemon, type?: string): { events: any[], stop: () => void } {
  const s = streamCli(['--home', d.home, 'events', '--json', ...(type === undefined ? [] : ['--type', type])])
  return { events: s.lines, stop: s.stop }
}
