// Flood benchmark. Five daemon processes on loopback in a full mesh, default rate limits. A
// hostile peer (test/adversarial/hostile-peer.ts: its own key, raw gossipsub) signs valid
// questions with 100 fresh keys and pushes them at FLOOD_RATE msg/s straight to every daemon,
// while the daemons ask honest questions through their control sockets:
// - flood-honest-delivery: share of (honest question, other node) pairs delivered, against the
//   same share measured without a flood in the same run (the baseline);
// - flood-graylist-s: seconds from the flood's start until every daemon has the flooder
//   graylisted (or already banned);
// - envelope-duplicate-cost-us: CPU per duplicate envelope (a whitespace/key-order variant of one
//   already seen: gossipsub's fast id and our content id, after which gossipsub drops it),
//   against one node:crypto Ed25519 verify of the same envelope (target: at most 5 % of it).
// Run alone: node_modules/.bin/node scripts/bench/flood.ts (prints JSON).

import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { buildQuestion, createSigner, decodeSignature, envelopeSigningInput, EnvelopeValidator } from '../../src/envelope/index.ts'
import { contentMsgId, fastMsgId } from '../../src/net/node.ts'
import { flood, startHostilePeer } from '../../test/adversarial/hostile-peer.ts'
import { cleanUpBenchDaemons, startBenchDaemon, stopBenchDaemons, type BenchDaemon } from './daemons.ts'
import { figure, median, type Figure } from './figure.ts'

const N = Number(process.env.BENCH_FLOOD_NODES ?? 5)
const FLOOD_RATE = Number(process.env.BENCH_FLOOD_RATE ?? 1000)
const FLOOD_MS = Number(process.env.BENCH_FLOOD_MS ?? 8000)
const KEYS = 100
const HONEST = Number(process.env.BENCH_FLOOD_HONEST ?? 20)
const FED = 'fed:bench-flood'
const TOPIC = `swarm/1/fed/${FED}/questions`

type Bench = BenchDaemon

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function startDaemon (): Promise<Bench> {
  return await startBenchDaemon({ federation: FED, prefix: 'swarm-bench-flood-' })
}

/** Share of (question, other node) pairs delivered, once `settleMs` has passed. */
async function delivery (ds: Bench[], asked: Array<{ id: string, from: number }>, settleMs: number): Promise<number> {
  const deadline = Date.now() + settleMs
  let share = 0
  for (;;) {
    const lists = await Promise.all(ds.map(async (d) => new Set((await d.client.call('questions', { all: true }, { timeoutMs: 30_000 }) as Array<{ id: string }>).map((q) => q.id))))
    let got = 0
    for (const q of asked) for (let i = 0; i < ds.length; i++) if (i !== q.from && lists[i].has(q.id)) got++
    share = got / (asked.length * (ds.length - 1))
    if (share === 1 || Date.now() > deadline) return share
    await sleep(500)
  }
}

async function askHonest (ds: Bench[], n: number, everyMs: number, tag: string): Promise<Array<{ id: string, from: number }>> {
  const asked: Array<{ id: string, from: number }> = []
  for (let i = 0; i < n; i++) {
    const from = i % ds.length
    const q = await ds[from].client.call('ask', { text: `Honest question ${tag} ${i}: is the swarm listening?`, scope: 'federation-local', ttlSec: 600 }) as { id: string }
    asked.push({ id: q.id, from })
    await sleep(everyMs)
  }
  return asked
}

