// Config layering: shipped defaults (config/default.json) < home config.json < SWARM_* env <
// flags. Arrays replace, objects merge. The result is validated once; an error names the key
// and what was expected, or the parse position of a broken config.json.

import { readFileSync } from 'node:fs'
import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import { ConfigError } from '../errors.ts'
import { configSchema, type SwarmConfig } from './schema.ts'

const DEFAULTS_PATH = join(PACKAGE_ROOT, 'config', 'default.json')

/** Environment variables that are not config keys. */
const RESERVED_ENV = new Set(['SWARM_HOME', 'SWARM_REEXEC', 'SWARM_DEBUG', 'SWARM_BENCH', 'SWARM_TEST_HOOKS', 'SWARM_SKIP_BROWSER', 'SWARM_NO_BUNDLE'])

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type JsonObject = { [k: string]: Json }

let defaultsText: string | undefined

/** A fresh copy of the shipped defaults on every call. */
export function defaults (): SwarmConfig {
  defaultsText ??= readFileSync(DEFAULTS_PATH, 'utf8')
  return JSON.parse(defaultsText)
}

export interface LoadOptions {
  /** Path of the home config.json (missing file = no overrides). */
  file?: string
  env?: NodeJS.ProcessEnv
  /** Flag overrides as a partial config object. */
  flags?: Record<string, unknown>
}

export async function loadConfig (opts: LoadOptions = {}): Promise<SwarmConfig> {
  let merged: JsonObject = defaults() as unknown as JsonObject
  if (opts.file !== undefined) {
    const fromFile = await readConfigFile(opts.file)
    if (fromFile !== undefined) merged = mergeConfig(merged, fromFile)
  }
  if (opts.env !== undefined) merged = mergeConfig(merged, envOverrides(opts.env, merged))
  if (opts.flags !== undefined) merged = mergeConfig(merged, opts.flags as JsonObject)
  return validateConfig(merged, opts.file ?? 'config')
}

export function validateConfig (value: unknown, source = 'config'): SwarmConfig {
  const parsed = configSchema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const key = issue.path.join('.')
  let what = issue.message
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys.map((k) => key === '' ? k : `${key}.${k}`)
    throw new ConfigError(`${source}: unknown key ${keys.join(', ')}`, { key: keys[0] })
  }
  if (issue.code === 'invalid_type') what = `expected ${(issue as { expected: string }).expected}`
  throw new ConfigError(`${source}: bad value for ${key === '' ? 'the config' : key}: ${what}`, { key })
}

/** The home config.json as an object, undefined if absent; parse errors give the position. */
export async function readConfigFile (file: string): Promise<JsonObject | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return undefined
    throw new ConfigError(`cannot read ${file}: ${err.message as string}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err: any) {
    throw new ConfigError(`${file} is not valid JSON: ${err.message as string}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${file} must hold a JSON object`)
  return value as JsonObject
}

export function mergeConfig (base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] = isObject(b) && isObject(v) ? mergeConfig(b, v) : v
  }
  return out
}

function isObject (v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * `SWARM_TASKS__ACCEPT='["python-computation"]'` sets tasks.accept: segments split on `__`,
 * each matched to a config key ignoring case and underscores (`HEARTBEAT_SEC` → heartbeatSec).
 * Values are JSON, or a plain string when they do not parse.
 */
export function envOverrides (env: NodeJS.ProcessEnv, shape: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('SWARM_') || RESERVED_ENV.has(name) || raw === undefined) continue
    const segments = name.slice('SWARM_'.length).split('__')
    const path: string[] = []
    let node: Json = shape
    for (const seg of segments) {
      const key: string | undefined = isObject(node) ? Object.keys(node).find((k) => norm(k) === norm(seg)) : undefined
      if (key === undefined) throw new ConfigError(`environment variable ${name} names no config key (at '${seg}')`, { key: name })
      path.push(key)
      node = (node as JsonObject)[key]
    }
    let value: Json
    try { value = JSON.parse(raw) } catch { value = raw }
    setPath(out, path, value)
  }
  return out
}

function norm (s: string): string {
  return s.replace(/[_-]/g, '').toLowerCase()
}

export function setPath (obj: JsonObject, path: string[], value: Json): void {
  let node = obj
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {}
    node = node[key] as JsonObject
  }
  node[path[path.length - 1]] = value
}

/**
 * `swarm config set tasks.accept '["python-computation"]'`: parse the value as JSON (a bare
 * word is a string), check the whole config still validates, then write config.json atomically.
 */
export async function setConfigValue (file: string, dottedKey: string, rawValue: string): Promise<SwarmConfig> {
  if (!/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$/.test(dottedKey)) throw new ConfigError(`'${dottedKey}' is not a dotted config key`, { key: dottedKey })
  let value: Json
  try { value = JSON.parse(rawValue) } catch { value = rawValue }
  const current = (await readConfigFile(file)) ?? {}
  setPath(current, dottedKey.split('.'), value)
  const cfg = validateConfig(mergeConfig(defaults() as unknown as JsonObject, current), `${dottedKey}`)
  const tmp = `${file}.tmp`
  await writeFile(tmp, JSON.stringify(current, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, file)
  return cfg
}
