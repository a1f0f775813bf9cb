// Test-only control methods, registered only when the daemon's environment has
// SWARM_TEST_HOOKS=1. `debug.flood` makes this node misbehave on purpose: it publishes
// invalid messages straight through gossipsub (past this node's own router) so tests can
// watch the receivers' validators, peer scores, graylisting and disconnects.

import { randomBytes } from 'node:crypto'
import { buildQuestion } from '../envelope/index.ts'
import { handle } from '../control/methods/index.ts'
import type { SwarmComponents } from '../kernel/components.ts'

export interface FloodParams {
  topic: string
  count: number
  ratePerSec: number
  /** `garbage`: not JSON (bad-json); `bad-signature`: a real question with a broken signature. */
  kind: 'garbage' | 'bad-signature'
}

const encoder = new TextEncoder()

function message (kind: FloodParams['kind'], i: number, c: Pick<SwarmComponents, 'identity'>): Uint8Array {
  if (kind === 'garbage') return encoder.encode(`garbage ${i} ${randomBytes(12).toString('hex')}`)
  const q = buildQuestion(c.identity, { text: `flood ${i} ${randomBytes(6).toString('hex')}`, scope: 'federation-local', ttlSec: 600 }) as any
  // still 86 base64url characters, so only the signature check can tell
  const v: string = q.signature.value
  const body = v.slice('base64url:'.length)
  q.signature.value = 'base64url:' + (body[0] === 'A' ? 'B' : 'A') + body.slice(1)
  return encoder.encode(JSON.stringify(q))
}

export function registerTestHooks (c: Pick<SwarmComponents, 'control' | 'libp2p' | 'identity' | 'log'>): void {
  c.log.warn('test hooks enabled (SWARM_TEST_HOOKS=1): debug.flood is available')
  handle(c.control, 'debug.flood', async (params) => {
    const { topic, count = 1000, ratePerSec = 1000, kind = 'garbage' } = params
    const pubsub = c.libp2p.services.pubsub
    let issued = 0
    let failed = 0
    const started = Date.now()
    const run = (async () => {
      const tickMs = 10
      const perTick = Math.max(1, Math.round(ratePerSec * tickMs / 1000))
      while (issued < count) {
        const due = Math.min(count, Math.floor((Date.now() - started) * ratePerSec / 1000) + perTick)
        // not awaited: the rate is the point, and a publish to nobody may reject
        for (; issued < due; issued++) pubsub.publish(topic, message(kind, issued, c)).catch(() => { failed++ })
        await new Promise((resolve) => setTimeout(resolve, tickMs))
      }
      return { topic, kind, published: issued - failed, failed, ms: Date.now() - started }
    })()
    if (params.wait === true) return await run
    void run.then((r) => { c.log.info('flood done', r) })
    return { started: true, topic, count, ratePerSec, kind }
  })
}
