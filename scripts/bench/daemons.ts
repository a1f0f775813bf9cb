// Detached daemons for the benchmarks that need real processes (bus, flood): each in its own
// temporary home on loopback TCP, with a control client; every pid and directory is tracked so
// one call ends them all (and the process's exit kills any left).

import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ControlClient } from '../../src/control/client.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'swarm')
const NODE = process.execPath

export interface BenchDaemon { home: string, pid: number, tcp: string, peerId: string, client: ControlClient }

export interface BenchDaemonInit {
  federation: string
  /** Temporary directory prefix (`swarm-bench-<part>-`). */
  prefix: string
  /** Config keys beside node.federation, listen (loopback TCP, port 0) and log level warn. */
  config?: Record<string, unknown>
  /** Extra environment of the daemon (e.g. SWARM_BENCH=1 for the bench hooks). */
  env?: NodeJS.ProcessEnv
}

const pids = new Set<number>()
const dirs = new Set<string>()
process.on('exit', () => { for (const p of pids) { try { process.kill(p, 'SIGKILL') } catch {} } })

/** `swarm <args>` with the repo's launcher; its JSON output parsed when it is JSON. */
export async function swarmCli (args: string[], env: NodeJS.ProcessEnv = {}): Promise<any> {
  return await new Promise((resolve, reject) => {
    execFile(NODE, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      if (err != null) { reject(new Error(`swarm ${args.join(' ')}: ${err.message} ${stdout} ${stderr}`)); return }
      try { resolve(JSON.parse(stdout)) } catch { resolve(stdout) }
    })
  })
}

export async function startBenchDaemon (init: BenchDaemonInit): Promise<BenchDaemon> {
  const dir = await mkdtemp(join(tmpdir(), init.prefix))
  dirs.add(dir)
  const home = join(dir, 'home')
  await swarmCli(['--home', home, 'init', '--federation', init.federation, '--json'])
  await writeFile(join(home, 'config.json'), JSON.stringify({ node: { federation: init.federation }, listen: ['/ip4/127.0.0.1/tcp/0'], log: { level: 'warn' }, ...init.config }))
  const started = await swarmCli(['--home', home, 'daemon', '--detach', '--json'], init.env)
  pids.add(started.pid)
  const client = await ControlClient.connect(join(home, 'swarm.sock'), home, AbortSignal.timeout(10_000))
  const tcp = (started.addresses as string[]).find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (tcp === undefined) throw new Error('no tcp address')
  return { home, pid: started.pid, tcp, peerId: started.peerId, client }
}

/** Ends these daemons (their clients closed, SIGKILL: a benchmark's homes are thrown away). */
export function stopBenchDaemons (ds: BenchDaemon[]): void {
  for (const d of ds) d.client.close()
  for (const d of ds) { try { process.kill(d.pid, 'SIGKILL') } catch {} pids.delete(d.pid) }
}

/** Ends every daemon still running and removes every temporary home. */
export async function cleanUpBenchDaemons (): Promise<void> {
  for (const p of pids) { try { process.kill(p, 'SIGKILL') } catch {} }
  pids.clear()
  for (const d of dirs) await rm(d, { recursive: true, force: true }).catch(() => {})
  dirs.clear()
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Polls `fn` every 20 ms until it holds or `ms` passed; whether it held. */
export async function until (fn: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!fn()) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}
