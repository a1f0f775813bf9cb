// Trust-root and consensus figures (issue 15 items 2 and 4): what a hostile hello costs a node
// against an honest hello of the same size, and what judging JS on its syntax tree costs against
// the old text scan. All in one process, medians of a few runs, baselines measured alongside.
// Target for parsing: a 512 KiB proposal (the largest accepted) judged within ~2.5 s.

import { createSigner } from '../../src/envelope/index.ts'
import { buildCertificate, buildRotation, createRootSigner, rootIdOf } from '../../src/federation/envelopes.ts'
import { Membership } from '../../src/federation/membership.ts'
import { findDynamicExecution, findDynamicExecutionIn } from '../../src/consensus/dynamic-execution.ts'
import { figure, median, type Figure } from './figure.ts'

const FED = 'fed:bench'
const seed = (n: number): Uint8Array => { const s = new Uint8Array(32); s[0] = n & 0xff; s[1] = n >> 8; s[31] = 7; return s }

function membership (rootPubkey: string): Membership {
  return new Membership({ federation: FED, config: { mode: 'closed', roots: [{ pubkey: rootPubkey }], announceSec: 300 }, clockSkewSec: 30 })
}

async function timed (fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t) / 1e6
}

export async function benchTrust (): Promise<Figure[]> {
  const root = createRootSigner(seed(1), FED)
  const honest = Array.from({ length: 2000 }, (_, i) => {
    const m = createSigner(seed(1000 + i), FED)
    return buildCertificate(root, { federation: FED, memberNodeId: m.nodeId, memberPubkey: m.pubkey, notAfter: Date.now() + 86400_000 })
  })
  const sink = createRootSigner(seed(9), FED)
  const bomb = Array.from({ length: 2000 }, (_, i) => {
    const r = buildRotation(createRootSigner(seed(2000 + (i % 200)), FED), sink, Date.now() + 86400_000)
    return i % 2 === 0 ? { ...r, 'old-root': root.pubkey } : { ...r, 'old-root': root.pubkey, sender: { ...r.sender, pubkey: root.pubkey, 'node/id': rootIdOf(root.pubkey) } }
  })
  const bombMs: number[] = []
  const honestMs: number[] = []
  for (let i = 0; i < 3; i++) {
    honestMs.push(await timed(async () => await membership(root.pubkey).ingestAll(honest)))
    bombMs.push(await timed(async () => await membership(root.pubkey).ingestAll(bomb)))
  }
  const b = median(bombMs)
  const h = median(honestMs)

  // a 2 KiB ordinary TypeScript file, judged on its tree vs the text patterns
  const ts = Array.from({ length: 40 }, (_, i) => `export function f${i} (a: number, b: string): string { return \`\${b}:\${a + ${i}}\` }`).join('\n') + '\n'
  const js = ts.replace(/: (number|string)/g, '')
  const runs = 200
  const perKib = async (file: string, code: string, fn: (f: string, c: string) => unknown): Promise<number> => {
    for (let i = 0; i < 100; i++) fn(file, code) // warm: the parser's JIT, the TypeScript stripper's wasm
    const ms = await timed(async () => { for (let i = 0; i < runs; i++) fn(file, code) })
    return ms * 1000 / runs / (Buffer.byteLength(code) / 1024)
  }
  const textUs = await perKib('x.js', js, (_f, c) => findDynamicExecution(c))
  const jsUs = await perKib('src/x.js', js, findDynamicExecutionIn)
  const tsUs = await perKib('src/x.ts', ts, findDynamicExecutionIn)
  return [
    figure('hello-bomb-2000-rotations-ms', b, 'ms', { max: h }, { baseline: h, ratio: b / h }),
    figure('dynamic-exec-js-ast-us-per-kib', jsUs, 'µs/KiB', { max: 5000 }, { baseline: textUs, ratio: jsUs / textUs }),
    figure('dynamic-exec-ts-ast-us-per-kib', tsUs, 'µs/KiB', { max: 5000 }, { baseline: textUs, ratio: tsUs / textUs })
  ]
}
