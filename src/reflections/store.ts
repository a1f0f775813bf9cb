// The reflections service's storage API: validation (model), records + postings (repository)
// and ranked search (index) behind one object the daemon constructs once over its SwarmDb.

import type { SwarmDb } from '../store/db.ts'
import type { Outcome, ReflectionInput, ReflectionRecord, ReflectionScope, ReflectionSource, Visibility } from './model.ts'
import { createRecord, normalizeTag, sharedFrom, validateRecord } from './model.ts'
import type { ListOptions, Standing } from './repository.ts'
import { ReflectionRepository } from './repository.ts'
import { MAX_SEARCH_LIMIT, type SearchOptions } from './search.ts'
import { mayServe, type Audience, type ServePolicy } from './visibility.ts'

export interface AddOptions {
  signature?: string | null
  envelope?: object
  source?: ReflectionSource
  provenance?: string[]
  /** default `local`: nothing leaves the node until its operator shares it. */
  visibility?: Visibility
  scope?: ReflectionScope
  /** default true: `add` answers only once the record is on disk. */
  sync?: boolean
  signal?: AbortSignal
}

export interface ImportOptions {
  /** The node the record came from (default: its author); becomes `shared_from_<node id>`. */
  from?: string
  /** The federation it was shared into (its sender's): it stays shared within that scope here. */
  federation?: string
  /** Its author's standing here (repository.ts): where it joins the eviction order. */
  standing?: Standing
  sync?: boolean
  signal?: AbortSignal
}

export interface SearchResult { reflection: ReflectionRecord, score: number }

/** One item of a knowledge answer: what a node tells a peer that asked what it knows. */
export interface KnowledgeItem {
  id: string
  description: string
  outcome: Outcome
  tags: string[]
  recommendations: string[]
  score: number
  from: string
  /** The signed `swarm/reflection` envelope, when the reflection has one. */
  envelope?: object
}

/**
 * The tag an import from `nodeId` carries (`shared_from_<node id>`). It keeps the node id's case
 * (did:key ids are case-sensitive base58) and is exempt from the 64-character limit, which is
 * for user input.
 */
function provenanceTag (nodeId: string): string {
  return normalizeTag(sharedFrom(nodeId))
}

export const DEFAULT_KNOWLEDGE_LIMIT = 5
export const MAX_KNOWLEDGE_LIMIT = 20

export class ReflectionStore {
  readonly repository: ReflectionRepository

  constructor (db: SwarmDb) {
    this.repository = new ReflectionRepository(db)
  }

  /** Validates and stores a new reflection; resolves once it is durable (synced). */
  async add (input: ReflectionInput, author: string, options: AddOptions = {}): Promise<ReflectionRecord> {
    const record = createRecord(input, {
      author,
      signature: options.signature,
      envelope: options.envelope,
      source: options.source,
      provenance: options.provenance,
      visibility: options.visibility ?? 'local',
      scope: options.scope
    })
    await this.repository.put(record, { sync: options.sync ?? true, signal: options.signal })
    return record
  }

  /**
   * Stores a reflection shared by a peer: checked like local input, marked source 'swarm' and
   * tagged `shared_from_<node id>` (also appended to provenance). A known id is not stored again.
   */
  async import (raw: unknown, options: ImportOptions = {}): Promise<{ stored: boolean, reflection: ReflectionRecord }> {
    const r = validateRecord(raw)
    const origin = sharedFrom(options.from ?? r.author)
    const tag = provenanceTag(options.from ?? r.author)
    const reflection: ReflectionRecord = {
      ...r,
      source: 'swarm',
      tags: r.tags.includes(tag) ? r.tags : [...r.tags, tag],
      provenance: r.provenance.includes(origin) ? r.provenance : [...r.provenance, origin],
      visibility: 'shared'
    }
    if (options.federation !== undefined) reflection.scope = { federation: options.federation }
    const { stored } = await this.repository.put(reflection, { sync: options.sync ?? true, signal: options.signal, standing: options.standing })
    return { stored, reflection }
  }

