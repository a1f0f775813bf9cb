// The reflections service's storage API: validation (model), records + postings (repository)
// and ranked search (index) behind one object the daemon constructs once over its SwarmDb.

import type { SwarmDb } from '../store/db.ts'
import type { Outcome, ReflectionInput, ReflectionRecord, ReflectionSource } from './model.ts'
import { createRecord, normalizeTag, sharedFrom, validateRecord } from './model.ts'
import type { ListOptions } from './repository.ts'
import { ReflectionRepository } from './repository.ts'
import type { SearchOptions } from './search.ts'

export interface AddOptions {
  signature?: string | null
  envelope?: object
  source?: ReflectionSource
  provenance?: string[]
  /** default true: `add` answers only once the record is on disk. */
  sync?: boolean
  signal?: AbortSignal
}

export interface ImportOptions {
  /** The node the record came from (default: its author); becomes `shared_from_<node id>`. */
  from?: string
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
      provenance: options.provenance
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
    // The tag keeps the node id's case (did:key ids are case-sensitive base58) and is exempt
    // from the 64-character limit, which is for user input.
    const tag = normalizeTag(origin)
    const reflection: ReflectionRecord = {
      ...r,
      source: 'swarm',
      tags: r.tags.includes(tag) ? r.tags : [...r.tags, tag],
      provenance: r.provenance.includes(origin) ? r.provenance : [...r.provenance, origin]
    }
    const { stored } = await this.repository.put(reflection, { sync: options.sync ?? true, signal: options.signal })
    return { stored, reflection }
  }

  async get (id: string, options: { signal?: AbortSignal } = {}): Promise<ReflectionRecord | undefined> {
    return await this.repository.get(id, options)
  }

  async list (options: ListOptions = {}): Promise<ReflectionRecord[]> {
    return await this.repository.list(options)
  }

  async count (): Promise<number> {
    return await this.repository.count()
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
  async knowledge (query: string, limit = DEFAULT_KNOWLEDGE_LIMIT, options: { signal?: AbortSignal } = {}): Promise<KnowledgeItem[]> {
    const n = Math.max(1, Math.min(MAX_KNOWLEDGE_LIMIT, Math.floor(limit)))
    const found = await this.search(query, { outcome: 'success', limit: n, signal: options.signal })
    if (found.length < n) {
      found.push(...await this.search(query, { outcome: 'failure', limit: n - found.length, signal: options.signal }))
    }
    return found.map(({ reflection: r, score }) => ({
      id: r.id,
      description: r.description,
      outcome: r.outcome,
      tags: r.tags,
      recommendations: r.recommendations,
      score: Math.round(score * 1000) / 1000,
      from: r.author
    }))
  }
}
