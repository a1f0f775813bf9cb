// Channel log benchmark (issue 16). Ten nodes — the real QuestionBus on real libp2p nodes over
// loopback TCP, in one process (test/helpers/bus-nodes.ts) — in a sparse random mesh of degree
// 2–3; every node is a member of one channel. A contribution's converge time is the latest
// `contribution` event among the other nodes minus the moment it was published; the baseline,
// interleaved in the same run over the same links, is raw gossipsub carrying bytes of the same
// size on an unchecked topic. Bytes on the wire are every gossipsub RPC byte the nodes wrote
// (messages, duplicates, IHAVE/IWANT, control) while each kind was measured, per message per node.
// Then a member stops, 500 contributions are made, and it restarts: the time until it holds all
// of them (store open, libp2p start, connect, history backfill, verification) is the resume time.
// Run alone: node_modules/.bin/node scripts/bench/channel.ts (prints JSON).

import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildContribution } from '../../src/envelope/index.ts'
import { rawSubscribe } from '../../src/bus/bench-hooks.ts'
import { connect, startBusNode, stopBusNodes, until, type BusNode } from '../../test/helpers/bus-nodes.ts'
import { mulberry32, neighbours, topology } from '../../test/helpers/topologies.ts'
import { figure, median, percentile, type Figure } from './figure.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const N = Number(process.env.BENCH_CHANNEL_NODES ?? 10)
// ≥ 300 samples: with 60, the p99 is nearly the maximum, one outlier
const ROUNDS = Number(process.env.BENCH_CHANNEL_ROUNDS ?? 300)
const WARMUP = Number(process.env.BENCH_CHANNEL_WARMUP ?? 30)
const RESUME = Number(process.env.BENCH_CHANNEL_RESUME ?? 500)
const RAW_TOPIC = 'swarm/bench/raw-channel'
const TEXT = 'The relay listens on 4001 unless config.json says otherwise; check swarm status. '.repeat(3)
const encoder = new TextEncoder()

