// `npm run bench`: every speed figure the issues ask for, in one document. With `-- --json`:
// {"machine":{…},"figures":[{name,value,unit,target,baseline?,ratio?,pass}]}; without, a table.
// Each part's figures come from scripts/bench/<part>.ts; a part that fails is reported as a
// failed figure instead of stopping the run. `-- --only foundation,envelope` runs a subset.

import { cpus, totalmem, release } from 'node:os'
import type { Figure } from './bench/figure.ts'

const parts: Array<[string, () => Promise<Figure[]>]> = [
  ['foundation', async () => (await import('./bench/foundation.ts')).benchFoundation()],
  ['envelope', async () => (await import('./bench/envelope.ts')).benchEnvelope()],
  ['bus', async () => (await import('./bench/bus.ts')).benchBus()],
  ['tasks', async () => (await import('./bench/tasks.ts')).benchTasks()],
  ['reflections', async () => (await import('./bench/reflections.ts')).benchReflections()],
  ['browser', async () => (await import('./bench/browser.ts')).benchBrowser()],
  ['nat', async () => (await import('./bench/nat.ts')).benchNat()]
]

const args = process.argv.slice(2)
const json = args.includes('--json')
const onlyIdx = args.indexOf('--only')
const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1]?.split(',')) : undefined

const figures: Figure[] = []
const started = Date.now()
for (const [name, run] of parts) {
  if (only !== undefined && !only.has(name)) continue
  if (!json) process.stderr.write(`bench: ${name}…\n`)
  try {
    figures.push(...await run())
  } catch (err) {
    figures.push({ name: `${name}-bench`, value: NaN, unit: 'error', target: 'runs', pass: false })
    process.stderr.write(`bench: ${name} failed: ${(err as Error).stack ?? String(err)}\n`)
  }
}

const machine = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  durationSec: Math.round((Date.now() - started) / 1000)
}

if (json) {
  console.log(JSON.stringify({ machine, figures }, null, 2))
} else {
  const rows = figures.map((f) => [f.name, `${String(f.value)} ${f.unit}`, f.target, f.baseline === undefined ? '' : String(f.baseline), f.ratio === undefined ? '' : String(f.ratio), f.pass ? 'pass' : 'FAIL'])
  const head = ['figure', 'value', 'target', 'baseline', 'ratio', '']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ')
  console.log(`${machine.date}  Node ${machine.node}  ${machine.cpus} cores  ${machine.durationSec} s`)
  console.log(line(head))
  for (const r of rows) console.log(line(r))
}
process.exit(0)
