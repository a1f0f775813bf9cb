// The shapes of a response channel (pure): states, roles, entries, what admitting an envelope
// changed, and the small rules every part uses (deadline, resolution state, appointments).

import type { EnvelopeBase } from '../../envelope/index.ts'
import type { CloseEnvelope, PresenceEnvelope, QuestionEnvelope, SecretaryClaimEnvelope } from '../../envelope/schemas.ts'

export type QuestionState = 'open' | 'answered' | 'resolved' | 'handed-off' | 'expired' | 'withdrawn'
/** The lifecycle step (`swarm show` `phase`): the state, refined while open by two derived steps. */
export type QuestionPhase = 'open' | 'clarifying' | 'answered' | 'summarized' | 'resolved' | 'handed-off' | 'expired' | 'withdrawn'
/** This node's relation to a question. */
export type Role = 'asker' | 'receiver' | 'participant' | 'watcher' | 'shadow' | 'secretary'
export type PresenceRole = PresenceEnvelope['role']

export const ANSWER_KINDS: ReadonlySet<string> = new Set(['partial-answer', 'fact', 'hypothesis', 'recommendation'])
/** A shadow appointment is a `shadow` claim signed by the asker whose reason is `appoint <node id>`. */
export const APPOINT_PREFIX = 'appoint '

export function resolutionState (resolution: CloseEnvelope['resolution']): QuestionState {
  switch (resolution) {
    case 'accepted-answer': case 'resolved': return 'resolved'
    case 'handed-off': return 'handed-off'
    case 'withdrawn': return 'withdrawn'
    case 'expired': return 'expired'
  }
}

/** An envelope's own time, ms (NaN when unreadable: the schema checked it). */
export const createdOf = (e: { 'created-at': string }): number => Date.parse(e['created-at'])

export function deadlineOf (q: QuestionEnvelope): number {
  return createdOf(q) + q['ttl-sec'] * 1000
}

/**
 * Has the shape of a shadow appointment (a `shadow` claim whose signer names itself as the asker,
 * reason `appoint <node id>`): how it is routed. Whether it appoints anyone depends on the signer
 * being the question's asker (`appoints`): anyone can sign this shape for any question.
 */
export function isAppointment (e: EnvelopeBase): e is SecretaryClaimEnvelope {
  const c = e as SecretaryClaimEnvelope
  return e.type === 'swarm/secretary-claim' && c.mode === 'shadow' && c.sender['node/id'] === c['asker/node-id'] && typeof c.reason === 'string' && c.reason.startsWith(APPOINT_PREFIX)
}

/** An appointment signed by the question's asker `asker`: the only kind that names a shadow. */
export function appoints (e: EnvelopeBase, asker: string): e is SecretaryClaimEnvelope {
  return isAppointment(e) && e.sender['node/id'] === asker
}

export interface ChannelEntry {
  /** Local arrival order, from 1. */
  seq: number
  id: string
  type: string
  /** The envelope (opened, for private channels). */
  envelope: EnvelopeBase
  /** The text as it travels (the sealed text for private channels), for history. */
  wire: string
  /** `wire` is a sealed envelope (private channel). */
  sealed?: boolean
  /** Why this node's view leaves it out (late, filtered-out, closed, no-follow-ups, not-authorized, …). */
  excluded?: string
  detail?: string
  /** Local receipt time, ms (for an envelope from a history page: its created-at, at most the receipt). */
  at: number
  /** Came in a history page, not live. */
  history?: boolean
  /** The acting node's filter verdict on the sender (why it is filtered out). */
  filtered?: string
  /**
   * A takeover claim: created-at (ms) of the asker's first presence after it. Stored with the
   * claim because that presence may be a heartbeat, which is not stored: without it a restarted
   * node would see the claim standing again and count its claimant's later close.
   */
  askerBack?: number
}

export interface Participant {
  nodeId: string
  role: PresenceRole
  present: boolean
  lastSeen: number
}

/** What adding an envelope changed, for events and follow-up actions. */
export interface Applied {
  entry?: ChannelEntry
  duplicate?: boolean
  /** A stored entry whose verdict was judged again (store it again). */
  updated?: ChannelEntry
  /** Claims and acts whose verdict (or a claim's `askerBack`) this envelope changed: store them again. */
  rejudged?: ChannelEntry[]
  /** Refused outright (not kept, not relayed): a claim dated outside the clock-skew allowance. */
  refused?: string
  detail?: string
  secretaryChanged?: boolean
  /** The secretary before this envelope (when it changed). */
  previousSecretary?: string | null
  shadowChanged?: boolean
  closed?: boolean
  /** The asker showed up while someone else was secretary. */
  askerReturned?: boolean
}

export interface Arrival {
  /** Local receipt time, ms. */
  now: number
  /** Tolerated clock difference (ms). */
  skewMs: number
  /** A history page (the envelope's own time stands in for its arrival). */
  history?: boolean
  /**
   * This node made it then (ms, its own clock), so it is here since: a contribution waits for the
   * acting node's verdict before it is admitted, and a close that verdict let through may land
   * first. Judged by that later instant, it would be 'closed' here while the asker accepted it.
   * (Not `created-at`: whole seconds, which would put an envelope before others that came in the
   * same second ahead of it.)
   */
  madeAt?: number
  /** A filter verdict this node computed for a contribution's sender (asker/secretary only): the detail. */
  filtered?: string
}

export interface ChannelOptions {
  /** This node's id (the asker's own node never sees the asker absent). */
  self?: string
  /** When this node began following the channel, ms (default: never observed absence). */
  since?: number
  heartbeatSec?: number
  skewMs?: number
  /** Entries kept at most; more are refused `channel-full` (bounded cost per channel). */
  maxEntries?: number
  /**
   * When the question reached this node, ms. The question is the asker's first presence in its
   * channel (it sends no `join` of its own at ask time): the asker counts as seen at this time and
   * at the question's `created-at`, as a `join` sent with it would have made it.
   */
  questionAt?: number
}
