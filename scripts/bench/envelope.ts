// Envelope benchmark: full verification (bytes → JSON → schema → key binding → signing input →
// Ed25519, replay cache on) of ~1 KiB question envelopes with distinct ids, against the raw
// node:crypto Ed25519 verify of the same signing bytes with a reused KeyObject, interleaved in
// the same run; medians of several rounds (the machine is shared). Also signing, the signing
// input alone, and the noble fallback.
// Run alone: node_modules/.bin/node scripts/bench/envelope.ts (prints JSON).

import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import {
  buildQuestion, createSigner, decodeSignature, envelopeSigningInput, EnvelopeValidator, nobleEd25519, signEnvelope, signingInput,
  type QuestionEnvelope
} from '../../src/envelope/index.ts'
import type { Figure } from './figure.ts'

const N = Number(process.env.BENCH_ENVELOPES ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const NOBLE_N = 150
const RATIO_TARGET = 0.8

const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** ops/s of running `fn` over `n` items once. */
function rate (n: number, fn: () => void): number {
  const t0 = performance.now()
  fn()
  return n / ((performance.now() - t0) / 1000)
}

function makeQuestions (n: number, createdAt: number): QuestionEnvelope[] {
  const signer = createSigner(new Uint8Array(32).fill(0x29), 'fed:orbiplex-pl')
  const text = 'What is the safest way to rotate a federation-wide trust root without breaking older nodes? '.repeat(2)
  const out: QuestionEnvelope[] = []
  for (let i = 0; i < n; i++) {
    out.push(buildQuestion(signer, {
      text: `${text}#${i}`,
      tags: ['trust', 'rotation', 'backward-compatibility', 'federation'],
      requireModels: ['model:claude-sonnet-4.5', 'model:gpt-5'],
      excludeModels: ['model:legacy-router-v1'],
      minReputation: 0.78,
      languages: ['en', 'pl'],
      ttlSec: 3600
    }, { createdAt }))
  }
  return out
}

export async function benchEnvelope (): Promise<Figure[]> {
  const createdAt = Date.now()
  const questions = makeQuestions(N, createdAt)
  const encoder = new TextEncoder()
  const wire = questions.map((q) => encoder.encode(JSON.stringify(q)))
  const avgBytes = wire.reduce((a, b) => a + b.length, 0) / wire.length
  const inputs = questions.map((q) => envelopeSigningInput(q))
  const sigs = questions.map((q) => decodeSignature(q.signature.value)!)
  const signer = createSigner(new Uint8Array(32).fill(0x29), 'fed:orbiplex-pl')
  const keyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, signer.publicKey]), format: 'der', type: 'spki' })
  const unsigned = questions.map(({ signature: _s, ...rest }) => rest)

  const raw: number[] = []
  const full: number[] = []
  const ratios: number[] = []
  const signRates: number[] = []
  const inputRates: number[] = []
  const nobleRates: number[] = []
  let rejected = 0

  const CHUNK = 100
  /** One round: raw and full verification alternate every CHUNK envelopes, so load spikes on
   *  this shared machine hit both sides alike. Returns [raw/s, full/s, ratio], the ratio being
   *  the median over chunk pairs (a chunk pair hit by preemption is an outlier, not a trend). */
  const round = (r: number): [number, number, number] => {
    // a fresh validator per round: every id is news to it, as on a live topic
    const validator = new EnvelopeValidator({ now: () => createdAt })
    let rawMs = 0
    let fullMs = 0
    const pairs: number[] = []
    for (let start = 0; start < N; start += CHUNK) {
      const end = Math.min(N, start + CHUNK)
      const doRaw = (): void => {
        const t0 = performance.now()
        for (let i = start; i < end; i++) if (!nodeVerify(null, inputs[i], keyObject, sigs[i])) throw new Error('raw verify failed')
        rawMs += performance.now() - t0
      }
      const doFull = (): void => {
        const t0 = performance.now()
        for (let i = start; i < end; i++) if (!validator.validateSync(wire[i]).ok) rejected++
        fullMs += performance.now() - t0
      }
      const [raw0, full0] = [rawMs, fullMs]
      if ((r + start / CHUNK) % 2 === 0) { doRaw(); doFull() } else { doFull(); doRaw() }
      pairs.push((rawMs - raw0) / (fullMs - full0))
    }
    return [N / (rawMs / 1000), N / (fullMs / 1000), median(pairs)]
  }

  round(1) // warm-up (JIT, caches), not counted
  for (let r = 0; r < ROUNDS; r++) {
    const [a, b, ratio] = round(r)
    raw.push(a); full.push(b); ratios.push(ratio)
    inputRates.push(rate(N, () => { for (let i = 0; i < N; i++) signingInput('swarm/question.v1', questions[i]) }))
    const m = Math.min(N, 1000)
    signRates.push(rate(m, () => { for (let i = 0; i < m; i++) signEnvelope(unsigned[i], signer) }))
    nobleRates.push(rate(NOBLE_N, () => {
      for (let i = 0; i < NOBLE_N; i++) if (nobleEd25519.verifySync!(signer.publicKey, inputs[i], sigs[i]) !== true) throw new Error('noble verify failed')
    }))
  }
  if (rejected > 0) throw new Error(`validator rejected ${rejected} valid envelopes`)

  const ratio = median(ratios)
  const fix = (x: number, d = 0): number => Number(x.toFixed(d))
  // Absolute rates swing with the load on this shared machine; each is judged as a ratio to
  // the raw verify rate of the same run (signing and encoding must stay well ahead of it).
  const rawRate = median(raw)
  const vs = (x: number): number => fix(x / rawRate, 3)
  return [
    { name: 'envelope-verify-ratio', value: fix(ratio, 3), unit: 'x', target: `>= ${RATIO_TARGET} of raw node:crypto verify`, baseline: fix(rawRate), ratio: fix(ratio, 3), pass: ratio >= RATIO_TARGET },
    { name: 'envelope-verify-per-sec', value: fix(median(full)), unit: `envelopes/s (${Math.round(avgBytes)} B JSON, validateSync)`, target: 'judged by envelope-verify-ratio', baseline: fix(rawRate), ratio: vs(median(full)), pass: true },
    { name: 'ed25519-raw-verify-per-sec', value: fix(rawRate), unit: 'verifies/s (node:crypto, reused KeyObject)', target: 'baseline', pass: true },
    { name: 'envelope-sign-per-sec', value: fix(median(signRates)), unit: 'envelopes/s (signEnvelope: input + sign + schema)', target: '>= 1x raw verify rate', baseline: fix(rawRate), ratio: vs(median(signRates)), pass: median(signRates) >= rawRate },
    { name: 'envelope-signing-input-per-sec', value: fix(median(inputRates)), unit: 'inputs/s (deterministic CBOR)', target: '>= 10x raw verify rate', baseline: fix(rawRate), ratio: vs(median(inputRates)), pass: median(inputRates) >= 10 * rawRate },
    { name: 'noble-verify-per-sec', value: fix(median(nobleRates)), unit: 'verifies/s (@noble/ed25519 fallback)', target: 'fallback only; >= 0.02x raw', baseline: fix(rawRate), ratio: vs(median(nobleRates)), pass: median(nobleRates) >= 0.02 * rawRate }
  ]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchEnvelope()
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n')
}
