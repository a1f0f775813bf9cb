// The reflections service: one ReflectionStore per daemon, sharing over gossipsub (sharing.ts),
// knowledge queries over /swarm/knowledge/1.0.0 (knowledge.ts), and the control methods
// `reflect.add|share|get|search|list` and `knowledge`. Other services (the question bus's
// reflections answerer) use `store` and `knowledge()` through `services.get('reflections')`.

import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_KNOWLEDGE } from '../constants.ts'
import { NotFoundError, SwarmError, UsageError, withTimeout } from '../errors.ts'
import { buildReflection, envelopeType } from '../envelope/index.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import type { SwarmComponents, SwarmService } from '../daemon/components.ts'
import type { Logger } from '../daemon/logger.ts'
import { DEFAULT_KNOWLEDGE_ITEMS, KNOWLEDGE_TIMEOUT_MS, MAX_KNOWLEDGE_ITEMS, MAX_KNOWLEDGE_TIMEOUT_MS, MAX_QUERY_CHARS } from './constants.ts'
import { askKnowledge, mergeKnowledge, serveKnowledge, type KnowledgeResult, type KnowledgeSource, type KnowledgeWireItem } from './knowledge.ts'
import { newReflectionId, normalizeOutcome, validateContent, type Outcome, type ReflectionRecord, type ReflectionSource } from './model.ts'
import { ReflectionSharing, type ShareResult } from './sharing.ts'
import { ReflectionStore } from './store.ts'

export type ReflectionComponents = Pick<SwarmComponents, 'config' | 'identity' | 'db' | 'libp2p' | 'topics' | 'control' | 'events' | 'counters' | 'log'>

export interface AddParams {
  description: string
  outcome: string
  category?: string
  tags?: string[]
  recommendations?: string[]
  share?: boolean
}

export interface KnowledgeOptions {
  limit?: number
  timeoutMs?: number
  signal?: AbortSignal
}

export interface KnowledgeAnswer {
  query: string
  items: KnowledgeResult[]
  peers: { asked: number, answered: number, failed: Array<{ nodeId: string, error: string }> }
}

/** A record as the control socket shows it: without the bulky envelope unless asked. */
function view (r: ReflectionRecord, withEnvelope = false): Record<string, unknown> {
  const { envelope, ...rest } = r
  return withEnvelope && envelope !== undefined ? { ...r } : rest
}

function optionalString (v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new UsageError(`${name} must be a string`)
  return v
}

function optionalStrings (v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new UsageError(`${name} must be a list of strings`)
  return v
}

function optionalLimit (v: unknown, max: number): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new UsageError(`limit must be an integer from 1 to ${max}`)
  return v
}

function optionalSource (v: unknown): ReflectionSource | undefined {
  if (v === undefined || v === null) return undefined
  if (v !== 'local' && v !== 'swarm') throw new UsageError('source must be local or swarm')
  return v
}

function optionalOutcome (v: unknown): Outcome | undefined {
  return v === undefined || v === null ? undefined : normalizeOutcome(v)
}

function needId (params: any, method: string): string {
  if (typeof params?.id !== 'string' || params.id === '') throw new UsageError(`${method} needs a reflection id`)
  return params.id
}

export class ReflectionService implements SwarmService {
  readonly name = 'reflections'
  readonly store: ReflectionStore
  private readonly c: ReflectionComponents
  private readonly log: Logger
  private readonly sharing: ReflectionSharing
  private started = false
  private serving = false
  /** Counts by source, read once at start and kept up to date (stats must stay cheap). */
  private counts = { local: 0, swarm: 0 }
  private readonly numbers = { knowledgeServed: 0, knowledgeAsked: 0 }

  constructor (c: ReflectionComponents) {
    this.c = c
    this.log = c.log.child('reflections')
    this.store = new ReflectionStore(c.db)
    this.sharing = new ReflectionSharing({
      identity: c.identity,
      libp2p: c.libp2p,
      topics: c.topics,
      events: c.events,
      counters: c.counters,
      log: c.log,
      store: this.store,
      clockSkewSec: c.config.bus.clockSkewSec,
      maxEnvelopeBytes: c.config.bus.maxEnvelopeBytes
    })
    // imports are counted where they happen
    c.events.on((e) => { if (e.type === 'reflection:integrated') this.counts.swarm++ })
  }

