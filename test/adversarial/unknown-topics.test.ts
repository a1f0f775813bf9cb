// Topics nobody here subscribes to, against a stranger (docs/protocol.md, "Topic validator"):
// channels ride their question's scope topics, so the old per-question `swarm/1/channel/<id>`
// topics are nobody's. A peer with its own key pushes well-signed contributions of a live
// question on that question's old channel topic, while a floodsub peer (which gossipsub forwards
// any topic it subscribes to, mesh or not) listens on the same topic. The node refuses every one
// as `unknown-topic`, counts it, keeps none and forwards none; in the same run the floodsub
// peer gets the question on its real topic and honest contributions arrive.

import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { buildContribution } from '../../src/envelope/index.ts'
import { topics } from '../../src/constants.ts'
import { connect, startBusNode, stopBusNodes, until } from '../helpers/bus-nodes.ts'
import { startHostilePeer } from './hostile-peer.ts'

const FED = 'fed:it'
const FLOODSUB = '/floodsub/1.0.0'

/** A listener that speaks floodsub only: gossipsub sends it whatever topic it subscribes to. */
async function floodsubListener () {
  const node = await createLibp2p({
    start: false,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', emitSelf: false }) }
  })
  const pubsub = node.services.pubsub as GossipSub & { protocols: string[] }
  // gossipsub registers its protocols at start: this one answers and dials as floodsub alone
  pubsub.protocols = [FLOODSUB]
  await node.start()
  const got = new Map<string, string[]>()
  pubsub.addEventListener('message', (evt) => {
    got.set(evt.detail.topic, [...got.get(evt.detail.topic) ?? [], new TextDecoder().decode(evt.detail.data)])
  })
  return { node, pubsub, got }
}

describe('adversarial: a topic nobody subscribes to', () => {
  afterAll(async () => { await stopBusNodes() })

  it('is refused as unknown-topic, counted and not relayed; honest traffic flows', async () => {
    const asker = await startBusNode({ federation: FED })
    const member = await startBusNode({ federation: FED })
    await connect(member, asker)
    const askerId = asker.libp2p.peerId.toString()
    const hostile = await startHostilePeer({ federation: FED })
    onTestFinished(async () => { await hostile.stop() })
    const listener = await floodsubListener()
    onTestFinished(async () => { await listener.node.stop() })
    const listenerId = listener.node.peerId.toString()
    const questionTopic = topics.questions(FED)
    listener.pubsub.subscribe(questionTopic)
    await listener.node.dial(asker.libp2p.getMultiaddrs()[0])
    await hostile.dial(asker.libp2p.getMultiaddrs()[0].toString())
    await hostile.ready(askerId)
    const subscribed = (topic: string): boolean => asker.libp2p.services.pubsub.getSubscribers(topic).some((p) => p.toString() === listenerId)
    await until(() => subscribed(questionTopic), { what: 'the asker sees the floodsub listener on the questions topic' })

    const { id: qid } = await asker.bus.ask({ text: 'Which port does the relay use?', ttlSec: 300 })
    // honest traffic reaches the floodsub listener: the node does forward what it routes
    await until(() => listener.got.get(questionTopic)?.some((m) => m.includes(qid)), { what: 'the listener gets the question on its topic' })
    await until(async () => (await member.bus.list()).some((x) => x.id === qid), { what: 'the member gets the question' })
    const first = await member.bus.contribute(qid, { kind: 'fact', text: '4001', confidence: 0.9 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === first.id), { what: 'the honest answer arrives' })

    // the question's old per-question topic: the listener waits there, the stranger pushes there
    const channelTopic = `swarm/1/channel/${qid}`
    listener.pubsub.subscribe(channelTopic)
    await until(() => subscribed(channelTopic), { what: 'the asker sees the listener on the channel topic' })
    const forged = Array.from({ length: 20 }, (_, i) => buildContribution(hostile.signer, { questionId: qid, kind: 'fact', text: `port ${i}`, confidence: 0.9 }))
    expect(hostile.sendManyTo(askerId, channelTopic, forged.map((e) => JSON.stringify(e)))).toBe(true)
    await until(() => (asker.counters.get('envelopes.ignored', 'unknown-topic') ?? 0) >= forged.length, { what: 'every copy refused as unknown-topic' })

    // honest traffic still flows; by the time it has arrived, a forwarded copy would have too
    const second = await member.bus.contribute(qid, { kind: 'recommendation', text: 'use 443 behind a proxy', confidence: 0.6 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === second.id), { what: 'a later honest answer arrives' })
    const kept = (await asker.bus.show(qid) as any).contributions.map((c: any) => c.id)
    for (const e of forged) expect(kept).not.toContain(e.id)
    expect(listener.got.get(channelTopic) ?? []).toEqual([])
  })
})
