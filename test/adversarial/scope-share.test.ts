// A stream protocol's budget is shared fairly among peers (src/federation/fair-scope.ts). Every
// node caps the inbound streams of one protocol it takes from all peers together
// (`rateLimit.perScope`). Before, that cap was first come, first served: a handful of strangers,
// each with a key of its own and each within its own per-peer rate, drained a holder's
// attachment streams between them, and an honest node's fetch in the same second was refused
// `rate-limited`. Now the bottom half of the budget is kept for peers under their share: the
// strangers are refused there, the honest fetches land (those over the honest node's own share
// are refused for load too, and asked again after a pause: src/blobs/pull.ts). The holder runs small limits so that a
// few peers in one test process drain it however slow the machine is.
import { afterAll, describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ControlClient } from '../../src/control/client.ts'
import { PROTOCOL_BLOB } from '../../src/blobs/constants.ts'
import { cleanupHomes, startDaemons, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const STRANGERS = 6
const FILES = 5
const holderLimits = { rateLimit: { perSender: { ratePerSec: 10, burst: 20 }, perScope: { ratePerSec: 20, burst: 40 } } }

describe('adversarial: strangers with keys of their own cannot drain a scope\'s budget between them', () => {
  let daemons: TestDaemon[] = []
  const hostiles: HostilePeer[] = []
  const clients: ControlClient[] = []
  afterAll(async () => {
    for (const c of clients) c.close()
    await Promise.all(hostiles.map(async (h) => { await h.stop().catch(() => {}) }))
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('six strangers at their own full rate drain the holder\'s attachment streams only to the reserve; the honest fetches alongside each wave land', async () => {
    daemons = await startDaemons([{ config: holderLimits }, {}], 'full')
    const [holder, fetcher] = daemons
    const atHolder = await ControlClient.connect(join(holder.home, 'swarm.sock'), holder.home, AbortSignal.timeout(10_000))
    const atFetcher = await ControlClient.connect(join(fetcher.home, 'swarm.sock'), fetcher.home, AbortSignal.timeout(10_000))
    clients.push(atHolder, atFetcher)
    const dir = await tempHome('swarm-scope-share-')
    const cids: string[] = []
    for (let i = 0; i < FILES + 1; i++) {
      const path = join(dir, `f${i}.txt`)
      await writeFile(path, `attachment ${i}\n`)
      cids.push((await atHolder.call('blob.put', { path }) as { cid: string }).cid)
    }
    // honest traffic first, to know it works at all here
    expect((await atFetcher.call('blob.get', { cid: cids[FILES], from: [holder.peerId] }) as { cid: string }).cid).toBe(cids[FILES])

    for (let i = 0; i < STRANGERS; i++) {
      const h = await startHostilePeer()
      hostiles.push(h)
      await h.connect(holder.tcpAddr)
    }
    const ask = async (h: HostilePeer, n: number): Promise<Array<string | undefined>> => await Promise.all(Array.from({ length: n }, async (_, i) =>
      (await h.exchange(holder.tcpAddr, PROTOCOL_BLOB, [JSON.stringify({ cid: cids[i % FILES], from: 0, count: 1 })]))[0]))
    // every stranger takes its whole per-peer burst (20) at once, 120 streams for a scope of 40,
    // then 10 more each. Alongside the first wave the honest node fetches four attachments at
    // once (its share of a scope drawn on by seven is a stream every 350 ms: the holder refuses
    // the ones over it for load, and the fetcher asks again after a pause); alongside the second,
    // one more
    const fetch = async (cid: string): Promise<{ cid: string }> => await atFetcher.call('blob.get', { cid, from: [holder.peerId] }, { timeoutMs: 30_000 }) as { cid: string }
    const beside = async (n: number, cidsNow: string[]): Promise<[Array<string | undefined>, Array<{ cid: string }>]> => {
      const [answers, fetched] = await Promise.all([
        Promise.all(hostiles.map(async (h) => await ask(h, n))),
        (async () => { await new Promise((resolve) => setTimeout(resolve, 50)); return await Promise.all(cidsNow.map(fetch)) })()
      ])
      return [answers.flat(), fetched]
    }
    const [first, gotFirst] = await beside(20, cids.slice(0, FILES - 1))
    const [second, gotSecond] = await beside(10, [cids[FILES - 1]])
    expect([...gotFirst, ...gotSecond].map((g) => g.cid)).toEqual(cids.slice(0, FILES))
    const waves = [first, second]
    const answers = waves.flat()
    const refused = answers.filter((a) => a !== undefined && JSON.parse(a).status === 'refused').length
    // at least a quarter of the 180, however slowly the waves go out (the budget refills meanwhile)
    expect(refused).toBeGreaterThan(STRANGERS * 30 / 4)
    const stats = await holder.json(['stats'])
    expect(stats.admission.overShare).toBeGreaterThan(0)
    expect(stats.admission.streamsRefused[`${PROTOCOL_BLOB} rate-limited`]).toBeGreaterThan(0)
  })
})
