// Reflection store benchmark: bulk ingest of 100,000 generated reflections, then `reflect
// search` latency over a few hundred varied queries (some filtered), against the raw LevelDB
// cost of the reads a query is allowed (the POSTINGS_BUDGET prefix read plus the top-k gets).
// Run alone: node_modules/.bin/node scripts/bench/reflections.ts (prints JSON).

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { openDb } from '../../src/store/db.ts'
import { ReflectionStore } from '../../src/reflections/store.ts'
import { createRecord, type ReflectionRecord } from '../../src/reflections/model.ts'
import { POSTINGS_BUDGET } from '../../src/reflections/search.ts'
import type { Figure } from './figure.ts'

const DOCS = Number(process.env.BENCH_REFLECTIONS ?? 100_000)
const QUERIES = 400
const SEARCH_TARGET_MS = 20

const DOMAIN = `network peer connection timeout retry backoff gossip topic mesh relay circuit dial
stream yamux noise handshake identify ping latency bandwidth throughput queue buffer memory leak
heap garbage collection cpu thread worker event loop promise async await callback error
exception stack trace panic crash restart supervisor daemon socket unix pipe signal abort
deadline budget cache eviction lru ttl invalidation index query search rank score token
tokenizer stemming stopword database leveldb compaction snapshot batch atomic fsync durability
replication consensus quorum vote proposal risk rollback migration schema version upgrade
deploy release canary feature flag config environment secret key rotation certificate trust
root federation membership revocation signature envelope verify ed25519 hash digest encoding
cbor json parse serialize validate python sandbox container docker image build compile test
flaky assertion fixture mock benchmark profile flamegraph regression optimize vectorize shard
partition load balancer proxy dns resolver ipv6 firewall nat traversal stun turn webrtc browser
chromium headless playwright bundle esbuild typescript module import export dependency lockfile
registry mirror offline airgap backup restore archive compress decompress stream chunk frame
length prefix protocol negotiate multiaddr transport tcp websocket quic http grpc rest api
endpoint route handler middleware auth token oauth session cookie csrf cors rate limit quota
metric counter gauge histogram prometheus alert dashboard log trace span audit compliance
reflection knowledge answer question summary contribution secretary channel presence heartbeat`.split(/\s+/)

const TAGS = Array.from({ length: 240 }, (_, i) => i < DOMAIN.length ? DOMAIN[i * 3 % DOMAIN.length] : `topic-${i}`)
const CATEGORIES = ['general', 'networking', 'storage', 'security', 'performance', 'testing', 'deployment', 'tooling', 'protocol', 'ui', 'data', 'ops']
const FILLER = 'the a to of and in for with on is was it this that when after before then but not by from'.split(' ')

export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A vocabulary of real domain words followed by synthetic ones, sampled with Zipf's law. */
export function vocabulary (rand: () => number): { pick: () => string, words: string[] } {
  const syl = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'vo', 'ze', 'po', 'qua', 'dri', 'fen', 'gor', 'hul', 'jex', 'bri', 'sto', 'cle', 'xan']
  const words = [...DOMAIN]
  const seen = new Set(words)
  while (words.length < 12_000) {
    const n = 2 + Math.floor(rand() * 3)
    let w = ''
    for (let i = 0; i < n; i++) w += syl[Math.floor(rand() * syl.length)]
    if (!seen.has(w)) { seen.add(w); words.push(w) }
  }
  const cdf: number[] = []
  let sum = 0
  for (let i = 0; i < words.length; i++) { sum += 1 / Math.pow(i + 5, 0.95); cdf.push(sum) }
  const pick = (): string => {
    const x = rand() * sum
    let lo = 0
    let hi = cdf.length - 1
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < x) lo = mid + 1; else hi = mid }
    return words[lo]
  }
  return { pick, words }
}

function sentence (rand: () => number, pick: () => string, min: number, max: number): string {
  const n = min + Math.floor(rand() * (max - min + 1))
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(rand() < 0.3 ? FILLER[Math.floor(rand() * FILLER.length)] : pick())
  return out.join(' ')
}

