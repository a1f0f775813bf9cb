// The daemon logger (issue 24 item 5): event-loop time per log line of the asynchronous logger
// (pino into the queued, rotating daemon.log) against the synchronous append it replaced
// (JSON.stringify + appendFileSync per line), measured in the same run on the same disk.
// `log-line-us` is what a caller pays per line; the queued writes happen off that path.

import { appendFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { figure, median, round, type Figure } from './figure.ts'
import { createLogger } from '../../src/kernel/logger.ts'

const LINES = 20_000
const ROUNDS = 5
const fields = { id: 'question:01JD0000000000000000000000', type: 'swarm/contribution', from: 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', peers: 4 }

async function timed (fn: () => void): Promise<number> {
  const t = performance.now()
  fn()
  return (performance.now() - t) * 1000 / LINES
}

export async function benchLogger (): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'swarm-bench-log-'))
  try {
    const asyncUs: number[] = []
    const syncUs: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const log = createLogger({ level: 'info', file: join(dir, `async-${r}.log`), maxBytes: 64 * 1024 * 1024, files: 2 }).child('bench')
      asyncUs.push(await timed(() => { for (let i = 0; i < LINES; i++) log.info('contribution relayed', fields) }))
      await log.close?.()
      const file = join(dir, `sync-${r}.log`)
      syncUs.push(await timed(() => {
        for (let i = 0; i < LINES; i++) appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'contribution relayed', component: 'bench', ...fields }) + '\n', { mode: 0o600 })
      }))
    }
    const a = round(median(asyncUs))
    const s = round(median(syncUs))
    return [
      figure('log-line-us', a, 'µs/line', { max: s }, { baseline: s, ratio: a / s }),
      { name: 'log-line-sync-append-us', value: s, unit: 'µs/line', target: 'baseline', pass: true }
    ]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
