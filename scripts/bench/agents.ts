// Agent plug-in figures. Two real daemons (bin/swarm) on loopback; the first serves A2A.
//
// mcp-ask-rtt-ms: the MCP SDK's client calling swarm_ask on `swarm mcp` (stdio → the mcp process
//   → control socket → daemon) until it holds the question id, p50; the baseline is the same
//   `ask` sent straight over the control socket (what `swarm ask` sends) in the same run.
//   Target: ≤ 1.5× the baseline.
// a2a-first-update-ms: the A2A SDK client's message/stream until the first contribution
//   artifact, when a peer answers at once (the peer's client answers on question:received); the
//   baseline is the same ask + watch over the control socket until that contribution arrives.
// Run alone: node_modules/.bin/node scripts/bench/agents.ts (prints JSON).

import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { figure, median, percentile, round, type Figure } from './figure.ts'

const ASKS = Number(process.env.BENCH_MCP_ASKS ?? 150)
const WARMUP = 20
const A2A_ROUNDS = Number(process.env.BENCH_A2A_ROUNDS ?? 20)
const MCP_RATIO_TARGET = 1.5
const A2A_RATIO_TARGET = 1.5
/** A pause before each timed a2a round and each baseline round (ms). */
const SETTLE_MS = Number(process.env.BENCH_A2A_SETTLE_MS ?? 100)

export async function benchAgents (): Promise<Figure[]> {
  const { startDaemons, stopAll, cleanupHomes } = await import('../../test/helpers/daemons.ts')
  const { mcpSession } = await import('../../test/helpers/mcp.ts')
  const { a2aClient, a2aToken, a2aUrl, userMessage } = await import('../../test/helpers/a2a.ts')
  const { connect } = await import('../../src/index.ts')
  // The MCP rounds ask ~50 questions back to back, and each opens a channel whose envelopes ride
  // the same scope topic: far over b's default per-sender limit (20/s, burst 60), so b would
  // refuse them and soon graylist a (docs/floods.md). This bench measures latency, not limits.
  const open = { rateLimit: { perSender: { ratePerSec: 1e6, burst: 1e6 }, perScope: { ratePerSec: 1e6, burst: 1e6 } } }
  const daemons = await startDaemons([{ config: { ...open, a2a: { listen: ':0', waitSec: 30 } } }, { config: open }], 'full')
  const [a, b] = daemons
  const out: Figure[] = []
  const sa = await connect({ home: a.home })
  const sb = await connect({ home: b.home })
  const mcp = await mcpSession(a)
  try {
    // ---- mcp-ask-rtt-ms, interleaved with its baseline so both see the same machine
    const viaMcp: number[] = []
    const viaSocket: number[] = []
    for (let i = 0; i < ASKS + WARMUP; i++) {
      let t = performance.now()
      const r: any = await mcp.client.callTool({ name: 'swarm_ask', arguments: { text: `bench mcp ${i}`, ttl: 60 } })
      const m = performance.now() - t
      if (typeof r.structuredContent?.id !== 'string') throw new Error(`swarm_ask failed: ${JSON.stringify(r)}`)
      t = performance.now()
      await sa.ask({ text: `bench socket ${i}`, ttlSec: 60 })
      const s = performance.now() - t
      if (i >= WARMUP) { viaMcp.push(m); viaSocket.push(s) }
    }
    const mcpP50 = median(viaMcp)
    const sockP50 = median(viaSocket)
    out.push(figure('mcp-ask-rtt-ms', mcpP50, 'ms', { max: round(sockP50 * MCP_RATIO_TARGET) }, { baseline: sockP50, ratio: mcpP50 / sockP50 }))
    out.push(figure('mcp-ask-rtt-p99-ms', percentile(viaMcp, 99), 'ms', {}, { baseline: percentile(viaSocket, 99) }))

    // ---- a2a-first-update-ms: b answers every question it hears at once
    const heard = sb.events({ types: ['question:received'] })
    const answering = (async () => {
      for await (const e of heard) {
        // events carry no question text (what leaves a node): b answers every question it hears
        // from here on, and only the a2a rounds ask any
        if (e.type !== 'question:received' || typeof e.id !== 'string') continue
        sb.answer({ id: e.id, text: 'at once', kind: 'fact', confidence: 0.9 }).catch(() => {})
      }
    })().catch(() => {})
    const client = await a2aClient(await a2aUrl(a), await a2aToken(a))
    const viaA2A: number[] = []
    const viaWatch: number[] = []
    const settle = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, SETTLE_MS)) }
    for (let i = 0; i < A2A_ROUNDS + 2; i++) {
      // each timed round starts on a quiet daemon: the last one's tail (its close and summary, or
      // the answered question's gossip) is not charged to the next
      await settle()
      let t = performance.now()
      let first = NaN
      for await (const e of client.sendMessageStream(userMessage(`bench first ${i}`, { swarmd: { contributions: 1, wait: 20, ttl: 60 } }))) {
        if (e.payload?.$case === 'artifactUpdate' && Number.isNaN(first)) first = performance.now() - t
      }
      await settle()
      t = performance.now()
      const { id } = await sa.ask({ text: `bench first raw ${i}`, ttlSec: 60 })
      let raw = NaN
      for await (const e of sa.watch(id, { timeoutSec: 20, replay: false })) {
        if (e.type === 'contribution') { raw = performance.now() - t; break }
      }
      if (i >= 2) { viaA2A.push(first); viaWatch.push(raw) }
    }
    const a2aP50 = median(viaA2A)
    const rawP50 = median(viaWatch)
    out.push(figure('a2a-first-update-ms', a2aP50, 'ms', { max: round(rawP50 * A2A_RATIO_TARGET) }, { baseline: rawP50, ratio: a2aP50 / rawP50 }))
    heard.cancel()
    await answering
  } finally {
    await mcp.close()
    sa.disconnect()
    sb.disconnect()
    await stopAll(daemons)
    await cleanupHomes()
  }
  return out
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchAgents(), null, 2))
  process.exit(0)
}
