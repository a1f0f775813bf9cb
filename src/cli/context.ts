// What every command handler receives: where the home is, how to print, and a way to reach the
// daemon. Built once per invocation from the global flags; handed in so commands are testable
// in-process with captured output.

import { InvalidArgumentError, type Command } from 'commander'
import type { Writable } from 'node:stream'
import { homePaths, resolveHome, type HomePaths } from '../config/paths.ts'
import { ControlClient } from '../control/client.ts'
import { createPrinter, type Printer } from './output.ts'

export interface CliIO {
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable & { isTTY?: boolean }
  stdin: NodeJS.ReadableStream
  env: NodeJS.ProcessEnv
}

export interface CliContext {
  home: string
  paths: HomePaths
  json: boolean
  debug: boolean
  out: Printer
  io: CliIO
  /** Connects to the home's daemon; throws DaemonNotRunningError (exit 3) when none runs. */
  client: () => Promise<ControlClient>
  /** Runs `fn` with a connected client and closes it afterwards. */
  withClient: <T>(fn: (client: ControlClient) => Promise<T>) => Promise<T>
}

export interface GlobalOptions {
  home?: string
  json?: boolean
  debug?: boolean
}

export function createContext (cmd: Command, io: CliIO): CliContext {
  const g = cmd.optsWithGlobals<GlobalOptions>()
  const home = resolveHome(g.home, io.env)
  const paths = homePaths(home)
  const json = g.json === true
  const out = createPrinter({ json, stdout: io.stdout, stderr: io.stderr })
  const client = async (): Promise<ControlClient> => await ControlClient.connect(paths.socket, home, AbortSignal.timeout(5000))
  return {
    home,
    paths,
    json,
    debug: g.debug === true,
    out,
    io,
    client,
    withClient: async (fn) => {
      const c = await client()
      try { return await fn(c) } finally { c.close() }
    }
  }
}

/** Collects a repeatable option into an array (commander's idiom). */
export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** A commander argument parser for a number in [min, max]; bad input is a usage error (exit 2). */
export function numberIn (name: string, min: number, max: number, integer = false): (value: string) => number {
  return (value: string) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${value}'`)
    }
    return n
  }
}

/** A commander argument parser accepting one of `choices`. */
export function oneOf (name: string, choices: readonly string[]): (value: string) => string {
  return (value: string) => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got '${value}'`)
    return value
  }
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

/** A commander argument parser for an RFC 3339 time; an offset is turned into the UTC form
 *  (`2027-03-17T20:42:11+02:00` → `2027-03-17T18:42:11Z`) that envelopes carry. */
export function timestampIn (name: string): (value: string) => string {
  return (value: string) => {
    const m = RFC3339.exec(value.trim())
    const ms = m === null ? NaN : Date.parse(value.trim())
    if (m === null || Number.isNaN(ms)) throw new InvalidArgumentError(`${name} must be an RFC 3339 time like 2027-03-17T18:42:11Z, got '${value}'`)
    if (m[4] === 'Z' && m[0].includes('T')) return m[0]
    return new Date(ms).toISOString().replace(/\.000Z$/, 'Z')
  }
}
