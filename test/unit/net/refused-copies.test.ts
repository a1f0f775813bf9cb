// Against the real gossipsub, over a real TCP connection on 127.0.0.1: a copy refused before its
// validator judged it is forgotten, so a later copy of the same message (the same bytes, or a
// whitespace variant with the same content id) is judged and delivered. Without forgetting, the
// later copy is a duplicate and the message is lost at the receiver. This also fails the suite if
// a gossipsub upgrade renames the caches src/net/refused-copies.ts reaches into.
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { RefusedCopies } from '../../../src/net/refused-copies.ts'
import { contentMsgId, fastMsgId } from '../../../src/net/node.ts'
import { eventually } from '../../helpers/daemons.ts'

const TOPIC = 'swarm/1/fed/fed:test/questions'
type Node = Libp2p<{ pubsub: GossipSub, identify: unknown }>

async function node (refused?: RefusedCopies): Promise<Node> {
  const id = (msg: { topic: string, data: Uint8Array }): Uint8Array => contentMsgId(msg.topic, msg.data)
  const n = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        msgIdFn: refused === undefined ? id : refused.msgIdFn(id),
        fastMsgIdFn: (msg) => fastMsgId(msg.topic, msg.data ?? new Uint8Array())
      })
    }
  }) as unknown as Node
  if (refused !== undefined) expect(refused.attach(n.services.pubsub)).toBe(true)
  return n
}

describe('refused copies (real gossipsub)', () => {
  const nodes: Node[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() })) })

  /** A receiver whose validator refuses the first copy unjudged (as the flood gate does), and a sender of raw copies. */
  const pair = async (forget: boolean): Promise<{ send: (text: string) => void, judged: string[], delivered: string[] }> => {
    const refused = new RefusedCopies(fastMsgId)
    const receiver = await node(refused)
    const sender = await node()
    nodes.push(receiver, sender)
    const judged: string[] = []
    const delivered: string[] = []
    // the first copy of each of these is refused unjudged
    const refuseOnce = new Set(['{"a":1}', '{"b":2}'])
    receiver.services.pubsub.topicValidators.set(TOPIC, async (_from, msg) => {
      const text = new TextDecoder().decode(msg.data)
      judged.push(text)
      if (refuseOnce.delete(text)) {
        if (forget) refused.forget(TOPIC, msg.data)
        return 'ignore' as any
      }
      return 'accept' as any
    })
    receiver.services.pubsub.subscribe(TOPIC)
    receiver.services.pubsub.addEventListener('gossipsub:message', (e) => { delivered.push(new TextDecoder().decode(e.detail.msg.data)) })
    await sender.dial(receiver.getMultiaddrs()[0])
    const ps = sender.services.pubsub as unknown as { sendRpc: (id: string, rpc: unknown) => boolean, streamsOutbound: Map<string, unknown> }
    const to = receiver.peerId.toString()
    await eventually(async () => ps.streamsOutbound.has(to), { what: 'a gossipsub stream to the receiver' })
    const send = (text: string): void => { expect(ps.sendRpc(to, { subscriptions: [], messages: [{ topic: TOPIC, data: new TextEncoder().encode(text) }] })).toBe(true) }
    return { send, judged, delivered }
  }

  it('forgotten: the same bytes again, or a whitespace variant, are judged and delivered; once delivered, copies are duplicates', async () => {
    const { send, judged, delivered } = await pair(true)
    send('{"a":1}')
    await eventually(async () => judged.length === 1, { what: 'the first copy judged' })
    send('{"a":1}') // the same bytes: gossipsub's fast-id cache forgot them
    await eventually(async () => delivered.length === 1, { what: 'the second copy delivered' })
    send('{"b":2}')
    await eventually(async () => judged.length === 3, { what: 'the first copy of b judged' })
    send('{ "b": 2 }') // other bytes, the same content id: the seen cache forgot it
    await eventually(async () => delivered.length === 2, { what: 'the variant delivered' })
    send('{"b":2}')
    send('{"c":3}')
    await eventually(async () => delivered.length === 3, { what: 'the next message delivered' })
    expect(delivered).toEqual(['{"a":1}', '{ "b": 2 }', '{"c":3}'])
    expect(judged).toEqual(['{"a":1}', '{"a":1}', '{"b":2}', '{ "b": 2 }', '{"c":3}'])
  })

  it('not forgotten (gossipsub alone): the later copy is a duplicate and the message is lost', async () => {
    const { send, judged, delivered } = await pair(false)
    send('{"a":1}')
    await eventually(async () => judged.length === 1, { what: 'the first copy judged' })
    send('{ "a" : 1 }')
    send('{"c":3}')
    await eventually(async () => delivered.length === 1, { what: 'the next message delivered' })
    expect(delivered).toEqual(['{"c":3}'])
    expect(judged).toEqual(['{"a":1}', '{"c":3}'])
  })
})
