// The fallback both the daemon's router and the page install: a topic without a validator of its
// own is refused (never taken as valid, cached and forwarded, as gossipsub would), routed topics
// keep theirs, and the undo restores the plain lookup.
import { describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { refuseUnroutedTopics } from '../../../src/net/unrouted-topics.ts'

describe('unrouted topics', () => {
  it('refuses what no validator routes, keeps the routed ones, and undoes', async () => {
    const own = async (): Promise<string> => 'accept'
    const pubsub = { topicValidators: new Map<string, unknown>([['swarm/1/global/questions', own]]) }
    const from = peerIdFromString('12D3KooWBw4gJ8G3vccQxf9MEaS3RNx6j3dZx9auv7pLzAJ9VJxF')
    const refusedBy: string[] = []
    const undo = refuseUnroutedTopics(pubsub, (p) => { refusedBy.push(p.toString()); return 'ignore' })
    expect(pubsub.topicValidators.get('swarm/1/global/questions')).toBe(own)
    const fallback = pubsub.topicValidators.get('swarm/1/channel/q1') as (p: typeof from) => Promise<string>
    expect(typeof fallback).toBe('function')
    expect(await fallback(from)).toBe('ignore')
    expect(refusedBy).toEqual([from.toString()])
    expect(pubsub.topicValidators.has('swarm/1/channel/q1')).toBe(false) // nothing added to the map
    undo()
    expect(pubsub.topicValidators.get('swarm/1/channel/q1')).toBeUndefined()
  })
})
