// The topic router's subscriptions are reference-counted by holder: the bus leaving a channel
// must not cut off the web relay that still carries it for browser peers (issue 24).

import { describe, expect, it } from 'vitest'
import { TopicRouter } from '../../../src/net/topics.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'

function fakePubsub () {
  const topics = new Set<string>()
  return {
    topicValidators: new Map<string, unknown>(),
    subscribe: (t: string) => { topics.add(t) },
    unsubscribe: (t: string) => { topics.delete(t) },
    getTopics: () => [...topics],
    getSubscribers: () => [],
    addEventListener: () => {},
    removeEventListener: () => {}
  }
}

describe('TopicRouter holders', () => {
  it('stays subscribed until the last holder lets go', () => {
    const pubsub = fakePubsub()
    const router = new TopicRouter(pubsub as any, new Counters(), silentLogger)
    router.routePrefix('swarm/1/channel/', { validate: () => ({ action: 'accept', value: null }), deliver: () => {} })
    const t = 'swarm/1/channel/question:01J00000000000000000000000'
    router.subscribe(t, 'bus')
    router.subscribe(t, 'web')
    router.subscribe(t, 'web')
    expect(router.holders(t).sort()).toEqual(['bus', 'web'])
    router.unsubscribe(t, 'bus')
    expect(router.subscribed(t)).toBe(true)
    expect(pubsub.topicValidators.has(t)).toBe(true)
    router.unsubscribe(t, 'web')
    expect(router.subscribed(t)).toBe(false)
    expect(pubsub.topicValidators.has(t)).toBe(false)
    // callers that name no holder share one, as before
    router.subscribe(t)
    router.unsubscribe(t)
    expect(router.subscribed(t)).toBe(false)
  })
})