  async get (id: string, options: { signal?: AbortSignal } = {}): Promise<ReflectionRecord | undefined> {
    return await this.repository.get(id, options)
  }

  /** Sets a stored reflection's visibility (and scope); resolves the updated record, undefined if unknown. */
  async setVisibility (id: string, visibility: Visibility, scope: ReflectionScope | undefined, options: { signal?: AbortSignal } = {}): Promise<ReflectionRecord | undefined> {
    const r = await this.repository.get(id, options)
    if (r === undefined) return undefined
    const next: ReflectionRecord = { ...r, visibility }
    if (scope !== undefined) next.scope = scope
    await this.repository.replace(next, { signal: options.signal })
    return next
  }

  async list (options: ListOptions = {}): Promise<ReflectionRecord[]> {
    return await this.repository.list(options)
  }

  async count (): Promise<number> {
    return await this.repository.count()
  }

  /** Imports shared from `nodeId` held here (its provenance tag's counter: one read). */
  async importsFrom (nodeId: string): Promise<number> {
    return await this.repository.index.documentFrequency(`tag:${provenanceTag(nodeId)}`)
  }

  /** Stored reflections by source, from the index counters (two reads, no scan). */
  async countBySource (): Promise<{ count: number, local: number, swarm: number }> {
    const [count, swarm] = await Promise.all([this.repository.count(), this.repository.index.documentFrequency('src:swarm')])
    return { count, local: count - swarm, swarm }
  }

  /** BM25-ranked reflections; only the top `limit` records are read. */
  async search (query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const hits = await this.repository.index.search(query, options)
    const records = await this.repository.getMany(hits.map(h => h.id))
    const out: SearchResult[] = []
    hits.forEach((h, i) => {
      const reflection = records[i]
      if (reflection !== undefined) out.push({ reflection, score: h.score })
    })
    return out
  }

  /**
   * The curated answer to a peer's knowledge query. Successful reflections come first; failed
   * ones only fill the remaining slots, because "this did not work" still saves the asker a
   * dead end, but a success is what they asked for. Items carry the original author as `from`.
   */
  async knowledge (query: string, limit = DEFAULT_KNOWLEDGE_LIMIT, options: KnowledgeFilter = {}): Promise<KnowledgeItem[]> {
    const n = Math.max(1, Math.min(MAX_KNOWLEDGE_LIMIT, Math.floor(limit)))
    const found = await this.servable(query, 'success', n, options)
    if (found.length < n) found.push(...await this.servable(query, 'failure', n - found.length, options))
    return found.map(({ reflection: r, score }) => ({
      id: r.id,
      description: r.description,
      outcome: r.outcome,
      tags: r.tags,
      recommendations: r.recommendations,
      score: Math.round(score * 1000) / 1000,
      from: r.author,
      ...(r.envelope !== undefined ? { envelope: r.envelope } : {})
    }))
  }

  /**
   * The best `n` matches the audience may see. Visibility is not indexed (it changes), so the
   * search over-fetches and filters, widening up to the search cap while hits are being dropped:
   * a node whose local reflections crowd the top may serve fewer, never more.
   */
  private async servable (query: string, outcome: Outcome, n: number, o: KnowledgeFilter): Promise<SearchResult[]> {
    const { audience, policy } = o
    if (audience === undefined || audience.self || policy === undefined) return await this.search(query, { outcome, limit: n, signal: o.signal })
    let fetch = Math.min(MAX_SEARCH_LIMIT, n * 4)
    for (;;) {
      const hits = await this.search(query, { outcome, limit: fetch, signal: o.signal })
      const ok = hits.filter((h) => mayServe(h.reflection, audience, policy))
      if (ok.length >= n || hits.length < fetch || fetch >= MAX_SEARCH_LIMIT) return ok.slice(0, n)
      fetch = Math.min(MAX_SEARCH_LIMIT, fetch * 4)
    }
  }
}

/** Who the knowledge is for; without an audience (or for the node itself) everything is served. */
export interface KnowledgeFilter {
  audience?: Audience
  policy?: ServePolicy
  signal?: AbortSignal
}