export function* generate (count: number, rand: () => number, pick: () => string): Generator<ReflectionRecord> {
  const t0 = Date.UTC(2025, 0, 1)
  for (let i = 0; i < count; i++) {
    const tags = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => TAGS[Math.floor(Math.pow(rand(), 2) * TAGS.length)])
    yield createRecord({
      description: sentence(rand, pick, 15, 90),
      outcome: rand() < 0.7 ? 'success' : 'failure',
      category: CATEGORIES[Math.floor(rand() * CATEGORIES.length)],
      tags,
      recommendations: Array.from({ length: Math.floor(rand() * 4) }, () => sentence(rand, pick, 5, 18)),
      createdAt: new Date(t0 + i * 1000).toISOString()
    }, { author: `node:bench-${i % 50}`, source: rand() < 0.1 ? 'swarm' : 'local' })
  }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d

export async function benchReflections (): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-bench-reflections-'))
  const db = await openDb(join(dir, 'db'))
  try {
    const store = new ReflectionStore(db)
    const rand = mulberry32(42)
    const { pick, words } = vocabulary(rand)

    const t0 = performance.now()
    const { stored } = await store.repository.putMany(generate(DOCS, rand, pick))
    const ingestSec = (performance.now() - t0) / 1000
    const ingestPerSec = stored / ingestSec

    // Queries: 1–5 words mixing frequent, mid and rare vocabulary; a quarter filtered.
    const queries = Array.from({ length: QUERIES }, (_, i) => {
      const n = 1 + Math.floor(rand() * 5)
      const text = Array.from({ length: n }, () => rand() < 0.6 ? pick() : words[Math.floor(rand() * words.length)]).join(' ')
      const opts: Parameters<ReflectionStore['search']>[1] = {}
      if (i % 8 === 1) opts.tags = [TAGS[Math.floor(rand() * TAGS.length)]]
      if (i % 8 === 3) opts.outcome = 'failure'
      if (i % 8 === 5) opts.category = CATEGORIES[Math.floor(rand() * CATEGORIES.length)]
      if (i % 16 === 7) opts.source = 'swarm'
      return { text, opts }
    })
    for (const q of queries.slice(0, 20)) await store.search(q.text, q.opts) // warm the df cache and block cache
    const times: number[] = []
    let hits = 0
    for (const q of queries) {
      const s = performance.now()
      hits += (await store.search(q.text, q.opts)).length
      times.push(performance.now() - s)
    }
    times.sort((a, b) => a - b)
    const p50 = percentile(times, 0.5)
    const p99 = percentile(times, 0.99)

    // Raw LevelDB floor: one POSTINGS_BUDGET-long prefix read of a common token + 10 gets.
    const index = db.bucket('reflectionIndex')
    const records = db.bucket('reflections')
    const someIds = (await store.list({ limit: 10 })).map(r => r.id)
    const rawTimes: number[] = []
    let iterated = 0
    const rawStart = performance.now()
    for (let i = 0; i < 50; i++) {
      const s = performance.now()
      const rows = await index.iterator({ gte: 't!network!', lt: 't!network!:', limit: POSTINGS_BUDGET }).all()
      await records.getMany(someIds)
      rawTimes.push(performance.now() - s)
      iterated += rows.length
    }
    const iterPerSec = iterated / ((performance.now() - rawStart) / 1000)
    rawTimes.sort((a, b) => a - b)
    const rawP50 = percentile(rawTimes, 0.5)

    // Durable adds: what `reflect add` costs with fsync on every write.
    const addN = 300
    const a0 = performance.now()
    for (let i = 0; i < addN; i++) {
      await store.add({ description: sentence(rand, pick, 15, 60), outcome: 'success', tags: ['bench'] }, 'node:bench')
    }
    const addPerSec = addN / ((performance.now() - a0) / 1000)

    return [
      { name: 'reflections-ingest-per-sec', value: Math.round(ingestPerSec), unit: 'reflections/s', target: `${DOCS} bulk-ingested (unsynced batches)`, pass: stored === DOCS },
      { name: 'reflect-search-p50-ms', value: round(p50), unit: 'ms', target: `< ${SEARCH_TARGET_MS} ms over ${DOCS} reflections`, baseline: round(rawP50), ratio: round(p50 / rawP50), pass: p50 < SEARCH_TARGET_MS && hits > 0 },
      { name: 'reflect-search-p99-ms', value: round(p99), unit: 'ms', target: 'informational', baseline: round(rawP50), ratio: round(p99 / rawP50), pass: true },
      { name: 'reflect-add-synced-per-sec', value: Math.round(addPerSec), unit: 'adds/s', target: 'informational (fsync per add)', pass: true },
      { name: 'leveldb-posting-iterate-per-sec', value: Math.round(iterPerSec), unit: 'entries/s', target: 'informational (raw baseline)', pass: true }
    ]
  } finally {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchReflections()
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n')
}
