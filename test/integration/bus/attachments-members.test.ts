// Members of a channel fetch what its envelopes name (issue 22): not only a question's
// attachments but a contribution's and a summary's too. Three in-process buses, each with the
// real attachment service (store, /swarm/blob/1.0.0, fetcher) on its libp2p node.

import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { BlobService, describe as describeBlob } from '../../../src/blobs/service.ts'
import { buildSummary } from '../../../src/envelope/index.ts'
import { connect, startBusNode, stopBusNodes, until, type BusNode } from '../../helpers/bus-nodes.ts'

const services: BlobService[] = []

async function withBlobs (n: BusNode): Promise<BlobService> {
  const log = { child: () => log, debug () {}, info () {}, warn () {}, error () {} } as any
  const s = new BlobService({ paths: { home: n.home } as any, config: n.config, libp2p: n.libp2p, control: { register: () => {} }, events: n.events, counters: n.counters, log })
  await s.start()
  services.push(s)
  return s
}

afterAll(async () => {
  for (const s of services) await s.stop().catch(() => {})
  await stopBusNodes()
})

it('members fetch the attachments a contribution and a summary name', async () => {
  const [a, b, c] = await Promise.all([startBusNode(), startBusNode(), startBusNode()])
  const [blobsA, blobsB, blobsC] = await Promise.all([a, b, c].map(withBlobs))
  await connect(b, a)
  await connect(c, a)
  await connect(c, b)
  const { id } = await a.bus.ask({ text: 'Which log lines show the failure?', ttlSec: 300 })
  await until(async () => (await b.bus.list()).some((x) => x.id === id) && (await c.bus.list()).some((x) => x.id === id), { what: 'b and c get the question' })
  // c follows the channel without answering: a member all the same
  await c.bus.join(id, 'watcher')

  // b answers with a log excerpt attached: the asker and the other member fetch it
  const logFile = join(b.home, 'excerpt.log')
  await writeFile(logFile, randomBytes(300 * 1024 + 7))
  const excerpt = describeBlob(await blobsB.store.importFile(logFile), 'excerpt.log')
  await b.bus.contribute(id, { kind: 'fact', text: 'see the excerpt', confidence: 0.8, attachments: [excerpt] })
  await until(() => blobsA.store.has(excerpt.cid) && blobsC.store.has(excerpt.cid), { what: 'a and c fetch the contribution\'s attachment', timeoutMs: 30_000 })

  // a summarizes with a synthesis attached: both members fetch it
  const synthFile = join(a.home, 'synthesis.md')
  await writeFile(synthFile, `# synthesis\n${'line of the long synthesis\n'.repeat(20_000)}`)
  const synthesis = describeBlob(await blobsA.store.importFile(synthFile), 'synthesis.md')
  const summary = buildSummary(a.identity, { questionId: id, status: 'intermediate', facts: [], hypotheses: [], recommendations: [], uncertainty: 0.5, contributors: [], excluded: [], attachments: [synthesis] })
  await a.bus.publishSummary(id, summary)
  await until(() => blobsB.store.has(synthesis.cid) && blobsC.store.has(synthesis.cid), { what: 'b and c fetch the summary\'s attachment', timeoutMs: 30_000 })
  const bytes = (s: BlobService, cid: string): number => s.store.list().find((x) => x.cid === cid)?.size ?? -1
  expect(bytes(blobsC, synthesis.cid)).toBe(synthesis.size)
  expect(bytes(blobsA, excerpt.cid)).toBe(excerpt.size)
})