  async start (): Promise<void> {
    const counts = await this.store.countBySource()
    this.counts = { local: counts.local, swarm: counts.swarm }
    const { control } = this.c
    control.register('reflect.add', async (params: any, ctx) => await this.addMethod(params, ctx.signal))
    control.register('reflect.share', async (params: any, ctx) => await this.share(needId(params, 'reflect.share'), ctx.signal))
    control.register('reflect.get', async (params: any) => {
      const id = needId(params, 'reflect.get')
      const r = await this.store.get(id)
      if (r === undefined) throw new NotFoundError('reflection', id)
      return view(r, true)
    })
    control.register('reflect.search', async (params: any, ctx) => {
      const query = optionalString(params?.query, 'query')
      if (query === undefined || query.trim() === '') throw new UsageError('reflect.search needs a query')
      const found = await this.store.search(query, {
        tags: optionalStrings(params.tags, 'tags'),
        category: optionalString(params.category, 'category'),
        outcome: optionalOutcome(params.outcome),
        source: optionalSource(params.source),
        limit: optionalLimit(params.limit, 200),
        signal: ctx.signal
      })
      return found.map(({ reflection, score }) => ({ ...view(reflection), score: Math.round(score * 1000) / 1000 }))
    })
    control.register('reflect.list', async (params: any, ctx) => {
      const list = await this.store.list({
        source: optionalSource(params?.source),
        tag: optionalString(params?.tag, 'tag'),
        category: optionalString(params?.category, 'category'),
        outcome: optionalOutcome(params?.outcome),
        limit: optionalLimit(params?.limit, 1000),
        after: optionalString(params?.after, 'after'),
        signal: ctx.signal
      })
      return list.map((r) => view(r))
    })
    control.register('knowledge', async (params: any, ctx) => {
      const query = optionalString(params?.query, 'query')
      if (query === undefined || query.trim() === '' || query.length > MAX_QUERY_CHARS) throw new UsageError(`knowledge needs a query of 1..${MAX_QUERY_CHARS} characters`)
      const timeoutSec = params?.timeoutSec
      if (timeoutSec !== undefined && (typeof timeoutSec !== 'number' || !(timeoutSec > 0) || timeoutSec * 1000 > MAX_KNOWLEDGE_TIMEOUT_MS)) {
        throw new UsageError(`timeoutSec must be a number from 0 to ${MAX_KNOWLEDGE_TIMEOUT_MS / 1000}`)
      }
      return await this.knowledge(query, {
        limit: optionalLimit(params?.limit, MAX_KNOWLEDGE_ITEMS),
        timeoutMs: timeoutSec === undefined ? undefined : timeoutSec * 1000,
        signal: ctx.signal
      })
    })
    await this.sharing.start()
    await serveKnowledge(this.c.libp2p, this.c.identity.nodeId, async (q, signal) => {
      this.numbers.knowledgeServed++
      return await this.curated(q.query, q.limit, signal)
    })
    this.serving = true
    this.started = true
  }

  async stop (): Promise<void> {
    if (this.serving) await this.c.libp2p.unhandle(PROTOCOL_KNOWLEDGE).catch(() => {})
    this.serving = false
    if (this.started) await this.sharing.stop()
    this.started = false
  }

  stats (): Record<string, unknown> {
    const { local, swarm } = this.counts
    return { reflections: { count: local + swarm, local, swarm, ...this.sharing.numbers, ...this.numbers } }
  }

  /**
   * Stores a local reflection, signed as the `swarm/reflection` envelope it would be shared as
   * (same id and created-at), and answers once the write is synced.
   */
  async add (input: Omit<AddParams, 'share'>, signal?: AbortSignal): Promise<ReflectionRecord> {
    const { identity } = this.c
    const content = validateContent(input)
    const id = newReflectionId()
    const createdAt = new Date().toISOString()
    const env = buildReflection(identity, content, { id, createdAt })
    // Content within the store's limits can still be too big for one envelope (the schema and
    // the 64 KiB cap): such a reflection is kept unsigned and cannot be shared.
    const fits = envelopeType('swarm/reflection')?.schema.safeParse(env).success === true &&
      new TextEncoder().encode(JSON.stringify(env)).length <= Math.min(this.c.config.bus.maxEnvelopeBytes, 64 * 1024)
    const record = await this.store.add({ ...content, id, createdAt }, identity.nodeId, fits ? { signature: env.signature.value, envelope: env, signal } : { signal })
    this.counts.local++
    this.log.info('reflection added', { id, outcome: record.outcome, signed: fits })
    return record
  }

  /** Shares a stored reflection (a local one, or re-announces one from the swarm). */
  async share (id: string, signal?: AbortSignal): Promise<ShareResult> {
    const record = await this.store.get(id)
    if (record === undefined) throw new NotFoundError('reflection', id)
    return await this.sharing.share(record, signal)
  }

