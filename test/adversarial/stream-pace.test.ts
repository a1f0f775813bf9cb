// Direct streams without collateral damage. Every node admits at most `rateLimit.perSender`
// inbound streams a second of its gated protocols from one peer (default 20/s, burst 60), in a
// bucket apart from that peer's gossip, and refuses the rest with `rate-limited`. Before: an
// honest node that fetched many attachments from one holder at once (or rejoined many channels
// and pulled their histories) outran that bucket, and the holder refused the excess. Now a node
// paces its own gated streams to each peer below that rate (src/net/stream-pace.ts). A stranger
// dialling the protocol directly, unpaced, is still refused. Daemons here run the default limits.
import { afterAll, describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ControlClient } from '../../src/control/client.ts'
import { PROTOCOL_BLOB } from '../../src/blobs/constants.ts'
import { DEFAULT_PER_SENDER } from '../../src/net/own-pace.ts'
import { cleanupHomes, startDaemons, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FILES = 80

describe('adversarial: a peer\'s direct streams have a rate of their own, which an honest node keeps to', () => {
  let daemons: TestDaemon[] = []
  let hostile: HostilePeer | undefined
  const clients: ControlClient[] = []
  afterAll(async () => {
    for (const c of clients) c.close()
    await hostile?.stop().catch(() => {})
    await stopAll(daemons)
    await cleanupHomes()
  })

  const connect = async (d: TestDaemon): Promise<ControlClient> => {
    const c = await ControlClient.connect(join(d.home, 'swarm.sock'), d.home, AbortSignal.timeout(10_000))
    clients.push(c)
    return c
  }
  const blobRefusals = async (d: TestDaemon): Promise<number> => (await d.json(['stats'])).admission.streamsRefused[`${PROTOCOL_BLOB} rate-limited`] ?? 0

  it('a stranger\'s unpaced burst of streams is refused past its rate; an honest node fetching 80 attachments at once from one holder is refused none', async () => {
    daemons = await startDaemons([{}, {}], 'full')
    const [holder, fetcher] = daemons
    const dir = await tempHome('swarm-stream-pace-')
    const atHolder = await connect(holder)
    const cids: string[] = []
    for (let i = 0; i < FILES; i++) {
      const path = join(dir, `f${i}.txt`)
      await writeFile(path, `attachment ${i}\n`)
      cids.push((await atHolder.call('blob.put', { path }) as { cid: string }).cid)
    }

    // the stranger asks the holder for chunks in quick waves of 30, each on its own stream (libp2p
    // itself takes at most 32 streams of one protocol per connection), until the holder refuses.
    // On a loaded machine four waves can take the 3 s the bucket needs to refill 120 streams, and
    // then none is refused, rightly: so the waves go on (at most 12), and what the holder admitted
    // in that time is held to the bucket's own bound
    hostile = await startHostilePeer()
    await hostile.connect(holder.tcpAddr)
    const answers: Array<string | undefined> = []
    const refused = (a: string | undefined): boolean => a !== undefined && JSON.parse(a).status === 'refused' && JSON.parse(a).reason === 'rate-limited'
    const started = performance.now()
    for (let wave = 0; wave < 12 && !answers.some(refused); wave++) {
      answers.push(...await Promise.all(Array.from({ length: 30 }, async (_, i) =>
        (await hostile!.exchange(holder.tcpAddr, PROTOCOL_BLOB, [JSON.stringify({ cid: cids[(wave * 30 + i) % FILES], from: 0, count: 1 })]))[0])))
    }
    const elapsedSec = (performance.now() - started) / 1000
    const refusedStranger = answers.filter(refused).length
    expect(refusedStranger).toBeGreaterThan(0)
    const admitted = answers.filter((a) => a !== undefined && !refused(a)).length
    expect(admitted).toBeLessThanOrEqual(DEFAULT_PER_SENDER.burst + DEFAULT_PER_SENDER.ratePerSec * elapsedSec)
    const before = await blobRefusals(holder)
    // under load the holder may reset a refused stream before the stranger reads its answer: a
    // stream with no answer may be one more refusal, never fewer
    const unanswered = answers.filter((a) => a === undefined).length
    expect(before).toBeGreaterThanOrEqual(refusedStranger)
    expect(before).toBeLessThanOrEqual(refusedStranger + unanswered)

    // honest traffic in the same run: 80 fetches at once from the same holder all land, none refused
    const atFetcher = await connect(fetcher)
    const got = await Promise.all(cids.map(async (cid) => await atFetcher.call('blob.get', { cid, from: [holder.peerId] }, { timeoutMs: 60_000 }) as { cid: string, size: number }))
    expect(got.map((g) => g.cid)).toEqual(cids)
    expect(await blobRefusals(holder)).toBe(before)
    const paced = (await fetcher.json(['stats'])).limits.streamPace
    expect(paced.sent).toBeGreaterThanOrEqual(FILES)
    expect(paced.delayed).toBeGreaterThan(0)
  })
})
