// The topic router judges every topic gossipsub hands it: a routed topic by its route, any other
// (a stranger's, or the retired per-question `swarm/1/channel/…` topics) is refused as
// `unknown-topic` and counted, so gossipsub neither caches nor forwards it.

import { describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { TopicRouter } from '../../../src/net/topics.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'
import { formatPubkey } from '../../../src/envelope/keys.ts'

const FROM = peerIdFromString('12D3KooWGRUVh2CPPAkoWkDqtp2Vsb6TKwgFNsGCLfKdGh4MLK5M')
const ROUTED = 'swarm/1/fed/fed:x/questions'
const CHANNEL = 'swarm/1/channel/question:01J00000000000000000000000'

function fakePubsub () {
  const topics = new Set<string>()
  return {
    topicValidators: new Map<string, (from: unknown, msg: { data: Uint8Array }) => Promise<string>>(),
    subscribe: (t: string) => { topics.add(t) },
    unsubscribe: (t: string) => { topics.delete(t) },
    getTopics: () => [...topics],
    getSubscribers: () => [],
    addEventListener: () => {},
    removeEventListener: () => {}
  }
}

describe('TopicRouter', () => {
  it('refuses and counts a topic with no route; a routed topic keeps its own validator', async () => {
    const pubsub = fakePubsub()
    const counters = new Counters()
    const router = new TopicRouter(pubsub as any, counters, silentLogger)
    router.route(ROUTED, { validate: () => ({ action: 'accept', value: null }), deliver: () => {} })
    router.start()
    router.subscribe(ROUTED)
    expect(() => { router.subscribe(CHANNEL) }).toThrow(/no route/)

    const msg = { data: new TextEncoder().encode('{}') }
    // what gossipsub does on receipt: one lookup of the topic's validator, then its verdict
    expect(await pubsub.topicValidators.get(CHANNEL)?.(FROM, msg)).toBe('ignore')
    expect(await pubsub.topicValidators.get('anything/else')?.(FROM, msg)).toBe('ignore')
    expect(counters.get('envelopes.ignored', 'unknown-topic')).toBe(2)
    expect(await pubsub.topicValidators.get(ROUTED)?.(FROM, msg)).toBe('accept')
    expect(counters.get('envelopes.accepted', 'swarm/1/fed')).toBe(1)
    // the fallback is a lookup only: the map itself holds the routed topic alone
    expect([...pubsub.topicValidators.keys()]).toEqual([ROUTED])

    // once unsubscribed, a late copy on the topic is refused like any unknown one
    router.unsubscribe(ROUTED)
    expect(await pubsub.topicValidators.get(ROUTED)?.(FROM, msg)).toBe('ignore')
    expect(counters.get('envelopes.ignored', 'unknown-topic')).toBe(3)

    router.stop()
    expect(pubsub.topicValidators.get(CHANNEL)).toBeUndefined()
  })

  it('charges a relay for another signer\'s per-sender excess only beyond what an honest relay could pass on', async () => {
    const pubsub = fakePubsub()
    const router = new TopicRouter(pubsub as any, new Counters(), silentLogger)
    const notes: Array<[string, string | undefined]> = []
    router.setTraffic({ admit: () => 0, note: (peer, _action, reason) => { notes.push([peer, reason]) } })
    // the admission refuses every message as its sender's excess
    router.setAdmission({ judgeTopic: (_t, v: any) => ({ ok: false, action: 'ignore', reason: 'rate-limited', sender: v.sender['node/id'] }) })
    router.setRelayBudget({ ratePerSec: 0.001, burst: 3 })
    let signer = 'ed25519:' + '11'.repeat(32)
    router.route(ROUTED, { validate: () => ({ action: 'accept', value: { sender: { 'node/id': 'node:other', pubkey: signer } } }), deliver: () => {} })
    router.start()
    router.subscribe(ROUTED)
    const judge = async (): Promise<unknown> => await pubsub.topicValidators.get(ROUTED)?.(FROM, { data: new Uint8Array(1) })
    for (let i = 0; i < 5; i++) expect(await judge()).toBe('ignore')
    // three within the relay's budget for that signer are the signer's; beyond, the relay's
    expect(notes.map(([, r]) => r)).toEqual(['sender-rate-limited', 'sender-rate-limited', 'sender-rate-limited', 'rate-limited', 'rate-limited'])
    // the peer's own key: always its own excess
    notes.length = 0
    signer = formatPubkey(FROM.publicKey!.raw)
    await judge()
    expect(notes.map(([, r]) => r)).toEqual(['rate-limited'])
    router.stop()
  })
})
