// The channel log's chain against a stranger (docs/channel-log.md): a peer with its own key,
// speaking gossipsub directly, floods a channel with well-signed contributions whose `previous`
// names ids that do not exist. The members ask for each missing id a bounded number of times and
// then give it up — fetching stops. In the same run an honest gap (an envelope one member holds
// and the asker does not, named by a later one) is filled from that member, and honest
// contributions still arrive.

import { afterAll, describe, expect, it } from 'vitest'
import { PROTOCOL_DELIVERY } from '../../src/constants.ts'
import { buildContribution, createSigner, newId, type EnvelopeBase } from '../../src/envelope/index.ts'
import { createSwarmNode } from '../../src/net/node.ts'
import { decodeJson, request } from '../../src/net/rpc.ts'
import { identityFromSeed, newSeed } from '../../src/identity/index.ts'
import { GAP_BOUNDS } from '../../src/bus/core/index.ts'
import { connect, startBusNode, stopBusNodes, until } from '../helpers/bus-nodes.ts'

describe('adversarial: a previous list naming ids that do not exist', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const c of cleanups) await c().catch(() => {})
    await stopBusNodes()
  })

  it('causes a bounded number of fetch rounds, then none; a real gap is filled and honest traffic flows', async () => {
    const asker = await startBusNode()
    const honest = await startBusNode()
    await connect(honest, asker)
    const seed = newSeed()
    const mallorySigner = createSigner(seed, 'fed:it')
    const mallory = await createSwarmNode({ privateKey: (await identityFromSeed(seed, 'fed:it')).privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
    await mallory.start()
    cleanups.push(async () => { await mallory.stop() })
    await connect({ libp2p: mallory }, asker)
    await connect({ libp2p: mallory }, honest)

    const { id: qid } = await asker.bus.ask({ text: 'Which port does the relay use?', ttlSec: 300 })
    await until(async () => (await honest.bus.list()).some((x) => x.id === qid), { what: 'the honest node gets the question' })
    const first = await honest.bus.contribute(qid, { kind: 'fact', text: '4001', confidence: 0.9 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === first.id), { what: 'the honest answer arrives' })

    const topic = 'swarm/1/fed/fed:it/questions'
    mallory.services.pubsub.subscribe(topic)
    await until(() => mallory.services.pubsub.getSubscribers(topic).some((p) => p.equals(asker.libp2p.peerId)), { what: 'the stranger sees the asker on the question topic' })
    const encode = (e: EnvelopeBase): Uint8Array => new TextEncoder().encode(JSON.stringify(e))

    // the flood: every envelope names MAX_PREVIOUS fresh ids nobody holds
    const FLOOD = 24
    for (let i = 0; i < FLOOD; i++) {
      const ghosts = Array.from({ length: 8 }, () => newId('contribution'))
      const e = buildContribution(mallorySigner, { questionId: qid, kind: 'hypothesis', text: `ghost ${i}`, confidence: 0.1 }, { previous: ghosts })
      await mallory.services.pubsub.publish(topic, encode(e)).catch(() => {})
    }
    await until(() => (asker.counters.get('bus.gaps', 'found') ?? 0) > 0, { what: 'the asker notices the named ids it lacks' })
    // every gap is given up after its attempts; then no more rounds happen
    await until(() => asker.bus.gapState(qid).missing === 0 && honest.bus.gapState(qid).missing === 0, { what: 'all ghost ids given up', timeoutMs: 60_000 })
    const rounds = asker.counters.get('bus.gaps', 'rounds') ?? 0
    const found = asker.counters.get('bus.gaps', 'found') ?? 0
    expect(found).toBeLessThanOrEqual(FLOOD * 8)
    // a round asks for every tracked id at once; each id gets maxAttempts rounds: at most
    // maxAttempts rounds for each hostile envelope that named new ids (far fewer in practice)
    expect(rounds).toBeLessThanOrEqual((FLOOD + 1) * GAP_BOUNDS.maxAttempts)
    console.log(`ghost ids tracked ${found}, fetch rounds ${rounds}`)
    expect(asker.bus.gapState(qid).givenUp).toBeGreaterThan(0)
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(asker.counters.get('bus.gaps', 'rounds') ?? 0).toBe(rounds)

    // an honest gap: P reaches the honest member only (a direct push), Q names it and travels by gossip
    const p = buildContribution(mallorySigner, { questionId: qid, kind: 'fact', text: 'only the honest member saw this', confidence: 0.5 })
    const verdict = decodeJson(await request(mallory, honest.libp2p.peerId, PROTOCOL_DELIVERY, encode(p), { timeoutMs: 10_000 })) as { ok: boolean }
    expect(verdict.ok).toBe(true)
    expect((await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === p.id)).toBe(false)
    const q = buildContribution(mallorySigner, { questionId: qid, kind: 'fact', text: 'after it', confidence: 0.5 }, { previous: [p.id] })
    await mallory.services.pubsub.publish(topic, encode(q)).catch(() => {})
    await until(async () => {
      const ids = (await asker.bus.show(qid) as any).contributions.map((c: any) => c.id)
      return ids.includes(p.id) && ids.includes(q.id)
    }, { what: 'the asker fetches the missing parent from the honest member' })

    // honest traffic still flows
    const second = await honest.bus.contribute(qid, { kind: 'recommendation', text: 'use 443 behind a proxy', confidence: 0.6 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === second.id), { what: 'a later honest answer arrives' })
    const closed = await asker.bus.close(qid, { accept: [first.id] })
    expect(closed.state).toBe('resolved')
    await until(async () => (await honest.bus.show(qid) as any).state === 'resolved', { what: 'the honest member sees the close' })
  })
})