async function floodFigures (): Promise<Figure[]> {
  const ds = await Promise.all(Array.from({ length: N }, async () => await startDaemon()))
  const h = await startHostilePeer({ federation: FED })
  try {
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) await ds[j].client.call('connect', { address: ds[i].tcp })
    await sleep(3000) // meshes form on heartbeats

    // baseline: the same honest questions without a flood
    const calm = await askHonest(ds, HONEST, 100, 'calm')
    const baseline = await delivery(ds, calm, 10_000)

    h.subscribe(TOPIC)
    for (const d of ds) { await h.dial(d.tcp); await h.ready(d.peerId) }
    await sleep(1500)
    const keys = Array.from({ length: KEYS }, () => h.freshSigner(FED))
    const messages = Array.from({ length: Math.ceil(FLOOD_RATE * FLOOD_MS / 1000) }, (_, i) =>
      JSON.stringify(buildQuestion(keys[i % KEYS], { text: `flood ${i}: limited offer, act now`, scope: 'federation-local' })))

    const t0 = Date.now()
    const graylistedAt = new Map<number, number>()
    let polling = true
    const poll = (async () => {
      while (polling && graylistedAt.size < N) {
        await Promise.all(ds.map(async (d, i) => {
          if (graylistedAt.has(i)) return
          const s = await d.client.call('stats', {}, { timeoutMs: 30_000 }).catch(() => undefined) as any
          const adm = s?.admission
          if (adm?.graylisted?.includes(h.peerId) === true || adm?.banned?.some((b: any) => b.peerId === h.peerId) === true) graylistedAt.set(i, Date.now() - t0)
        }))
        await sleep(100)
      }
    })()
    const running = flood(h, { targets: ds.map((d) => d.peerId), topic: TOPIC, messages, ratePerSec: FLOOD_RATE, durationMs: FLOOD_MS })
    await sleep(200)
    const during = await askHonest(ds, HONEST, Math.max(50, Math.floor((FLOOD_MS - 1000) / HONEST)), 'flood')
    const sent = await running
    const share = await delivery(ds, during, 15_000)
    await Promise.race([poll, sleep(10_000)])
    polling = false
    const graylistS = graylistedAt.size === N ? Math.max(...graylistedAt.values()) / 1000 : NaN
    // what reached each daemon while it still took the flooder's messages (the flooder holds back
    // from one that has 1 MiB unread; a daemon that bans it early ends its share there)
    const rate = sent.rate
    if (process.env.BENCH_FLOOD_DEBUG === '1') {
      process.stderr.write(`flood: offered ${sent.sent}, delivered at least ${sent.delivered} in ${sent.ms} ms to each of ${N}; graylisted at ${JSON.stringify([...graylistedAt])}\n`)
      for (const d of ds) {
        const s = await d.client.call('stats', {}, { timeoutMs: 30_000 }) as any
        process.stderr.write(`  ${JSON.stringify({ flood: s.admission.flood, graylistedTotal: s.admission.graylistedTotal, banned: s.admission.banned.length, envelopes: s.envelopes })}\n`)
      }
    }
    return [
      figure('flood-honest-delivery', share, 'share', { min: 0.99 }, { baseline, ratio: baseline > 0 ? share / baseline : undefined }),
      figure('flood-graylist-s', graylistS, 's', { max: 10 }),
      // the generator's own check: it offered what it aimed for (10 ms batches: within 5 %)
      figure('flood-rate-msg-s', rate, 'msg/s per daemon', { min: 0.95 * FLOOD_RATE })
    ]
  } finally {
    await h.stop().catch(() => {})
    stopBenchDaemons(ds)
    await cleanUpBenchDaemons()
  }
}

const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)

/** µs per call of `fn` over `n` items, median of `rounds`. */
function usPer (n: number, rounds: number, fn: (i: number) => void): number {
  const out: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn(i)
    out.push((performance.now() - t) * 1000 / n)
  }
  return median(out)
}

function duplicateFigures (): Figure[] {
  const signer = createSigner(new Uint8Array(32).fill(0x29), 'fed:orbiplex-pl')
  const q = buildQuestion(signer, {
    text: 'What is the safest way to rotate a federation-wide trust root without breaking older nodes? '.repeat(2),
    tags: ['trust', 'rotation', 'backward-compatibility', 'federation'],
    languages: ['en', 'pl'],
    ttlSec: 3600
  })
  const base = JSON.stringify(q)
  const enc = new TextEncoder()
  const variants = Array.from({ length: 5000 }, (_, i) => enc.encode('{' + ' '.repeat(i % 100) + '\n'.repeat(Math.floor(i / 100)) + base.slice(1)))
  const keyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, signer.publicKey]), format: 'der', type: 'spki' })
  const input = envelopeSigningInput(q)
  const sig = decodeSignature(q.signature.value)!
  const validator = new EnvelopeValidator()
  validator.validateSync(base)
  let sink = 0
  const rounds = 7
  const verifyUs = usPer(2000, rounds, () => { if (nodeVerify(null, input, keyObject, sig)) sink++ })
  // what gossipsub runs for a whitespace variant of a message it has seen: fastMsgIdFn (whitespace
  // stripped), a hit in its fast-id cache, dropped; the first variant alone pays msgIdFn
  const gossipUs = usPer(variants.length, rounds, (i) => {
    sink += fastMsgId(TOPIC, variants[i]).length
    if (i === 0) sink += contentMsgId(TOPIC, variants[i])[0]
  })
  // a copy arriving by a stream (delivery, backfill): the validator's duplicate path, no verify
  const validatorUs = usPer(variants.length, rounds, (i) => { if (!validator.validateSync(variants[i]).ok) sink++ })
  if (sink === -1) process.stderr.write('')
  return [
    figure('envelope-duplicate-cost-us', gossipUs, 'us', { max: 0.05 * verifyUs }, { baseline: verifyUs, ratio: gossipUs / verifyUs }),
    figure('envelope-duplicate-validate-us', validatorUs, 'us', { max: 0.05 * verifyUs }, { baseline: verifyUs, ratio: validatorUs / verifyUs })
  ]
}

export async function benchFlood (): Promise<Figure[]> {
  return [...duplicateFigures(), ...await floodFigures()]
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchFlood(), null, 2))
  process.exit(0)
}
