// Test-only control method, registered only with SWARM_TEST_HOOKS=1: `debug.push-contribution`
// signs a contribution and pushes it straight to a connected node over /swarm/deliver/1.0.0,
// past this node's own checks (lateness, close). It is how a test makes a contribution arrive
// late, as from a node with a slow link, and watches the asker exclude it.

import { PROTOCOL_DELIVERY } from '../constants.ts'
import type { SwarmComponents } from '../kernel/components.ts'
import { buildContribution } from '../envelope/index.ts'
import { CONTRIBUTION_KINDS } from '../envelope/schemas.ts'
import { NotFoundError, UsageError } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { decodeJson, request } from '../net/rpc.ts'

export function registerSynthesisTestHooks (c: Pick<SwarmComponents, 'control' | 'libp2p' | 'identity' | 'log'>): void {
  c.control.register('debug.push-contribution', async (p: Record<string, unknown>) => {
    const { questionId, to, kind = 'fact', text, confidence = 0.5 } = p
    if (typeof questionId !== 'string' || typeof to !== 'string' || typeof text !== 'string' || typeof confidence !== 'number' ||
      typeof kind !== 'string' || !(CONTRIBUTION_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError('debug.push-contribution needs {questionId, to, text, kind?, confidence?}')
    }
    const conn = c.libp2p.getConnections().find((x) => nodeIdFromPeerId(x.remotePeer) === to)
    if (conn === undefined) throw new NotFoundError('connected node', to)
    const e = buildContribution(c.identity, { questionId, kind: kind as typeof CONTRIBUTION_KINDS[number], text, confidence, origin: 'node-generated' })
    const verdict = decodeJson(await request(c.libp2p, conn.remotePeer, PROTOCOL_DELIVERY, new TextEncoder().encode(JSON.stringify(e)), { timeoutMs: 5000 }))
    return { id: e.id, verdict }
  })
}