/** Every gossipsub RPC byte written by any node in this process (OutboundStream is gossipsub's one writer). */
let wireBytes = 0
async function countWireBytes (): Promise<void> {
  const mod = await import(pathToFileURL(join(ROOT, 'node_modules/@libp2p/gossipsub/dist/src/stream.js')).href) as { OutboundStream: { prototype: { pushPrefixed: (d: Uint8Array) => void } } }
  const proto = mod.OutboundStream.prototype
  const original = proto.pushPrefixed
  proto.pushPrefixed = function (this: unknown, data: Uint8Array) { wireBytes += data.length; original.call(this, data) }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function converge (nodes: BusNode[], edges: Array<[number, number]>): Promise<Figure[]> {
  const rand = mulberry32(7)
  const seen = nodes.map(() => new Map<string, number>())
  nodes.forEach((n, i) => {
    n.events.on((e) => {
      const id = (e as { id?: unknown }).id
      if ((e.type === 'contribution' || e.type === 'bench:raw') && typeof id === 'string') seen[i].set(id, performance.now())
    })
    rawSubscribe(n.bus.ctx, RAW_TOPIC)
  })
  await sleep(1500) // the raw topic's meshes form on a heartbeat
  const asker = nodes[0]
  const { id: qid } = await asker.bus.ask({ text: 'Where does the relay listen?', ttlSec: 3600 })
  await until(async () => { for (const n of nodes.slice(1)) if (!(await n.bus.list()).some((q) => q.id === qid)) return false; return true }, { what: 'every node has the question' })
  for (const n of nodes.slice(1)) await n.bus.join(qid, 'watcher')
  await until(() => nodes.every((n) => (n.bus.ctx.book.channels.get(qid)?.participants.size ?? 0) >= N), { what: 'every member sees every join', timeoutMs: 30_000 })

  const reached = (from: number, id: string, t0: number): number | undefined => {
    let last = 0
    for (let i = 0; i < nodes.length; i++) {
      if (i === from) continue
      const t = seen[i].get(id)
      if (t === undefined) return undefined
      last = Math.max(last, t)
    }
    return last - t0
  }
  const bus: number[] = []
  const raw: number[] = []
  let busBytes = 0
  let rawBytes = 0
  let missing = 0
  // warm-up rounds (r < 0) are not timed: JIT, streams, meshes
  for (let r = -WARMUP; r < ROUNDS; r++) {
    const from = Math.floor(rand() * N)
    const n = nodes[from]
    const e = buildContribution(n.identity, { questionId: qid, kind: 'fact', text: TEXT, confidence: 0.5 }, n.bus.ctx.chain(qid))
    let before = wireBytes
    let t0 = performance.now()
    await n.bus.publishIn(qid, e)
    const ok = await until(() => reached(from, e.id, t0) !== undefined, { what: 'converge', timeoutMs: 10_000 }).then(() => true, () => false)
    await sleep(40)
    if (r >= 0) { if (ok) bus.push(reached(from, e.id, t0) as number); else missing++; busBytes += wireBytes - before }
    // the baseline: the same number of bytes, raw, from the same node
    const id = `raw:${r}:${Math.random()}`
    const bytes = encoder.encode(JSON.stringify({ id, pad: JSON.stringify(e).slice(0, Math.max(0, JSON.stringify(e).length - id.length - 20)) }))
    before = wireBytes
    t0 = performance.now()
    await n.topics.publish(RAW_TOPIC, bytes)
    const okRaw = await until(() => reached(from, id, t0) !== undefined, { what: 'raw converge', timeoutMs: 10_000 }).then(() => true, () => false)
    await sleep(40)
    if (r >= 0) { if (okRaw) raw.push(reached(from, id, t0) as number); else missing++; rawBytes += wireBytes - before }
  }
  if (process.env.BENCH_CHANNEL_DEBUG === '1') process.stderr.write(`bus ${JSON.stringify(bus.map(Math.round))}\nraw ${JSON.stringify(raw.map(Math.round))}\n`)
  const degree = (2 * edges.length) / N
  const p50 = median(bus)
  const p99 = percentile(bus, 99)
  const raw50 = median(raw)
  const raw99 = percentile(raw, 99)
  const perNode = busBytes / Math.max(1, bus.length) / N
  const rawPerNode = rawBytes / Math.max(1, raw.length) / N
  const out = [
    figure('channel-converge-p50-ms', p50, 'ms', { max: Math.max(raw50 * 1.5, raw50 + 2) }, { baseline: raw50, ratio: p50 / raw50 }),
    figure('channel-converge-p99-ms', p99, 'ms', { max: Math.max(raw99 * 1.5, raw99 + 2) }, { baseline: raw99, ratio: p99 / raw99 }),
    figure('channel-converge-p99-ratio', p99 / raw99, 'x', { max: 1.5 }, { baseline: raw99 }),
    figure('channel-bytes-per-contribution-per-node', perNode, `bytes (mesh degree ${degree.toFixed(1)}, ${N} nodes)`, {}, { baseline: rawPerNode, ratio: perNode / rawPerNode }),
    figure('channel-converge-samples', bus.length, 'contributions', { min: Math.floor(ROUNDS * 0.9) })
  ]
  if (missing > 0) out.push(figure('channel-converge-missing', missing, 'messages', { max: 0 }))
  return out
}

async function resume (nodes: Array<BusNode & { seed: Uint8Array }>, edges: Array<[number, number]>): Promise<Figure[]> {
  const nb = neighbours(N, edges)
  const asker = nodes[0]
  const { id: qid } = await asker.bus.ask({ text: 'A long channel', ttlSec: 3600 })
  await until(async () => { for (const n of nodes.slice(1)) if (!(await n.bus.list()).some((q) => q.id === qid)) return false; return true }, { what: 'every node has the question' })
  const m = N - 1
  await nodes[m].bus.join(qid, 'watcher')
  await until(() => asker.bus.ctx.book.channels.get(qid)?.participants.has(nodes[m].identity.nodeId) === true, { what: 'the asker sees the member join' })
  const { home, seed } = nodes[m]
  await nodes[m].stop()
  const speakers = nodes.slice(0, 4)
  for (let i = 0; i < RESUME; i++) {
    const n = speakers[i % speakers.length]
    if (n !== asker && !(n.bus.ctx.book.records.get(qid)?.joined ?? false)) await n.bus.join(qid, 'participant')
    await n.bus.publishIn(qid, buildContribution(n.identity, { questionId: qid, kind: 'fact', text: `${i}: ${TEXT}`, confidence: 0.5 }, n.bus.ctx.chain(qid)))
  }
  const want = (): number => asker.bus.ctx.book.channels.get(qid)?.entries.length ?? 0
  await until(() => want() >= RESUME, { what: 'the asker holds the channel', timeoutMs: 60_000 })
  await sleep(500)
  const total = want()
  const t0 = performance.now()
  const back = await startBusNode({ home, seed, configure: configureBench })
  for (const j of nb[m]) await connect(back, nodes[j])
  await until(() => (back.bus.ctx.book.channels.get(qid)?.entries.length ?? 0) >= total, { what: 'the restarted member holds the whole log', timeoutMs: 60_000 })
  const ms = performance.now() - t0
  return [figure('channel-resume-ms', ms, `ms (${total} envelopes)`, { max: 1000 })]
}

function configureBench (c: import('../../src/config/schema.ts').SwarmConfig): void {
  c.presence.heartbeatSec = 10
}

export async function benchChannel (): Promise<Figure[]> {
  await countWireBytes()
  try {
    const edges = topology('random', N, mulberry32(3))
    const nodes = await Promise.all(Array.from({ length: N }, async () => await startBusNode({ configure: configureBench })))
    for (const [a, b] of edges) await connect(nodes[a], nodes[b])
    await sleep(2500) // gossipsub meshes form on heartbeats
    return [...await converge(nodes, edges), ...await resume(nodes, edges)]
  } finally {
    await stopBusNodes()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.SWARM_MDNS ??= 'false'
  const figures = await benchChannel()
  console.log(JSON.stringify(figures, null, 2))
  process.exit(0)
}