  private async addMethod (params: any, signal: AbortSignal): Promise<Record<string, unknown>> {
    if (params === null || typeof params !== 'object') throw new UsageError('reflect.add needs {description, outcome}')
    const record = await this.add({
      description: params.description,
      outcome: params.outcome,
      category: optionalString(params.category, 'category'),
      tags: optionalStrings(params.tags, 'tags'),
      recommendations: optionalStrings(params.recommendations, 'recommendations')
    }, signal)
    const out: Record<string, unknown> = { id: record.id, outcome: record.outcome, category: record.category, tags: record.tags, createdAt: record.createdAt }
    if (params.share !== true) return out
    try {
      return { ...out, ...await this.sharing.share(record, signal) }
    } catch (err) {
      // stored (and durable) even though the share was refused: say so in the error
      if (err instanceof SwarmError) {
        const detail: Record<string, unknown> = { ...(err.detail as Record<string, unknown> | undefined), id: record.id, stored: true }
        const why = typeof detail.reason === 'string' ? detail.reason : err.message
        throw new SwarmError(err.code, `stored as ${record.id}, but not shared: ${why}`, { detail })
      }
      throw err
    }
  }

  /** This node's curated answer (successes first), in wire form. */
  private async curated (query: string, limit: number, signal?: AbortSignal): Promise<KnowledgeWireItem[]> {
    const items = await this.store.knowledge(query, limit, { signal })
    return items.map((i) => ({ id: i.id, description: i.description, outcome: i.outcome, tags: i.tags, score: i.score, recommendations: i.recommendations, author: i.from }))
  }

  /**
   * Local knowledge merged with the curated answers of every connected peer that speaks the
   * protocol, asked in parallel until the deadline (default 5 s); late or bad replies are left out.
   * `knowledge(query, 5)` or `knowledge(query, { limit, timeoutMs, signal })`.
   */
  async knowledge (query: string, limitOrOptions: number | KnowledgeOptions = {}): Promise<KnowledgeAnswer> {
    const opts = typeof limitOrOptions === 'number' ? { limit: limitOrOptions } : limitOrOptions
    const limit = Math.max(1, Math.min(MAX_KNOWLEDGE_ITEMS, Math.floor(opts.limit ?? DEFAULT_KNOWLEDGE_ITEMS)))
    const timeoutMs = opts.timeoutMs ?? KNOWLEDGE_TIMEOUT_MS
    const signal = withTimeout(opts.signal, timeoutMs)
    this.numbers.knowledgeAsked++
    const peers = await this.knowledgePeers()
    const [local, ...answers] = await Promise.all([
      this.curated(query, limit, opts.signal),
      ...peers.map(async (p) => {
        try {
          return { ok: true as const, ...p, ...await askKnowledge(this.c.libp2p, p.peer, p.nodeId, { query, limit }, { signal, timeoutMs }) }
        } catch (err) {
          return { ok: false as const, ...p, error: err instanceof SwarmError ? `${err.code}: ${err.message}` : String(err) }
        }
      })
    ])
    const sources: KnowledgeSource[] = [{ from: this.c.identity.nodeId, items: local }]
    const failed: Array<{ nodeId: string, error: string }> = []
    for (const a of answers) {
      if (a.ok) sources.push({ from: a.nodeId, items: a.items })
      else failed.push({ nodeId: a.nodeId, error: a.error })
    }
    if (failed.length > 0) this.log.debug('knowledge: peers left out', { failed })
    return { query, items: mergeKnowledge(sources, limit), peers: { asked: peers.length, answered: peers.length - failed.length, failed } }
  }

  /** Connected peers with a node id, once each, minus those known not to speak the protocol. */
  private async knowledgePeers (): Promise<Array<{ peer: PeerId, nodeId: string }>> {
    const seen = new Map<string, { peer: PeerId, nodeId: string }>()
    for (const conn of this.c.libp2p.getConnections()) {
      const key = conn.remotePeer.toString()
      if (seen.has(key)) continue
      const nodeId = nodeIdFromPeerId(conn.remotePeer)
      if (nodeId === undefined) continue
      seen.set(key, { peer: conn.remotePeer, nodeId })
    }
    const out: Array<{ peer: PeerId, nodeId: string }> = []
    for (const p of seen.values()) {
      // identify tells us the peer's protocols; a browser peer without a store is not asked
      const protocols: string[] = await this.c.libp2p.peerStore.get(p.peer).then((x) => x.protocols, () => [])
      if (protocols.length > 0 && !protocols.includes(PROTOCOL_KNOWLEDGE)) continue
      out.push(p)
    }
    return out
  }
}

export function createReflectionService (c: ReflectionComponents): ReflectionService {
  return new ReflectionService(c)
}
