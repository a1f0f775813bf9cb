// Running the daemon from the CLI: in the foreground (signals: first stops gracefully, second
// forces exit), or detached (a child process that reports ready or its start error over IPC,
// so `--detach` exits 0 only once the daemon really serves).

import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import type { CliContext } from './context.ts'
import type { DaemonFlags } from '../daemon/index.ts'
import { SwarmError, toSwarmError } from '../errors.ts'

const BIN = join(PACKAGE_ROOT, 'bin', 'swarm')
/** Same as bin/swarm's: a small young generation keeps an idle daemon's memory down. */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size']

export interface DaemonCliOptions {
  listen?: string[]
  bootstrap?: string[]
  web?: string
  metrics?: string
  logLevel?: DaemonFlags['logLevel']
}

export async function runForeground (ctx: CliContext, opts: DaemonCliOptions): Promise<never> {
  const { Daemon } = await import('../daemon/index.ts')
  let daemon
  try {
    daemon = await Daemon.start({ home: ctx.home, flags: opts, env: ctx.io.env, logToStderr: process.send === undefined })
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
    process.send({ ready: true, pid: process.pid, nodeId: id.nodeId, peerId: id.peerId.toString(), addresses: daemon.node.getMultiaddrs().map((a) => a.toString()) })
    process.disconnect()
  } else {
    ctx.out.line(`swarmd ready: node ${daemon.identity.nodeId} (pid ${process.pid}); stop with Ctrl-C or: swarm stop`)
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
      if (msg?.ready === true) resolve({ pid: msg.pid, nodeId: msg.nodeId, peerId: msg.peerId, addresses: msg.addresses, home: ctx.home })
      else reject(SwarmError.fromJSON(msg?.error ?? { code: 'start-failed', message: 'the daemon failed to start' }))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new SwarmError('start-failed', `the daemon exited during start (code ${String(code)}); see ${ctx.paths.log}`))
    })
  })
}

/** Rebuilds the daemon flags for the detached child. */
export function daemonArgv (opts: DaemonCliOptions): string[] {
  const argv: string[] = []
  for (const a of opts.listen ?? []) argv.push('--listen', a)
  for (const a of opts.bootstrap ?? []) argv.push('--bootstrap', a)
  if (opts.web !== undefined) argv.push('--web', opts.web)
  if (opts.metrics !== undefined) argv.push('--metrics', opts.metrics)
  if (opts.logLevel !== undefined) argv.push('--log-level', opts.logLevel)
  return argv
}
