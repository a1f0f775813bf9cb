// A holder that refuses a stream for load (its stream gate's `rate-limited`, with the wait it
// names in `retryAfterMs`) has not failed: the fetch asks a holder not yet asked, else the same
// one again after that wait. A hostile holder naming an endless wait does not hold a fetch up
// while another holder has the file; a refusal for anything else drops the holder at once.

import { randomBytes } from 'node:crypto'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawCid, sha256 } from '../../../src/blobs/cid.ts'
import { PROTOCOL_BLOB } from '../../../src/blobs/constants.ts'
import { pullVerified } from '../../../src/blobs/pull.ts'

const data = randomBytes(1000)
const cid = rawCid(data)
const encoder = new TextEncoder()
const nodes: Libp2p[] = []

const node = async (): Promise<Libp2p> => {
  const n = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  nodes.push(n)
  return n
}

/** Refuses the first `refusals` streams with `refusal`, serves `data` after; counts the streams. */
async function holder (refusals: number, refusal: Record<string, unknown>): Promise<{ node: Libp2p, streams: () => number }> {
  const n = await node()
  let streams = 0
  await n.handle(PROTOCOL_BLOB, async (stream: Stream) => {
    const lp = lpStream(stream)
    await lp.read()
    if (++streams <= refusals) {
      await lp.write(encoder.encode(JSON.stringify({ status: 'refused', ...refusal })))
    } else {
      await lp.write(encoder.encode(JSON.stringify({ status: 'ok', size: data.length, chunks: 1 })))
      await lp.write(data)
    }
    await stream.close()
  })
  return { node: n, streams: () => streams }
}

let fetcher: Libp2p
beforeAll(async () => { fetcher = await node() })
afterAll(async () => { await Promise.all(nodes.map(async (n) => { await n.stop() })) })

const pull = async (holders: Libp2p[]): Promise<Buffer> => {
  const got: Uint8Array[] = []
  for (const h of holders) await fetcher.dial(h.getMultiaddrs()[0])
  await pullVerified(cid, { libp2p: fetcher, hash: sha256, maxBytes: 1 << 20, holders: holders.map((h) => h.peerId), signal: AbortSignal.timeout(20_000), append: async (p) => { got.push(...p) } })
  return Buffer.concat(got)
}

describe('a holder refusing for load', () => {
  it('is asked again after the wait it names, and serves', async () => {
    const h = await holder(2, { reason: 'rate-limited', retryAfterMs: 50 })
    expect(await pull([h.node])).toEqual(data)
    expect(h.streams()).toBe(3)
  })

  it('naming an endless wait, is passed over for a holder not yet asked', async () => {
    const hostile = await holder(1000, { reason: 'rate-limited', retryAfterMs: 1e12 })
    const honest = await holder(0, {})
    expect(await pull([hostile.node, honest.node])).toEqual(data)
    expect(hostile.streams()).toBe(1)
    expect(honest.streams()).toBe(1)
  })

  it('refusing for anything else is dropped at once', async () => {
    const stranger = await holder(1000, { reason: 'not-member' })
    const honest = await holder(0, {})
    expect(await pull([stranger.node, honest.node])).toEqual(data)
    expect(stranger.streams()).toBe(1)
    await expect(pull([stranger.node])).rejects.toMatchObject({ code: 'not-found' })
    expect(stranger.streams()).toBe(2)
  })
})
