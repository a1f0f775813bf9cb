// `npm run scale -- --nodes N --degree D --questions Q [--procs P] [--topology random|clusters]
// [--clusters K] [--latency-ms L] [--answerers SHARE] [--churn K] [--baseline] [--idle-sec S]
// [--deadline-ms MS] [--seed S]`: N real swarmd daemons in a few processes, measured; prints one JSON document.

import { parseArgs } from 'node:util'
import { runScale } from './scale/run.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '25' },
    degree: { type: 'string', default: '4' },
    questions: { type: 'string', default: '20' },
    procs: { type: 'string' },
    topology: { type: 'string', default: 'random' },
    clusters: { type: 'string', default: '4' },
    'latency-ms': { type: 'string', default: '0' },
    answerers: { type: 'string', default: '0.2' },
    churn: { type: 'string', default: '0' },
    baseline: { type: 'boolean', default: false },
    'idle-sec': { type: 'string', default: '10' },
    'deadline-ms': { type: 'string', default: '15000' },
    seed: { type: 'string', default: '1' }
  }
})

const num = (name: keyof typeof values, min: number, max: number): number => {
  const v = Number(values[name])
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`scale: --${String(name)} must be a number from ${min} to ${max}, got '${String(values[name])}'`)
    process.exit(2)
  }
  return v
}
if (values.topology !== 'random' && values.topology !== 'clusters') {
  console.error(`scale: --topology must be random or clusters, got '${values.topology}'`)
  process.exit(2)
}

const report = await runScale({
  nodes: num('nodes', 2, 2000),
  degree: num('degree', 1, 64),
  questions: num('questions', 1, 100000),
  procs: values.procs === undefined ? undefined : num('procs', 1, 64),
  topology: values.topology,
  clusters: num('clusters', 1, 1000),
  latencyMs: num('latency-ms', 0, 10000),
  answerers: num('answerers', 0, 1),
  churn: num('churn', 0, 2000),
  baseline: values.baseline,
  idleSec: num('idle-sec', 1, 3600),
  deadlineMs: num('deadline-ms', 100, 600000),
  seed: num('seed', 0, 2 ** 31),
  log: (line) => { process.stderr.write(line + '\n') }
})
console.log(JSON.stringify(report, null, 2))
process.exit(0)
