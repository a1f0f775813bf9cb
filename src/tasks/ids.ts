// Ids for task envelopes and correlation: `<kind>:<ULID>`, like the envelope builders make, but
// with randomness drawn from a pooled buffer. The ulid package asks WebCrypto for one byte at a
// time (16 calls per id), which cost more than signing on the task hot path.

import { randomFillSync } from 'node:crypto'
import { monotonicFactory } from 'ulid'

const pool = new Uint8Array(4096)
let at = pool.length

function pooledRandom (): number {
  if (at >= pool.length) { randomFillSync(pool); at = 0 }
  return pool[at++] / 256
}

const nextUlid = monotonicFactory(pooledRandom)

export function taskId (kind: string): string {
  return `${kind}:${nextUlid()}`
}
