// Test-only control method, registered only with SWARM_TEST_HOOKS=1: `debug.push-contribution`
// signs a contribution and pushes it straight to a connected node over /swarm/deliver/1.0.0,
// past this node's own checks (lateness, close). It is how a test makes a contribution arrive
// late, as from a node with a slow link, and watches the asker exclude it.

import { PROTOCOL_DELIVERY } from '../constants.ts'
import type { SwarmComponents } from '../kernel/components.ts'
import { buildContribution } from '../envelope/index.ts'
import { NotFoundError } from '../errors.ts'
import { handle } from '../control/methods/index.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { decodeJson, request } from '../net/rpc.ts'

export function registerSynthesisTestHooks (c: Pick<SwarmComponents, 'control' | 'libp2p' | 'identity' | 'log'>): void {
  handle(c.control, 'debug.push-contribution', async (p) => {
    const { questionId, to, kind = 'fact', text, confidence = 0.5 } = p
    const conn = c.libp2p.getConnections().find((x) => nodeIdFromPeerId(x.remotePeer) === to)
    if (conn === undefined) throw new NotFoundError('connected node', to)
    const e = buildContribution(c.identity, { questionId, kind, text, confidence, origin: 'node-generated' })
    const verdict = decodeJson(await request(c.libp2p, conn.remotePeer, PROTOCOL_DELIVERY, new TextEncoder().encode(JSON.stringify(e)), { timeoutMs: 5000 }))
    return { id: e.id, verdict }
  })
}
