// Garbage on every protocol a daemon speaks. A stranger with its own key connects, reads from
// identify which protocols the daemon registered (whatever they are: a protocol added later is
// covered without touching this file), and sends each one what no honest node would: bytes that
// are no frame, a length prefix claiming a gigabyte, a varint that never ends, frames of JSON
// that is not the expected shape (null, arrays, prototype-polluting names, nesting a hundred
// thousand deep, invalid UTF-8, a 1 MiB string), random frames, a stream reset mid-frame and one
// opened and abandoned; then random bytes and JSON on every gossip topic the daemon subscribes
// to, each topic from a stranger of its own. The daemon's rate limits and graylist are opened
// (they are tested in flood.test.ts and stream-pace.test.ts): here every byte must reach a parser.
// After all of it the daemon runs, answers its control socket, has logged no uncaught exception
// or unhandled rejection, and in the same run an honest question and answer still flow.

import { afterAll, describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { alive, cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FED = 'fed:wire-garbage'
const enc = new TextEncoder()
const open = { ratePerSec: 1e6, burst: 1e6 }
const config = { rateLimit: { perSender: open, perScope: open, graylist: { threshold: -1e9, disconnectAfterSec: 3600, banSec: 0 } } }

/** What each protocol gets, as raw bytes on a fresh stream (no framing added). */
function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}
const frame = (body: Uint8Array | string): Uint8Array => {
  const b = typeof body === 'string' ? enc.encode(body) : body
  const out = new Uint8Array(varint(b.length).length + b.length)
  out.set(varint(b.length))
  out.set(b, varint(b.length).length)
  return out
}
const join2 = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

const FIXED: Array<[string, Uint8Array]> = [
  ['no frame at all', enc.encode('GET / HTTP/1.1\r\n\r\n')],
  ['a length prefix claiming 1 GiB', join2(varint(2 ** 30), enc.encode('{"cid":'))],
  ['a varint that never ends', new Uint8Array(16).fill(0xff)],
  ['an empty frame', frame('')],
  ['null', frame('null')],
  ['an array', frame('[1,2,3]')],
  ['a string', frame('"x"')],
  ['an empty object', frame('{}')],
  ['prototype-polluting names', frame('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"id":{"toString":1}}')],
  ['nesting 100,000 deep', frame('['.repeat(100_000) + ']'.repeat(100_000))],
  ['invalid UTF-8', frame(Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d))],
  ['a number out of range', frame('{"from":1e400,"count":-0,"cid":"' + 'z'.repeat(4000) + '"}')],
  ['a 1 MiB string', frame(JSON.stringify({ type: 'swarm/question', id: 'x'.repeat(1 << 20) }))],
  ['two frames, the second cut short', join2(frame('{"a":1}'), varint(500), enc.encode('{"b":'))]
]

/** Writes `bytes` on a fresh stream of `protocol`, reads whatever comes back for a moment, then ends the stream (`reset`: aborts it instead). */
async function poke (h: HostilePeer, addr: string, protocol: string, bytes: Uint8Array, how: 'close' | 'reset' | 'abandon' = 'close'): Promise<void> {
  let stream: Stream
  try {
    stream = await h.node.dialProtocol(multiaddr(addr), protocol, { signal: AbortSignal.timeout(5000) })
  } catch {
    return // refused: also an answer
  }
  try {
    if (bytes.length > 0) stream.send(bytes)
    if (how === 'reset') { stream.abort(new Error('hostile reset')); return }
    if (how === 'abandon') return // left open: the daemon's own timeouts must end it
    const lp = lpStream(stream, { maxDataLength: 8 << 20 })
    await lp.read({ signal: AbortSignal.timeout(500) }).catch(() => {})
    await stream.close({ signal: AbortSignal.timeout(800) }).catch(() => {})
  } catch {}
  stream.abort(new Error('done'))
}

