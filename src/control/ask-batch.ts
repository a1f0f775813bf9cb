// Many questions through one control connection: NDJSON lines (one question each, the fields
// named as `swarm ask`'s flags) in, one result per line out, in input order. A bad line yields
// its own error result and never stops the batch. Used by `swarm ask --batch`; a library user
// drives it with any ControlClient.

import { SwarmError, toSwarmError, type SwarmErrorJSON } from '../errors.ts'
import type { ControlClient } from './client.ts'
import type { AskParams as ClientAskParams } from '../client/types.ts'

const SCOPES = ['federation-local', 'cross-federation', 'global', 'private']
const URGENCIES = ['low', 'normal', 'high', 'critical']
/** Fields of a batch line: exactly the long names of `swarm ask`'s flags, plus `text`. */
export const BATCH_FIELDS = ['text', 'scope', 'ttl', 'urgency', 'tag', 'follow-ups', 'no-follow-ups', 'require-model', 'exclude-model', 'min-reputation', 'lang', 'to', 'federation', 'shadow', 'parent', 'attach'] as const
/** Longest line read: a question's text is capped far below this by the envelope size cap. */
export const MAX_BATCH_LINE = 1024 * 1024
/** Calls in flight on the socket at once: enough to hide the round trip, few enough to keep order cheap. */
export const BATCH_WINDOW = 32

/** The `ask` control method's parameters as the client library types them, plus the files a
 *  line attaches (the daemon validates everything again). Fields of a line are strings until then. */
export interface AskParams extends Omit<ClientAskParams, 'scope' | 'urgency'> {
  scope?: string
  urgency?: string
  attach?: string[]
}

export type BatchResult =
  | { line: number, id: string, scope: string, 'ttl-sec': number, attachments?: unknown[] }
  | { line: number, error: SwarmErrorJSON }

export class BatchLineError extends SwarmError {
  constructor (code: 'bad-json' | 'bad-line', message: string) {
    super(code, message)
    this.name = 'BatchLineError'
  }
}

const bad = (message: string): BatchLineError => new BatchLineError('bad-line', message)

function text (v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || v.trim() === '') throw bad(`${name} must be a non-empty string`)
  return v
}

/** A repeatable flag: one string or a list of them. */
function texts (v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined
  const list = Array.isArray(v) ? v : [v]
  if (list.some((x) => typeof x !== 'string' || x === '')) throw bad(`${name} must be a string or a list of strings`)
  return list as string[]
}

function number (v: unknown, name: string, min: number, max: number, integer = false): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`)
  }
  return v
}

function choice (v: unknown, name: string, choices: string[]): string | undefined {
  if (v === undefined || v === null) return undefined
  const s = v === 'private-to-swarm' && name === 'scope' ? 'private' : v
  if (typeof s !== 'string' || !choices.includes(s)) throw bad(`${name} must be one of ${choices.join(', ')}`)
  return s
}

/** One NDJSON line → the `ask` parameters, over `defaults` (the command line's own flags).
 *  Throws BatchLineError (`bad-json`, `bad-line`) naming what is wrong. Pure. */
export function parseBatchLine (line: string, defaults: Partial<AskParams> = {}): AskParams {
  let o: unknown
  try { o = JSON.parse(line) } catch (err) { throw new BatchLineError('bad-json', `not JSON: ${(err as Error).message}`) }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad('a line must be one JSON object')
  const f = o as Record<string, unknown>
  const unknown = Object.keys(f).filter((k) => !(BATCH_FIELDS as readonly string[]).includes(k))
  if (unknown.length > 0) throw bad(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (fields: ${BATCH_FIELDS.join(', ')})`)
  const t = text(f.text, 'text')
  if (t === undefined) throw bad('text is required')
  if (f['follow-ups'] !== undefined && typeof f['follow-ups'] !== 'boolean') throw bad('follow-ups must be true or false')
  if (f['no-follow-ups'] !== undefined && typeof f['no-follow-ups'] !== 'boolean') throw bad('no-follow-ups must be true or false')
  const to = texts(f.to, 'to') ?? defaults.to
  let scope = choice(f.scope, 'scope', SCOPES)
  // as with the flags: recipients without a scope of their own make the question private
  if (scope === undefined && to !== undefined && to.length > 0) scope = 'private'
  const followUps = f['no-follow-ups'] === true ? false : (f['follow-ups'] as boolean | undefined)
  const params: AskParams = {
    ...defaults,
    text: t
  }
  const set = <K extends keyof AskParams>(k: K, v: AskParams[K] | undefined): void => { if (v !== undefined) params[k] = v }
  set('scope', scope)
  set('ttlSec', number(f.ttl, 'ttl', 1, 30 * 86400, true))
  set('urgency', choice(f.urgency, 'urgency', URGENCIES))
  set('tags', texts(f.tag, 'tag'))
  set('followUps', followUps)
  set('requireModels', texts(f['require-model'], 'require-model'))
  set('excludeModels', texts(f['exclude-model'], 'exclude-model'))
  set('minReputation', number(f['min-reputation'], 'min-reputation', 0, 1))
  set('languages', texts(f.lang, 'lang'))
  set('to', to)
  set('federations', texts(f.federation, 'federation'))
  set('shadow', text(f.shadow, 'shadow'))
  set('parent', text(f.parent, 'parent'))
  set('attach', texts(f.attach, 'attach'))
  return params
}

export interface AskBatchOptions {
  /** The command line's flags, under every line's own fields. */
  defaults?: Partial<AskParams>
  /** Turns a line's parameters into what the daemon takes (e.g. files named by `attach` → attachments). */
  prepare?: (params: AskParams) => Promise<Record<string, unknown>>
  window?: number
  signal?: AbortSignal
  /** Per question; default 30 s. */
  timeoutMs?: number
}

/** Asks every question `lines` holds, BATCH_WINDOW at a time on one connection; yields one result
 *  per non-blank line, in input order (`line` counts from 1, blank lines included). */
export async function * askBatch (client: ControlClient, lines: AsyncIterable<string> | Iterable<string>, opts: AskBatchOptions = {}): AsyncGenerator<BatchResult> {
  const window = Math.max(1, opts.window ?? BATCH_WINDOW)
  const queue: Array<Promise<BatchResult>> = []
  let n = 0
  const one = async (line: number, raw: string): Promise<BatchResult> => {
    try {
      const params = parseBatchLine(raw, opts.defaults)
      const { attach: _files, ...rest } = params
      const sent = opts.prepare !== undefined ? await opts.prepare(params) : rest
      const res = await client.call('ask', sent, { signal: opts.signal, timeoutMs: opts.timeoutMs })
      const out: BatchResult = { line, id: res.id, scope: res.envelope.delivery.scope, 'ttl-sec': res.envelope['ttl-sec'] }
      if (Array.isArray(res.envelope.attachments)) out.attachments = res.envelope.attachments
      return out
    } catch (err) {
      return { line, error: toSwarmError(err).toJSON() }
    }
  }
  for await (const raw of lines) {
    n++
    if (raw.trim() === '') continue
    if (raw.length > MAX_BATCH_LINE) {
      queue.push(Promise.resolve({ line: n, error: bad(`line longer than ${MAX_BATCH_LINE} characters`).toJSON() }))
    } else {
      queue.push(one(n, raw))
    }
    while (queue.length >= window) yield await (queue.shift() as Promise<BatchResult>)
  }
  while (queue.length > 0) yield await (queue.shift() as Promise<BatchResult>)
}
