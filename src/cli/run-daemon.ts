// Running the daemon from the CLI: in the foreground (signals: first stops gracefully, second
// forces exit), or detached (a child process that reports ready or its start error over IPC,
// so `--detach` exits 0 only once the daemon really serves).

import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import type { CliContext } from './context.ts'
import type { DaemonFlags } from '../daemon/index.ts'
import { SwarmError, toSwarmError } from '../errors.ts'

const BIN = join(PACKAGE_ROOT, 'bin', 'swarm')
/** Same as bin/swarm's: a small young generation keeps an idle daemon's memory down. */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1']

/** `--web` with no address: the page on loopback only. */
export const DEFAULT_WEB_LISTEN = '127.0.0.1:7780'

export interface DaemonCliOptions {
  listen?: string[]
  bootstrap?: string[]
  /** `true`: `--web` given alone (DEFAULT_WEB_LISTEN). */
  web?: string | true
  metrics?: string
  logLevel?: DaemonFlags['logLevel']
}

function webListen (opts: DaemonCliOptions): string | undefined {
  return opts.web === true ? DEFAULT_WEB_LISTEN : opts.web
}

export async function runForeground (ctx: CliContext, opts: DaemonCliOptions): Promise<never> {
  const { Daemon } = await import('../daemon/index.ts')
  let daemon
  const foreground = process.send === undefined
  // readable lines on a terminal; JSON for --json, pipes and systemd (its journal is not a TTY)
  const pretty = foreground && process.stderr.isTTY === true && !ctx.json && ctx.io.env.JOURNAL_STREAM === undefined
  try {
    daemon = await Daemon.start({ home: ctx.home, flags: { ...opts, web: webListen(opts) }, env: ctx.io.env, logToStderr: foreground, prettyStderr: pretty })
  } catch (err) {
    const e = toSwarmError(err)
    if (process.send !== undefined) {
      process.send({ ready: false, error: e.toJSON() })
      process.disconnect()
    }
    throw e
  }
  let signals = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++
    if (signals > 1) {
      daemon.log.warn('second signal: forcing exit', { signal: sig })
      daemon.log.flushSync?.()
      process.exit(130)
    }
    daemon.log.info('signal received: stopping', { signal: sig })
    void daemon.stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', () => {}) // a closed terminal must not kill a detached daemon
  process.on('uncaughtException', (err) => { daemon.log.error('uncaught exception', { err: err.stack }) })
  process.on('unhandledRejection', (err) => { daemon.log.error('unhandled rejection', { err: (err as Error)?.stack ?? String(err) }) })
  if (process.send !== undefined) {
    const id = daemon.identity
    process.send({ ready: true, pid: process.pid, nodeId: id.nodeId, peerId: id.peerId.toString(), addresses: daemon.node.getMultiaddrs().map((a) => a.toString()), web: await webUrl(ctx) })
    process.disconnect()
  } else {
    ctx.out.line(`swarmd ready: node ${daemon.identity.nodeId} (pid ${process.pid}); stop with Ctrl-C or: swarm stop`)
    const web = await webUrl(ctx)
    if (web !== null) ctx.out.line(`web page: ${web}`)
  }
  await daemon.done
  // A stopped libp2p node can hold the process ~1 s: leave now.
  process.exit(0)
}

export async function runDetached (ctx: CliContext, argv: string[]): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, BIN, 'daemon', '--home', ctx.home, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: ctx.io.env
  })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new SwarmError('start-timeout', `the daemon did not become ready within 60 s; see ${ctx.paths.log}`))
    }, 60_000)
    child.once('message', (msg: any) => {
      clearTimeout(timer)
      child.unref()
      child.disconnect?.()
      if (msg?.ready === true) resolve({ pid: msg.pid, nodeId: msg.nodeId, peerId: msg.peerId, addresses: msg.addresses, home: ctx.home, web: msg.web ?? null })
      else reject(SwarmError.fromJSON(msg?.error ?? { code: 'start-failed', message: 'the daemon failed to start' }))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new SwarmError('start-failed', `the daemon exited during start (code ${String(code)}); see ${ctx.paths.log}`))
    })
  })
}

/** The page's URL from the `api` file the ready daemon wrote (null when web.listen is not set). */
async function webUrl (ctx: CliContext): Promise<string | null> {
  try {
    const api = JSON.parse(await readFile(ctx.paths.api, 'utf8')) as { web?: string | null }
    return typeof api.web === 'string' ? api.web : null
  } catch {
    return null
  }
}

/** Rebuilds the daemon flags for the detached child. */
export function daemonArgv (opts: DaemonCliOptions): string[] {
  const argv: string[] = []
  for (const a of opts.listen ?? []) argv.push('--listen', a)
  for (const a of opts.bootstrap ?? []) argv.push('--bootstrap', a)
  const web = webListen(opts)
  if (web !== undefined) argv.push('--web', web)
  if (opts.metrics !== undefined) argv.push('--metrics', opts.metrics)
  if (opts.logLevel !== undefined) argv.push('--log-level', opts.logLevel)
  return argv
}
