// Issue 16 item 5: one channel over random connected topologies (line, star, ring, random with
// degree 2–3) of up to 8 in-process nodes, asker, answerers and a watcher placed at random, and a
// member stopped and restarted (same home and key) mid-channel. Each case asserts that every
// member ends with the same set of envelopes (no silent gap), and that a watcher that went away
// and resumed from its cursor received exactly what it missed, once.

import { afterAll, describe, expect, it } from 'vitest'
import { connect, startBusNode, stopBusNodes, until, type BusNode } from '../../helpers/bus-nodes.ts'
import { mulberry32, neighbours, topology, type TopologyKind } from '../../helpers/topologies.ts'
import type { ChannelEvent } from '../../../src/bus/index.ts'

const TOPIC = 'swarm/1/fed/fed:it/questions'

const entryIds = (n: BusNode, qid: string): string[] => (n.bus.ctx.book.channels.get(qid)?.entries ?? []).map((e) => e.id)
const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && new Set([...a, ...b]).size === a.length

/** Waits until every node has each neighbour in its gossipsub mesh for the questions topic. */
async function meshed (nodes: Array<BusNode | undefined>, nb: number[][]): Promise<void> {
  await until(() => nodes.every((n, i) => n === undefined || nb[i].every((j) => nodes[j] === undefined || (n.libp2p.services.pubsub as unknown as { getMeshPeers: (t: string) => string[] }).getMeshPeers(TOPIC).includes(nodes[j]!.libp2p.peerId.toString()))), { what: 'meshes formed' })
}

const cases: Array<{ kind: TopologyKind, n: number, seed: number, roles?: [number, number, number, number] }> = [
  { kind: 'line', n: 5, seed: 11 },
  // the restarted member is the middle of the line: what was said on one side while it was away reaches the other through it
  { kind: 'line', n: 5, seed: 15, roles: [0, 4, 2, 1] },
  { kind: 'star', n: 6, seed: 12 },
  { kind: 'ring', n: 7, seed: 13 },
  { kind: 'random', n: 8, seed: 14 }
]

describe('one channel, any topology', () => {
  afterAll(async () => { await stopBusNodes() })

  for (const { kind, n, seed, roles } of cases) {
    it(`${kind} of ${n}${roles === undefined ? '' : ` (roles ${roles.join(' ')})`}: every member ends with the same envelopes; a restarted member catches up; a resumed watcher gets exactly what it missed`, async () => {
      const rand = mulberry32(seed)
      const edges = topology(kind, n, rand)
      const nb = neighbours(n, edges)
      const nodes: Array<BusNode & { seed: Uint8Array } | undefined> = await Promise.all(Array.from({ length: n }, async () => await startBusNode()))
      for (const [a, b] of edges) await connect(nodes[a]!, nodes[b]!)
      await meshed(nodes, nb)

      // roles at random: asker, two answerers (the second is stopped and restarted), a watcher
      const pick = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5)
      const [ai, r1, r2, wi] = roles ?? pick
      const asker = nodes[ai]!
      const { id: qid } = await asker.bus.ask({ text: `where is the ${kind} relay?`, ttlSec: 600 })
      await until(async () => { for (const x of nodes) if (!(await x!.bus.list()).some((q) => q.id === qid)) return false; return true }, { what: 'every node has the question' })

      // the watcher follows live, then goes away
      const watcher = nodes[wi]!
      await watcher.bus.join(qid, 'watcher')
      const firstSession: string[] = []
      const away = new AbortController()
      const watching = watcher.bus.watch(qid, (e: ChannelEvent) => { if (e.id !== undefined) firstSession.push(e.id) }, { signal: away.signal }).catch(() => {})

      const c1 = await nodes[r1]!.bus.contribute(qid, { kind: 'fact', text: 'first answer', confidence: 0.8 })
      const c2 = await nodes[r2]!.bus.contribute(qid, { kind: 'hypothesis', text: 'second answer', confidence: 0.4 })
      for (const i of [ai, wi]) await until(() => entryIds(nodes[i]!, qid).includes(c1.id) && entryIds(nodes[i]!, qid).includes(c2.id), { what: `node ${i} holds both answers` })
      away.abort()
      await watching
      const cursor = firstSession[firstSession.length - 1]

      // the second answerer stops mid-channel; meanwhile the first answers again
      const down = nodes[r2]!
      const { home, seed: key } = down
      await down.stop()
      nodes[r2] = undefined
      const c3 = await nodes[r1]!.bus.contribute(qid, { kind: 'recommendation', text: 'while r2 was away', confidence: 0.6 })

      // it comes back with the same home and key, reconnects to its neighbours, and answers again
      const back = await startBusNode({ home, seed: key })
      nodes[r2] = back
      for (const j of nb[r2]) await connect(back, nodes[j]!)
      await until(() => entryIds(back, qid).includes(c3.id), { what: 'the restarted member gets what was said while it was away', timeoutMs: 30_000 })
      const c4 = await back.bus.contribute(qid, { kind: 'fact', text: 'after the restart', confidence: 0.7 })

      // every member ends with the same set of envelopes
      const members = (): BusNode[] => nodes.filter((x): x is BusNode & { seed: Uint8Array } => x !== undefined && x.bus.ctx.book.records.get(qid)?.joined === true)
      expect(members().map((m) => nodes.indexOf(m as any)).sort()).toEqual([...new Set([ai, r1, r2, wi])].sort())
      await until(() => {
        const ref = entryIds(asker, qid)
        return ref.includes(c4.id) && members().every((m) => sameSet(entryIds(m, qid), ref))
      }, { what: 'every member holds the same envelopes', timeoutMs: 30_000 }).catch((err) => {
        const union = [...new Set(members().flatMap((m) => entryIds(m, qid)))]
        const lacks = members().map((m) => ({ node: nodes.indexOf(m as any), lacks: union.filter((id) => !entryIds(m, qid).includes(id)).map((id) => `${id} from ${nodes.findIndex((x) => x?.identity.nodeId === members().flatMap((mm) => mm.bus.ctx.book.channels.get(qid)?.entries ?? []).find((e) => e.id === id)?.envelope.sender['node/id'])}`) }))
        throw new Error(`${(err as Error).message}: edges ${JSON.stringify(edges)} asker ${ai} r1 ${r1} r2 ${r2} watcher ${wi}; ${JSON.stringify(lacks)}`)
      })
      for (const c of [c1, c2, c3, c4]) expect(entryIds(asker, qid)).toContain(c.id)

      // the watcher resumes from its cursor: exactly what it missed, nothing twice
      const resumed: string[] = []
      const stop = new AbortController()
      const w2 = watcher.bus.watch(qid, (e: ChannelEvent) => { if (e.id !== undefined) resumed.push(e.id) }, { signal: stop.signal, since: cursor }).catch(() => {})
      const all = entryIds(watcher, qid)
      await until(() => firstSession.length + resumed.length >= all.length, { what: 'the resumed watch replays what was missed' })
      stop.abort()
      await w2
      if (!sameSet([...firstSession, ...resumed], all)) console.log(JSON.stringify({ firstSession, resumed, all, cursor }, null, 1))
      expect(resumed.filter((id) => firstSession.includes(id))).toEqual([])
      expect(sameSet([...firstSession, ...resumed], all)).toBe(true)
      expect(resumed).toContain(c3.id)
      expect(resumed).toContain(c4.id)

      for (const x of nodes) await x?.stop()
    }, 120_000)
  }
})
