// Per-sender limits without collateral damage. Every node admits at most `rateLimit.perSender`
// messages a second from one sender (default 20/s, burst 60) and counts a directly connected
// peer's over-rate messages against that peer. Before: an honest node that asked in a burst
// (`swarm ask --batch`) outran its neighbours' buckets, its questions were dropped and it was
// charged towards the graylist; and a relay that forwarded another node's burst was charged for
// it. Now a node paces its own publications below its peers' per-sender rate, and only the
// sender is ever charged for its excess. Daemons here run the default limits.
import { afterAll, describe, expect, it } from 'vitest'
import { buildQuestion } from '../../src/envelope/index.ts'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FED = 'fed:sender-pace'
const TOPIC = `swarm/1/fed/${FED}/questions`

describe('adversarial: per-sender limits charge only the sender', () => {
  let daemons: TestDaemon[] = []
  let hostile: HostilePeer | undefined
  afterAll(async () => {
    await hostile?.stop().catch(() => {})
    await stopAll(daemons)
    await cleanupHomes()
  })

  const charged = async (d: TestDaemon): Promise<number> => (await d.json(['stats'])).admission.flood.charged
  const chargedPeers = async (d: TestDaemon): Promise<string[]> => (await d.json(['stats'])).admission.flood.recentlyCharged
  /** The honest daemons `d` charged (the stranger may be charged for what it sent directly). */
  const chargedDaemons = async (d: TestDaemon): Promise<string[]> => (await chargedPeers(d)).filter((p) => daemons.some((x) => x.peerId === p))
  const refused = async (d: TestDaemon): Promise<number> => (await d.json(['stats'])).envelopes.rejected['rate-limited'] ?? 0
  const questionIds = async (d: TestDaemon): Promise<Set<string>> => new Set((await d.json(['questions', '--all'])).map((q: any) => q.id))

  it('an honest node asking 60 questions at once is paced: every question arrives and nobody refuses or charges it', async () => {
    // a chain r1 - b - r2: r1 and r2 meet only through b
    daemons = await startDaemons([{ federation: FED }, { federation: FED }, { federation: FED }], 'chain')
    const [r1, b, r2] = daemons
    await eventually(async () => (await b.json(['stats'])).peers.connected === 2, { what: 'the chain linked' })

    const input = Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: `batch question ${i}`, scope: 'federation-local' })).join('\n') + '\n'
    const r = await r1.cli(['ask', '--batch', '--json'], { input })
    expect(r.code).toBe(0)
    const ids = r.lines.map((l) => l.id as string)
    expect(ids.filter((id) => typeof id === 'string')).toHaveLength(60)
    // each question and its asker's presence: 120 messages, over the 60 a neighbour takes at once
    expect((await r1.json(['stats'])).limits.ownPace.delayed).toBeGreaterThan(0)
    for (const d of [b, r2]) {
      await eventually(async () => { const have = await questionIds(d); return ids.every((id) => have.has(id)) }, { what: 'every batch question everywhere', timeoutMs: 30_000 })
    }
    for (const d of daemons) {
      expect(await refused(d)).toBe(0)
      expect(await charged(d)).toBe(0)
    }
  })

  it('a stranger\'s burst split over two relays: the relays are never charged for it, the stranger is refused, honest questions flow', async () => {
    const [r1, b, r2] = daemons
    const h = hostile = await startHostilePeer({ federation: FED })
    h.subscribe(TOPIC)
    for (const d of [r1, r2]) { await h.dial(d.tcpAddr); await h.ready(d.peerId) }
    await new Promise((resolve) => setTimeout(resolve, 1500)) // grafted on the next heartbeat

    // 60 valid questions of the stranger's own key to each relay at once: each relay takes its
    // 60 (its burst), and b and the far relay then get the other 60 from a relay, over the
    // stranger's rate
    const burst = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify(buildQuestion(h.signer, { text: `burst ${n} ${i} ${Math.random()}`, scope: 'federation-local' })))
    expect(h.sendManyTo(r1.peerId, TOPIC, burst(60))).toBe(true)
    expect(h.sendManyTo(r2.peerId, TOPIC, burst(60))).toBe(true)
    // the burst reached past its relays and was refused there: each relayed copy counted
    await eventually(async () => (await refused(b)) + (await refused(r1)) + (await refused(r2)) >= 40 ? true : undefined, { what: 'the stranger\'s excess refused downstream', timeoutMs: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 500))
    // no relay was charged for it anywhere (the stranger itself may be, where some of its direct
    // copies arrived after the relayed ones had emptied that node's bucket for it)
    for (const d of daemons) expect(await chargedDaemons(d), `daemons charged at ${daemons.indexOf(d)}`).toEqual([])

    // a stranger sending many times its rate directly is charged for it: 600 more to r1
    expect(h.sendManyTo(r1.peerId, TOPIC, burst(600))).toBe(true)
    await eventually(async () => (await chargedPeers(r1)).includes(h.peerId) ? true : undefined, { what: 'the stranger charged by the relay it flooded', timeoutMs: 10_000 })

    // and honest questions still cross the chain both ways
    const one = await r1.json(['ask', 'Honest question after the burst', '--scope', 'federation-local'])
    const two = await r2.json(['ask', 'And one the other way', '--scope', 'federation-local'])
    await eventually(async () => (await questionIds(r2)).has(one.id), { what: 'r1 → r2', timeoutMs: 15_000 })
    await eventually(async () => (await questionIds(r1)).has(two.id), { what: 'r2 → r1', timeoutMs: 15_000 })
    // the relays between them were never charged
    for (const d of daemons) expect(await chargedDaemons(d), `daemons charged at ${daemons.indexOf(d)}`).toEqual([])
  })
})
