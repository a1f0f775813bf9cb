// libp2p's own logs (the `debug`-style @libp2p/logger, built on weald) into the daemon's log:
// each line names its namespace as its part (`libp2p:tcp`, `gossipsub`, …). libp2p's plain
// lines are debug, its `:trace` lines trace and its `:error` lines warn (they are mostly routine:
// a reset stream, a failed dial). Weald is one global per process: the last daemon to route wins.

import { format } from 'node:util'
import weald from 'weald'
import type { LogLevel } from './logger.ts'

export type Libp2pLogLevel = LogLevel | 'off'
type Sink = (level: LogLevel, component: string, msg: string) => void

let sink: Sink | undefined

/** The weald namespaces that can produce a line at `level` or above. */
export function namespacesFor (level: Libp2pLogLevel): string {
  switch (level) {
    case 'trace': return '*,*:trace'
    case 'debug': return '*,-*:trace'
    case 'info':
    case 'warn': return '*:error'
    default: return ''
  }
}

export function levelOfNamespace (namespace: string): LogLevel {
  if (namespace.endsWith(':error')) return 'warn'
  if (namespace.endsWith(':trace')) return 'trace'
  return 'debug'
}

/** Routes libp2p's logs at `level` into `write`; the returned function stops it. */
export function routeLibp2pLogs (level: Libp2pLogLevel, write: Sink): () => void {
  const hadDebugEnv = process.env.DEBUG !== undefined
  weald.enable(namespacesFor(level))
  // weald saves its namespaces in DEBUG, which every child process (executors, answerers) would inherit
  if (!hadDebugEnv) delete process.env.DEBUG
  weald.formatArgs = function () {} // the namespace becomes the part; no colors, no date
  weald.log = function (this: { namespace?: string }, ...args: unknown[]) {
    const ns = this?.namespace ?? 'libp2p'
    sink?.(levelOfNamespace(ns), ns.replace(/:(error|trace)$/, ''), format(...args))
  }
  const mine: Sink = write
  sink = mine
  return () => {
    if (sink === mine) {
      sink = undefined
      weald.disable()
      if (!hadDebugEnv) delete process.env.DEBUG
    }
  }
}