describe('adversarial: garbage on every protocol and topic a daemon speaks', () => {
  let daemons: TestDaemon[] = []
  let hostile: HostilePeer | undefined
  const strangers: HostilePeer[] = []
  afterAll(async () => {
    await hostile?.stop().catch(() => {})
    for (const s of strangers) await s.stop().catch(() => {})
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('the daemon survives all of it, logs no uncaught error, and honest questions and answers still flow', async () => {
    daemons = await startDaemons([{ federation: FED, config }, { federation: FED, config }], 'full')
    const [target, honest] = daemons
    hostile = await startHostilePeer({ federation: FED })
    const h = hostile
    await h.dial(target.tcpAddr)
    const protocols = await eventually(async () => {
      const p = (await h.node.peerStore.get(peerIdFromString(target.peerId))).protocols
      return p.some((x) => x.startsWith('/swarm/')) ? p : undefined
    }, { what: 'identify told the stranger the daemon\'s protocols' })
    // the daemon's own protocols are all there (a renamed one would otherwise go untested)
    for (const p of ['/swarm/deliver/1.0.0', '/swarm/history/2.0.0', '/swarm/blob/1.0.0', '/swarm/open/1.0.0']) expect(protocols).toContain(p)

    // every protocol at once, each one's cases in turn
    await Promise.all(protocols.map(async (protocol) => {
      for (const [, bytes] of FIXED) await poke(h, target.tcpAddr, protocol, bytes)
      await poke(h, target.tcpAddr, protocol, frame('{"cid":"bafy'), 'reset')
      await poke(h, target.tcpAddr, protocol, new Uint8Array(0), 'abandon')
      await fc.assert(fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.jsonValue({ maxDepth: 4 }).map((v) => frame(JSON.stringify(v) ?? 'null')),
          fc.uint8Array({ maxLength: 512 }).map(frame)
        ),
        async (bytes) => { await poke(h, target.tcpAddr, protocol, bytes) }
      ), { numRuns: 6 })
    }))

    // gossip: every topic the daemon subscribes to gets bytes and JSON that are no envelope, each
    // topic from a stranger of its own: past ~20 bad messages the flood gate refuses a peer's
    // gossip unjudged (floods.md), and here each message must reach the topic's validator
    const pubsub = h.node.services.pubsub as unknown as { topics: Map<string, Set<string>> }
    await h.ready(target.peerId)
    const topics = await eventually(() => {
      const t = [...pubsub.topics].filter(([, peers]) => peers.has(target.peerId)).map(([topic]) => topic)
      return t.length >= 4 ? t : undefined
    }, { what: 'the stranger learnt the daemon\'s topics' })
    const judged = async (): Promise<number> => {
      const e = (await target.json(['stats'])).envelopes
      return Object.values({ ...e.rejected, ...e.ignored } as Record<string, number>).reduce((a, b) => a + b, 0)
    }
    const before = await judged()
    const junk = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 1024 }), fc.jsonValue({ maxDepth: 4 }).map((v) => enc.encode(JSON.stringify(v) ?? 'null'))), 5)
    const perTopic = [...FIXED.map(([, b]) => b), ...junk]
    await Promise.all(topics.map(async (topic) => {
      const s = await startHostilePeer({ federation: FED })
      strangers.push(s)
      s.subscribe(topic)
      await s.dial(target.tcpAddr)
      await s.ready(target.peerId)
      expect(s.sendManyTo(target.peerId, topic, perTopic)).toBe(true)
    }))
    await eventually(async () => await judged() - before >= topics.length * (perTopic.length - 2), { what: 'the junk was judged on every topic' })

    // still running, still answering, nothing thrown past a handler
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(alive(target.pid)).toBe(true)
    const stats = await target.json(['stats'])
    expect(stats.peers.connected).toBeGreaterThanOrEqual(1)
    const log = await readFile(join(target.home, 'daemon.log'), 'utf8')
    expect(log).not.toMatch(/uncaught exception|unhandled rejection/)

    // honest traffic in the same run: a question from the honest daemon reaches the target, and
    // the target's answer reaches the asker
    const asked = await honest.json(['ask', 'Which port does the relay listen on?', '--ttl', '300'])
    await eventually(async () => (await target.cli(['show', asked.id, '--json'])).code === 0, { what: 'the question reached the target' })
    await target.json(['answer', asked.id, '4001 unless config.json says otherwise'])
    await eventually(async () => (await honest.json(['show', asked.id])).contributions?.length >= 1, { what: 'the answer reached the asker' })
  })
})
