// Structured JSON logs with levels, written asynchronously (pino into a SonicBoom file with size
// rotation, log-file.ts) to daemon.log and, in the foreground, to stderr: JSON, or readable lines
// on a terminal (log-pretty.ts). libp2p's own namespaces can be routed in too (libp2p-log.ts).
// Fields named like secrets are redacted before anything is written. At the default level
// (info) the daemon's parts name envelopes by id and type, never their text or a task's code.

import { pino } from 'pino'
import { LogFile } from './log-file.ts'
import { prettyLine } from './log-pretty.ts'
import { routeLibp2pLogs, type Libp2pLogLevel } from './libp2p-log.ts'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'
const SECRET_KEY = /secret|password|passwd|token|apikey|api_key|authorization|privatekey|seed/i

export interface Logger {
  trace: (msg: string, fields?: object) => void
  debug: (msg: string, fields?: object) => void
  info: (msg: string, fields?: object) => void
  warn: (msg: string, fields?: object) => void
  error: (msg: string, fields?: object) => void
  child: (component: string) => Logger
  /** Resolves once every line so far is written (a root logger's; children share it). */
  flush?: () => Promise<void>
  /** Writes what is queued synchronously (before a forced exit). */
  flushSync?: () => void
  /** Flushes, stops routing libp2p's logs and closes the file. */
  close?: () => Promise<void>
}

export interface LoggerInit {
  level: LogLevel
  file?: string
  maxBytes?: number
  files?: number
  stderr?: boolean
  /** Readable lines on stderr instead of JSON (a foreground daemon on a terminal). */
  pretty?: boolean
  /** Route libp2p's own log namespaces in at this level (default: not routed). */
  libp2p?: Libp2pLogLevel
}

export function createLogger (init: LoggerInit): Logger {
  const file = init.file === undefined ? undefined : new LogFile({ file: init.file, maxBytes: init.maxBytes ?? 10 * 1024 * 1024, files: init.files ?? 3 })
  const color = process.stderr.isTTY === true
  const destination = {
    write (line: string): void {
      file?.write(line)
      if (init.stderr === true) process.stderr.write(init.pretty === true ? prettyLine(line, color) : line)
    }
  }
  const root = pino({
    level: init.level,
    base: null,
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) }
  }, destination)
  // libp2p's lines may be below the daemon's own level (log.libp2p is set apart): a logger of their own
  const lowest = init.libp2p === undefined || init.libp2p === 'off' ? init.level : init.libp2p
  const libp2pRoot = lowest === init.level ? root : root.child({}, { level: lowest })
  const stopRouting = init.libp2p === undefined || init.libp2p === 'off'
    ? undefined
    : routeLibp2pLogs(init.libp2p, (level, component, msg) => { libp2pRoot[level]({ component }, msg) })

  const make = (p: pino.Logger, component?: string): Logger => ({
    trace: (m, f) => { if (p.isLevelEnabled('trace')) p.trace(fields(f), m) },
    debug: (m, f) => { if (p.isLevelEnabled('debug')) p.debug(fields(f), m) },
    info: (m, f) => { p.info(fields(f), m) },
    warn: (m, f) => { p.warn(fields(f), m) },
    error: (m, f) => { p.error(fields(f), m) },
    child: (c) => {
      const name = component === undefined ? c : `${component}:${c}`
      return make(root.child({ component: name }), name)
    },
    flush: async () => { await file?.flush() },
    flushSync: () => { file?.flushSync() },
    close: async () => {
      stopRouting?.()
      await file?.close()
    }
  })
  return make(root)
}

function fields (f: object | undefined): object {
  return f === undefined ? {} : redact(f)
}

function redact (fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEY.test(k)) out[k] = '[redacted]'
    else if (v instanceof Error) out[k] = v.message
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) out[k] = redact(v)
    else out[k] = v
  }
  return out
}

/** A logger that drops everything (tests, in-process services). */
export const silentLogger: Logger = {
  trace () {}, debug () {}, info () {}, warn () {}, error () {}, child () { return silentLogger }
}
