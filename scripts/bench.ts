// `npm run bench`: every speed figure the issues ask for, in one document. With `-- --json`:
// {"machine":{…},"figures":[{name,value,unit,target,baseline?,ratio?,pass}]}; without, a table.
// Each part's figures come from scripts/bench/<part>.ts; a part that fails is reported as a
// failed figure instead of stopping the run. `-- --only foundation,envelope` runs a subset.

import { cpus, totalmem, release } from 'node:os'
import { fstatSync, ftruncateSync, writeFileSync, writeSync } from 'node:fs'
import type { Figure } from './bench/figure.ts'

const parts: Array<[string, () => Promise<Figure[]>]> = [
  ['foundation', async () => (await import('./bench/foundation.ts')).benchFoundation()],
  ['envelope', async () => (await import('./bench/envelope.ts')).benchEnvelope()],
  ['bus', async () => (await import('./bench/bus.ts')).benchBus()],
  ['tasks', async () => (await import('./bench/tasks.ts')).benchTasks()],
  ['reflections', async () => (await import('./bench/reflections.ts')).benchReflections()],
  ['browser', async () => (await import('./bench/browser.ts')).benchBrowser()],
  ['agents', async () => (await import('./bench/agents.ts')).benchAgents()],
  ['scale', async () => (await import('./bench/scale.ts')).benchScale()],
  ['trust', async () => (await import('./bench/trust.ts')).benchTrust()],
  ['logger', async () => (await import('./bench/logger.ts')).benchLogger()],
  ['speed', async () => (await import('./bench/speed.ts')).benchSpeed()],
  ['flood', async () => (await import('./bench/flood.ts')).benchFlood()],
  ['nat', async () => (await import('./bench/nat.ts')).benchNat()],
  ['channel', async () => (await import('./bench/channel.ts')).benchChannel()]
]

// mDNS is on by default; a benchmark never multicasts onto the machine's real networks
process.env.SWARM_MDNS ??= 'false'

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
  writeJson(JSON.stringify({ machine, figures }, null, 2) + '\n')
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

/** The JSON document alone: `--out FILE` writes it there; a stdout redirected to a file
 *  (`npm run bench -- --json > f`) is rewritten from its start, because npm has already put its
 *  `> swarmd@… bench` banner there and the file must hold one valid document. A pipe gets it
 *  as is (use `npm run -s bench -- --json | …` to keep npm quiet). */
function writeJson (doc: string): void {
  const outIdx = args.indexOf('--out')
  if (outIdx >= 0 && args[outIdx + 1] !== undefined) { writeFileSync(args[outIdx + 1], doc); return }
  let file = false
  try { file = fstatSync(1).isFile() } catch {}
  if (file && process.env.npm_lifecycle_event === 'bench') {
    try {
      ftruncateSync(1, 0)
      writeSync(1, doc, 0)
      return
    } catch {}
  }
  process.stdout.write(doc)
}
