// Structured JSON logs with levels, to daemon.log (rotated by size) and, in the foreground, to
// stderr. Fields named like secrets are redacted before anything is written.

import { appendFileSync, renameSync, statSync, existsSync, unlinkSync } from 'node:fs'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'
const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 }
const SECRET_KEY = /secret|password|passwd|token|apikey|api_key|authorization|privatekey|seed/i

export interface Logger {
  trace: (msg: string, fields?: object) => void
  debug: (msg: string, fields?: object) => void
  info: (msg: string, fields?: object) => void
  warn: (msg: string, fields?: object) => void
  error: (msg: string, fields?: object) => void
  child: (component: string) => Logger
}

export interface LoggerInit {
  level: LogLevel
  file?: string
  maxBytes?: number
  files?: number
  stderr?: boolean
}

export function createLogger (init: LoggerInit): Logger {
  const min = LEVELS[init.level]
  const maxBytes = init.maxBytes ?? 10 * 1024 * 1024
  const keep = init.files ?? 3
  let size = 0
  if (init.file !== undefined && existsSync(init.file)) size = statSync(init.file).size

  const rotate = (file: string): void => {
    // daemon.log → daemon.log.1 → … → daemon.log.<keep> (dropped)
    for (let i = keep; i >= 1; i--) {
      const from = i === 1 ? file : `${file}.${i - 1}`
      const to = `${file}.${i}`
      if (i === keep && existsSync(to)) unlinkSync(to)
      if (existsSync(from)) renameSync(from, to)
    }
    size = 0
  }

  const write = (level: LogLevel, component: string | undefined, msg: string, fields?: object): void => {
    if (LEVELS[level] < min) return
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg }
    if (component !== undefined) entry.component = component
    if (fields !== undefined) Object.assign(entry, redact(fields))
    const line = JSON.stringify(entry) + '\n'
    if (init.file !== undefined) {
      try {
        if (size + line.length > maxBytes) rotate(init.file)
        appendFileSync(init.file, line, { mode: 0o600 })
        size += Buffer.byteLength(line)
      } catch { /* a full disk must not take the daemon down */ }
    }
    if (init.stderr === true) process.stderr.write(line)
  }

  const make = (component?: string): Logger => ({
    trace: (m, f) => { write('trace', component, m, f) },
    debug: (m, f) => { write('debug', component, m, f) },
    info: (m, f) => { write('info', component, m, f) },
    warn: (m, f) => { write('warn', component, m, f) },
    error: (m, f) => { write('error', component, m, f) },
    child: (c) => make(component === undefined ? c : `${component}:${c}`)
  })
  return make()
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
