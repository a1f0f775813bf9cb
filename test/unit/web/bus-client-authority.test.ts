// The page judges a channel exactly as a daemon does: the same envelopes, fed to the page's
// BusClient (through its own gossipsub validator) and to the daemon's core Channel, give the same
// verdicts — a stranger's back-dated claim refused, its fresh claim and its close
// `not-authorized`, the asker still acting, honest contributions kept.

import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { buildClose, buildContribution, buildSecretaryClaim, createSigner, nobleEd25519, type EnvelopeBase } from '../../../src/envelope/index.ts'
import { Channel } from '../../../src/bus/core/index.ts'
import { BusClient } from '../../../src/web/bus-client.ts'

/** Just enough of a libp2p node for the page's bus: topic validators and publishes, no network. */
function stubNode () {
  const validators = new Map<string, (peer: unknown, msg: { data: Uint8Array }) => Promise<unknown>>()
  const topics = new Set<string>()
  return {
    validators,
    node: {
      services: {
        pubsub: {
          topicValidators: validators,
          subscribe: (t: string) => { topics.add(t) },
          getTopics: () => [...topics],
          getSubscribers: () => [],
          publish: async () => ({ recipients: [] }),
          addEventListener: () => {},
          removeEventListener: () => {}
        }
      },
      handle: async () => {},
      unhandle: async () => {},
      getConnections: () => []
    }
  }
}

describe('page and daemon judge a channel alike', () => {
  it('a stranger cannot act for the page\'s question; the daemon core says the same', async () => {
    const key = await generateKeyPair('Ed25519')
    const { node, validators } = stubNode()
    const page = new BusClient({ node: node as any, privateKey: key, federation: 'fed:it', questionTopics: ['swarm/1/fed/fed:it/questions'], heartbeatSec: 10, clockSkewSec: 30, ed25519: nobleEd25519 })
    await page.start()
    const q = await page.ask('Who keeps the minutes?', { ttl: 300 })
    const view = page.questions.get(q.id)!
    const stranger = createSigner(randomBytes(32), 'fed:it')
    const honest = createSigner(randomBytes(32), 'fed:it')
    const envelopes: EnvelopeBase[] = [
      buildContribution(honest, { questionId: q.id, kind: 'fact', text: 'the secretary of the day', confidence: 0.8 }),
      buildSecretaryClaim(stranger, { questionId: q.id, mode: 'takeover', askerNodeId: page.nodeId }, { createdAt: '2000-01-01T00:00:00.000Z' }),
      buildSecretaryClaim(stranger, { questionId: q.id, mode: 'takeover', askerNodeId: page.nodeId }),
      buildClose(stranger, { questionId: q.id, resolution: 'withdrawn', note: 'hijacked' })
    ]
    // channel envelopes ride the question's scope topic
    const validate = validators.get('swarm/1/fed/fed:it/questions')
    expect(validate).toBeDefined()
    for (const e of envelopes) await validate!(undefined, { data: new TextEncoder().encode(JSON.stringify(e)) })

    // the daemon's core, as the asker's node, fed the same envelopes with the asker's join
    const daemon = new Channel(q, { self: page.nodeId, since: Date.now() - 60_000, heartbeatSec: 10, skewMs: 30_000 })
    for (const item of view.items.filter((i) => i.envelope.sender['node/id'] === page.nodeId)) daemon.admit(item.envelope, '', { now: item.at, skewMs: 30_000 })
    for (const e of envelopes) daemon.admit(e, '', { now: Date.now(), skewMs: 30_000 })

    const verdicts = (ch: Channel): Record<string, string> => Object.fromEntries(envelopes.map((e) => [e.id, ch.has(e.id) ? ch.get(e.id)?.excluded ?? 'ok' : 'refused']))
    expect(verdicts(view.channel)).toEqual(verdicts(daemon))
    expect(verdicts(daemon)).toEqual({ [envelopes[0].id]: 'ok', [envelopes[1].id]: 'refused', [envelopes[2].id]: 'not-authorized', [envelopes[3].id]: 'not-authorized' })
    expect(page.state(view)).toBe('answered')
    expect(view.channel.acting).toBe(page.nodeId)
    expect(page.contributions(q.id).map((c) => c.id)).toEqual([envelopes[0].id])
    await page.stop()
  })
})
