// `bus-ingest-us`: CPU per contribution ingested by the bus's pure core alone (the question book
// and channel: authority, exclusions, presence; no signature check, no store, no network).
// Envelopes are signed beforehand; the figure is process CPU time over the ingest loop.
// Run alone: node_modules/.bin/node scripts/bench/bus-core.ts (prints JSON).

import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { buildContribution, buildPresence, buildQuestion, createSigner } from '../../src/envelope/index.ts'
import { QuestionBook } from '../../src/bus/core/index.ts'
import { figure, median, type Figure } from './figure.ts'

const N = Number(process.env.BENCH_BUS_INGEST ?? 5000)
const ROUNDS = 5

export function benchBusCore (): Figure[] {
  const asker = createSigner(randomBytes(32), 'fed:bench')
  const senders = Array.from({ length: 20 }, () => createSigner(randomBytes(32), 'fed:bench'))
  const perRound: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const q = buildQuestion(asker, { text: 'bench question', ttlSec: 3600 })
    const join = buildPresence(asker, { questionId: q.id, event: 'join', role: 'asker' })
    const contributions = Array.from({ length: N }, (_, i) => buildContribution(senders[i % senders.length], { questionId: q.id, kind: 'fact', text: `fact ${i}`, confidence: 0.5 }))
    const book = new QuestionBook({ self: asker.nodeId, skewMs: 30_000, heartbeatSec: 10, profile: { models: [], languages: [] }, volunteer: false })
    const now = Date.now()
    book.load({ id: q.id, envelope: q, wire: '', role: 'asker', eligible: true, joined: true, receivedAt: now }, [], now)
    book.ingest({ envelope: join, wire: '' }, { kind: 'self' }, now)
    const t0 = process.cpuUsage()
    for (const c of contributions) book.ingest({ envelope: c, wire: '' }, { kind: 'gossip' }, now)
    const cpu = process.cpuUsage(t0)
    perRound.push((cpu.user + cpu.system) / N)
    if (book.channels.get(q.id)?.contributions().length !== N) throw new Error('the core lost contributions')
  }
  return [figure('bus-ingest-us', median(perRound), 'µs/contribution', {})]
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(benchBusCore(), null, 2))
}
