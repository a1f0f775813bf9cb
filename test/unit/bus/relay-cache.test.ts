// The relay's memory of channel envelopes it passed (bounded, by id and by cursor), and the
// scope topics a channel rides (the core rule the daemon and the page share).

import { describe, expect, it } from 'vitest'
import { RelayCache } from '../../../src/bus/relay-cache.ts'
import { channelTopics } from '../../../src/bus/core/index.ts'

describe('relay cache', () => {
  it('keeps at most N per channel and M channels, oldest dropped first; serves by id and by cursor', () => {
    const c = new RelayCache(3, 2)
    for (let i = 0; i < 5; i++) c.add('q1', `e${i}`, `w${i}`)
    expect(c.byIds('q1', ['e0', 'e1', 'e2', 'e3', 'e4'])).toEqual(['w2', 'w3', 'w4'])
    expect(c.pageAfterId('q1', undefined, 2)).toEqual({ envelopes: ['w2', 'w3'], next: 'e3' })
    expect(c.pageAfterId('q1', 'e3', 2)).toEqual({ envelopes: ['w4'], next: null })
    // an unknown cursor starts over, as the store does
    expect(c.pageAfterId('q1', 'nope', 10).envelopes).toEqual(['w2', 'w3', 'w4'])
    c.add('q2', 'a', 'wa')
    c.add('q3', 'b', 'wb')
    expect(c.byIds('q1', ['e4'])).toEqual([])
    expect(c.byIds('q3', ['b'])).toEqual(['wb'])
    c.add('q3', 'b', 'wb')
    expect(c.pageAfterId('q3', undefined, 10).envelopes).toEqual(['wb'])
  })

  it('holds at most its character budget, whatever the counts allow: the oldest envelopes of the oldest channel go first', () => {
    const c = new RelayCache(512, 256, 100)
    c.add('q1', 'a', 'x'.repeat(40))
    c.add('q1', 'b', 'y'.repeat(40))
    c.add('q2', 'c', 'z'.repeat(40))
    expect(c.size).toBe(80)
    expect(c.byIds('q1', ['a', 'b'])).toEqual(['y'.repeat(40)])
    c.add('q2', 'd', 'w'.repeat(40))
    expect(c.size).toBe(80)
    expect(c.byIds('q1', ['a', 'b'])).toEqual([])
    expect(c.byIds('q2', ['c', 'd'])).toHaveLength(2)
    // one envelope larger than the whole budget is not kept; forgetting a channel returns its share
    c.add('q3', 'e', 'v'.repeat(101))
    expect(c.byIds('q3', ['e'])).toEqual([])
    c.forget('q2')
    expect(c.size).toBe(0)
    // a stranger's flood of large envelopes over many channels stays inside the budget
    const big = new RelayCache()
    for (let i = 0; i < 2000; i++) big.add(`q${i % 300}`, `e${i}`, 'j'.repeat(64 * 1024))
    expect(big.size).toBeLessThanOrEqual(16 * 1024 * 1024)
  })
})

describe('channel topics', () => {
  const q = (scope: string, federation = 'fed:a') => ({ sender: { 'federation/id': federation }, delivery: { scope } })
  it('are the topics of the question scope', () => {
    expect(channelTopics(q('federation-local'), { federation: 'fed:b' })).toEqual(['swarm/1/fed/fed:a/questions'])
    expect(channelTopics(q('global'), { federation: 'fed:b' })).toEqual(['swarm/1/global/questions'])
    expect(channelTopics(q('private'), { federation: 'fed:b' })).toEqual(['swarm/1/private'])
    expect(channelTopics(q('private-to-swarm'), { federation: 'fed:b' })).toEqual(['swarm/1/private'])
    expect(channelTopics(q('cross-federation'), { federation: 'fed:b', federations: ['fed:c'] }, ['fed:d'])).toEqual(
      ['swarm/1/fed/fed:a/questions', 'swarm/1/fed/fed:d/questions', 'swarm/1/fed/fed:b/questions', 'swarm/1/fed/fed:c/questions'])
  })
})
