// Scale figures from the scale harness (scripts/scale/run.ts): 25 and 100 real daemons in a
// random degree-4 mesh, each size with raw gossipsub on the same links in the same run.
// Run alone: node_modules/.bin/node scripts/bench/scale.ts (prints JSON).

import { pathToFileURL } from 'node:url'
import { runScale } from '../scale/run.ts'
import { figure, type Figure } from './figure.ts'

const QUESTIONS = Number(process.env.BENCH_SCALE_QUESTIONS ?? 10)
const LARGE = Number(process.env.BENCH_SCALE_NODES ?? 100)
// bounded time even when questions do not deliver: each waits at most DEADLINE_MS (bus and raw)
const DEADLINE_MS = Number(process.env.BENCH_SCALE_DEADLINE_MS ?? 6000)
// idle windows long enough to hold a fair share of adverts (each node's refresh is at a random phase)
const IDLE_SEC = Number(process.env.BENCH_SCALE_IDLE_SEC ?? 30)

export async function benchScale (): Promise<Figure[]> {
  const log = (line: string): void => { process.stderr.write(line + '\n') }
  const small: any = await runScale({ nodes: 25, degree: 4, questions: QUESTIONS, baseline: true, idleSec: IDLE_SEC, deadlineMs: DEADLINE_MS, answerers: 0.4, log })
  const large: any = await runScale({ nodes: LARGE, degree: 4, questions: QUESTIONS, baseline: true, idleSec: IDLE_SEC, deadlineMs: DEADLINE_MS, answerers: 0.2, log })
  const p99 = large['reach-all-ms'].p99 ?? NaN
  const raw99 = large['raw-reach-all-ms'].p99 ?? NaN
  const idle25 = small['idle-bytes-per-node-per-s']
  const idle100 = large['idle-bytes-per-node-per-s']
  return [
    figure(`scale-${LARGE}-reach-p99-ms`, p99, 'ms', { max: raw99 * 1.5 }, { baseline: raw99, ratio: p99 / raw99 }),
    figure(`scale-${LARGE}-reach-p50-ms`, large['reach-all-ms'].p50 ?? NaN, 'ms', {}, { baseline: large['raw-reach-all-ms'].p50 ?? NaN }),
    figure(`scale-${LARGE}-delivered`, large.delivered / large.questions, 'share', { min: 1 }),
    figure(`scale-${LARGE}-first-answer-ms`, large['first-contribution-ms'].p50 ?? NaN, 'ms', {}),
    figure(`scale-${LARGE}-tenth-answer-ms`, large['tenth-contribution-ms']?.p50 ?? NaN, 'ms', {}),
    figure('scale-25-reach-p99-ms', small['reach-all-ms'].p99 ?? NaN, 'ms', {}, { baseline: small['raw-reach-all-ms'].p99 ?? NaN }),
    figure('scale-idle-bytes-per-node-per-s-25', idle25, 'B/s', {}),
    figure(`scale-idle-bytes-per-node-per-s-${LARGE}`, idle100, 'B/s', { max: Math.max(idle25 * 1.2, idle25 + 50) }, { baseline: idle25, ratio: idle25 > 0 ? idle100 / idle25 : undefined }),
    figure(`scale-${LARGE}-bytes-per-node-per-question`, large['bytes-per-node-per-question'], 'B', {}),
    figure(`scale-${LARGE}-cpu-ms-per-node-per-question`, large['cpu-ms-per-node-per-question'], 'ms', {}),
    figure('scale-rss-mb-per-node', large['rss-mb-per-node'], 'MB', {}),
    figure(`scale-${LARGE}-connections-per-node-p50`, large['connections-per-node'].p50, 'connections', {}),
    figure(`scale-${LARGE}-topics-per-node-p50`, large['topics-per-node'].p50, 'topics', {})
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchScale(), null, 2))
  process.exit(0)
}
