import { describe, expect, it } from 'vitest'
import { Admission, senderOfValue } from '../../../src/federation/admission.ts'
import { HOST_PEERS } from '../../../src/net/host-key.ts'

const FED = 'fed:acme'
const members = new Set(['node:m'])
const env = (nodeId: string, fed = FED, type = 'swarm/question', id = 'question:01JNY6M2X6Y8M1G5R4Z3K7Q2P9') => ({ envelope: { type, id, sender: { 'node/id': nodeId, 'federation/id': fed, pubkey: 'ed25519:00' } } })

function admission (closed = true, perSender = { ratePerSec: 1000, burst: 1000 }) {
  let t = 0
  const a = new Admission({
    membership: { federation: FED, closed: () => closed, whyNot: (id) => members.has(id) ? undefined : 'no-certificate' },
    rateLimit: { perSender, perScope: { ratePerSec: 1000, burst: 1000 } },
    now: () => t
  })
  return { a, tick: (ms: number) => { t += ms } }
}

describe('admission', () => {
  it('finds the sender of envelopes, wrapped envelopes and directory entries', () => {
    expect(senderOfValue(env('node:x'))).toEqual({ nodeId: 'node:x', federation: FED })
    expect(senderOfValue(env('node:x').envelope)).toEqual({ nodeId: 'node:x', federation: FED })
    expect(senderOfValue({ nodeId: 'node:y', federation: 'fed:b', peerId: 'p' })).toEqual({ nodeId: 'node:y', federation: 'fed:b' })
    expect(senderOfValue(new Uint8Array(3))).toBeUndefined()
  })

  it('closed: own topics need members; others\' global questions pass; impostors of our federation do not', () => {
    const { a } = admission()
    expect(a.judgeTopic(`swarm/1/fed/${FED}/questions`, env('node:m'))).toEqual({ ok: true })
    expect(a.judgeTopic(`swarm/1/fed/${FED}/questions`, env('node:x'))).toMatchObject({ ok: false, action: 'reject', reason: 'not-member' })
    expect(a.judgeTopic(`swarm/1/fed/${FED}/capabilities`, { nodeId: 'node:x', federation: 'fed:other' })).toMatchObject({ reason: 'not-member' })
    expect(a.judgeTopic('swarm/1/global/questions', env('node:x', 'fed:other'))).toEqual({ ok: true })
    expect(a.judgeTopic('swarm/1/global/questions', env('node:x', FED))).toMatchObject({ reason: 'not-member' })
    // certificates travel from anyone
    expect(a.judgeTopic(`swarm/1/fed/${FED}/membership`, env('root:did:key:z', FED, 'swarm/membership-certificate'))).toEqual({ ok: true })
    expect(a.judgeStream('/swarm/task/1.0.0', 'node:x')).toMatchObject({ reason: 'not-member' })
    expect(a.judgeStream('/swarm/task/1.0.0', 'node:m')).toEqual({ ok: true })
  })

  it('closed: a federation-local question\'s channel rides the federation\'s topic, members only whatever federation a sender claims', () => {
    const { a } = admission()
    const contribution = (nodeId: string) => env(nodeId, 'fed:other', 'swarm/contribution', 'contribution:01JNY6M2X6Y8M1G5R4Z3K7Q2P9')
    expect(a.judgeTopic(`swarm/1/fed/${FED}/questions`, contribution('node:x'))).toMatchObject({ ok: false, action: 'reject', reason: 'not-member' })
    expect(a.judgeTopic(`swarm/1/fed/${FED}/questions`, contribution('node:m'))).toEqual({ ok: true })
  })

  it('open: nobody is refused for membership; rate limits still apply per sender', () => {
    const { a, tick } = admission(false, { ratePerSec: 1, burst: 2 })
    const topic = `swarm/1/fed/${FED}/questions`
    expect(a.judgeTopic(topic, env('node:x'))).toEqual({ ok: true })
    expect(a.judgeTopic(topic, env('node:x'))).toEqual({ ok: true })
    expect(a.judgeTopic(topic, env('node:x'))).toMatchObject({ ok: false, action: 'ignore', reason: 'rate-limited' })
    expect(a.judgeTopic(topic, env('node:y'))).toEqual({ ok: true })
    tick(1000)
    expect(a.judgeTopic(topic, env('node:x'))).toEqual({ ok: true })
    expect(a.stats()).toMatchObject({ refused: { 'rate-limited': 1, 'not-member': 0 } })
  })

  it('one host\'s identities share one stream bucket of HOST_PEERS peers\' worth; another host and a host-less peer keep theirs', () => {
    const { a, tick } = admission(false, { ratePerSec: 1, burst: 2 })
    const host = 'ip4/203.0.113.4'
    // each fresh identity has a full bucket of its own; the host's runs dry after HOST_PEERS × burst
    const verdicts = Array.from({ length: HOST_PEERS * 2 + 3 }, (_, i) => a.judgeStream('/swarm/history/1.0.0', `node:sybil${i}`, undefined, host))
    expect(verdicts.filter((v) => v.ok).length).toBe(HOST_PEERS * 2)
    expect(verdicts.at(-1)).toMatchObject({ ok: false, action: 'ignore', reason: 'rate-limited', detail: `host ${host} over its stream rate` })
    expect(a.judgeStream('/swarm/history/1.0.0', 'node:honest', undefined, 'ip4/203.0.113.3')).toEqual({ ok: true })
    expect(a.judgeStream('/swarm/history/1.0.0', 'node:local')).toEqual({ ok: true })
    tick(1000)
    expect(a.judgeStream('/swarm/history/1.0.0', 'node:sybil99', undefined, host)).toEqual({ ok: true })
  })

  it('a peer\'s streams and its messages draw on separate buckets of the same rate', () => {
    const { a, tick } = admission(false, { ratePerSec: 1, burst: 2 })
    const topic = `swarm/1/fed/${FED}/questions`
    // a burst of history pulls leaves the peer's gossip untouched…
    expect(a.judgeStream('/swarm/history/1.0.0', 'node:x')).toEqual({ ok: true })
    expect(a.judgeStream('/swarm/history/1.0.0', 'node:x')).toEqual({ ok: true })
    expect(a.judgeStream('/swarm/history/1.0.0', 'node:x')).toMatchObject({ ok: false, action: 'ignore', reason: 'rate-limited', retryAfterMs: 1000 })
    expect(a.judgeTopic(topic, env('node:x'))).toEqual({ ok: true })
    expect(a.judgeTopic(topic, env('node:x'))).toEqual({ ok: true })
    // …and a flood of messages leaves its streams at their own rate, no more
    expect(a.judgeTopic(topic, env('node:x'))).toMatchObject({ reason: 'rate-limited' })
    expect(a.judgeStream('/swarm/task/1.0.0', 'node:x')).toMatchObject({ reason: 'rate-limited' })
    tick(1000)
    expect(a.judgeStream('/swarm/task/1.0.0', 'node:x')).toEqual({ ok: true })
    expect(a.judgeStream('/swarm/task/1.0.0', 'node:x')).toMatchObject({ reason: 'rate-limited' })
  })
})
