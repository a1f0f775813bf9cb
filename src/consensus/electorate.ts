// Who may vote on a proposal, fixed when it opens (pure). Nothing a peer says about itself makes
// it a voter: in a closed federation its certificate does, in an open one the operator's
// `consensus.voters` list, else its signed capability advert naming the federation. Votes from
// anyone outside the electorate are never counted, and the electorate is recorded in the result.

import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { publicKeyFromNodeId } from '../envelope/keys.ts'

/** `closed`: certified members; `voters`: the configured list; `open`: connected advertisers of the federation. */
export type ElectorateKind = 'closed' | 'voters' | 'open'

export interface ConnectedPeer {
  peerId: string
  nodeId: string
  /** The federation its signed capability advert names, when the directory holds one. */
  advertised?: string
}

export interface ElectorateInput {
  self: string
  federation: string
  closed: boolean
  /** Undefined when `nodeId` holds a valid certificate now, else why not. */
  whyNotMember: (nodeId: string) => string | undefined
  /** `consensus.voters` (node ids). */
  voters: readonly string[]
  connected: readonly ConnectedPeer[]
}

export interface Electorate {
  kind: ElectorateKind
  /** Node ids allowed to vote, the proposer first. */
  electors: string[]
  /** Electors to ask (everyone but the proposer). */
  ask: string[]
  /** Connected peers that are not electors, and why. */
  excluded: Array<{ peerId: string, nodeId: string | null, reason: string }>
}

export function fixElectorate (input: ElectorateInput): Electorate {
  const excluded: Electorate['excluded'] = []
  const configured = [...new Set(input.voters)].filter((v) => v !== input.self)
  let kind: ElectorateKind
  let ask: string[]
  if (input.closed) {
    kind = 'closed'
    // the certificate decides; a configured list narrows the members further, never widens them
    const pool = configured.length > 0 ? configured : input.connected.map((p) => p.nodeId)
    ask = pool.filter((id) => id !== input.self && input.whyNotMember(id) === undefined)
    const inPool = new Set(configured)
    for (const p of input.connected) {
      if (ask.includes(p.nodeId)) continue
      const why = input.whyNotMember(p.nodeId)
      excluded.push({ peerId: p.peerId, nodeId: p.nodeId, reason: why !== undefined ? `not-member: ${why}` : configured.length > 0 && !inPool.has(p.nodeId) ? 'not-a-voter: not in consensus.voters' : 'not-member' })
    }
  } else if (configured.length > 0) {
    kind = 'voters'
    ask = configured
    for (const p of input.connected) if (!ask.includes(p.nodeId)) excluded.push({ peerId: p.peerId, nodeId: p.nodeId, reason: 'not-a-voter: not in consensus.voters' })
  } else {
    kind = 'open'
    ask = []
    for (const p of input.connected) {
      if (p.advertised === input.federation) ask.push(p.nodeId)
      else if (p.advertised !== undefined) excluded.push({ peerId: p.peerId, nodeId: p.nodeId, reason: `wrong-federation: advertises ${p.advertised}` })
      else excluded.push({ peerId: p.peerId, nodeId: p.nodeId, reason: `no-advert: no signed advert names ${input.federation}` })
    }
  }
  ask = [...new Set(ask)]
  return { kind, electors: [input.self, ...ask], ask, excluded }
}

/** The libp2p peer id of a did:key node id (the same Ed25519 key). */
export function peerIdOfNode (nodeId: string): PeerId | undefined {
  const raw = publicKeyFromNodeId(nodeId)
  if (raw === undefined) return undefined
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(raw))
  } catch {
    return undefined
  }
}
