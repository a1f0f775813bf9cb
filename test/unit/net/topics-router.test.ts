// The topic router judges every topic gossipsub hands it: a routed topic by its route, any other
// (a stranger's, or the retired per-question `swarm/1/channel/…` topics) is refused as
// `unknown-topic` and counted, so gossipsub neither caches nor forwards it.

import { describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { TopicRouter } from '../../../src/net/topics.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'

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
})
