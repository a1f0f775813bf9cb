// A response channel's state machine, in memory and pure (no I/O): the question, every channel
// envelope in arrival order with the excluded ones marked, the participants and their presence,
// the shadow, the secretary and the close. The service feeds envelopes in and persists entries.

import type { EnvelopeBase } from '../envelope/index.ts'
import type { CloseEnvelope, ContributionEnvelope, PresenceEnvelope, QuestionEnvelope, SecretaryClaimEnvelope } from '../envelope/schemas.ts'
import { preferClaim, type ClaimRef } from './secretary.ts'

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

export function deadlineOf (q: QuestionEnvelope): number {
  return Date.parse(q['created-at']) + q['ttl-sec'] * 1000
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
  /** Local receipt time, ms. */
  at: number
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
  secretaryChanged?: boolean
  shadowChanged?: boolean
  closed?: boolean
  /** The asker showed up while someone else was secretary. */
  askerReturned?: boolean
}

export interface AdmitContext {
  now: number
  /** Tolerated clock difference (ms) when judging lateness by created-at. */
  skewMs: number
  /** A filter verdict this node computed for a contribution's sender (asker/secretary only). */
  filtered?: string
}

export class Channel {
  readonly question: QuestionEnvelope
  readonly questionId: string
  readonly asker: string
  readonly deadline: number
  readonly entries: ChannelEntry[] = []
  private readonly ids = new Set<string>()
  readonly participants = new Map<string, Participant>()
  shadow: string | null = null
  secretary: string | null = null
  private secretaryClaim?: ClaimRef & { shadow: boolean }
  close?: CloseEnvelope
  /** Recipients of a private question (sealed channel traffic goes to them). */
  to: string[] = []
  private seq = 0

  constructor (question: QuestionEnvelope) {
    this.question = question
    this.questionId = question.id
    this.asker = question.sender['node/id']
    this.deadline = deadlineOf(question)
  }

  get followUps (): boolean { return this.question.delivery['follow-ups?'] !== false }
  get private (): boolean { return this.question.delivery.scope === 'private' || this.question.delivery.scope === 'private-to-swarm' }
  has (id: string): boolean { return this.ids.has(id) }
  get lastSeq (): number { return this.seq }

  state (now = Date.now()): QuestionState {
    if (this.close !== undefined) return resolutionState(this.close.resolution)
    if (now > this.deadline) return 'expired'
    return this.contributions().some((e) => ANSWER_KINDS.has((e.envelope as ContributionEnvelope).kind)) ? 'answered' : 'open'
  }

  /**
   * open → clarifying (a clarification request awaits its clarification) → answered → summarized
   * (a summary newer than every answer) → resolved | handed-off | expired | withdrawn. Derived from
   * the signed envelopes, never stored.
   */
  phase (now = Date.now()): QuestionPhase {
    const s = this.state(now)
    if (s !== 'open' && s !== 'answered') return s
    const pending = new Set<string>()
    let lastAnswer = 0
    let lastSummary = 0
    for (const e of this.entries) {
      if (e.excluded !== undefined) continue
      if (e.type === 'swarm/summary') { lastSummary = e.seq; continue }
      if (e.type !== 'swarm/contribution') continue
      const c = e.envelope as ContributionEnvelope
      if (c.kind === 'clarification-request') pending.add(c.id)
      else if (c.kind === 'clarification') {
        const to = c['in-reply-to']
        if (to !== undefined && pending.has(to)) pending.delete(to)
        else if (to === undefined) pending.clear()
      } else if (ANSWER_KINDS.has(c.kind)) lastAnswer = e.seq
    }
    if (pending.size > 0) return 'clarifying'
    if (lastSummary > 0 && lastSummary > lastAnswer) return 'summarized'
    return s
  }

  closedOrExpired (now = Date.now()): boolean {
    const s = this.state(now)
    return s !== 'open' && s !== 'answered'
  }

  /** Accepted contributions in order. */
  contributions (): ChannelEntry[] {
    return this.entries.filter((e) => e.type === 'swarm/contribution' && e.excluded === undefined)
  }

  /** Every contribution in order, excluded ones marked. */
  allContributions (): ChannelEntry[] {
    return this.entries.filter((e) => e.type === 'swarm/contribution')
  }

  /** Who acts for the asker: the secretary if one stands, else the asker. */
  get acting (): string { return this.secretary ?? this.asker }

  /** Why a new contribution would be refused here, or undefined. */
  refusal (c: Pick<ContributionEnvelope, 'kind' | 'created-at'>, ctx: { now: number, skewMs: number }): string | undefined {
    if (this.close !== undefined) return this.close.resolution === 'expired' ? 'late' : 'closed'
    if (ctx.now > this.deadline || Date.parse(c['created-at']) > this.deadline + ctx.skewMs) return 'late'
    if (c.kind === 'clarification-request' && !this.followUps) return 'no-follow-ups'
    return undefined
  }

  /** Re-adds a stored entry at start (no judging: the verdict was stored with it). */
  restore (entry: ChannelEntry): void {
    if (this.ids.has(entry.id)) return
    this.seq = Math.max(this.seq, entry.seq)
    this.ids.add(entry.id)
    this.entries.push(entry)
    this.apply(entry, entry.at)
  }

  /** Judges and adds a channel envelope. Heartbeats update presence but are not entries. */
  admit (envelope: EnvelopeBase, wire: string, ctx: AdmitContext): Applied {
    if (this.ids.has(envelope.id)) return { duplicate: true }
    if (envelope.type === 'swarm/presence' && (envelope as PresenceEnvelope).event === 'heartbeat') {
      return this.presence(envelope as PresenceEnvelope, ctx.now)
    }
    const entry: ChannelEntry = { seq: ++this.seq, id: envelope.id, type: envelope.type, envelope, wire, at: ctx.now }
    if (envelope.type === 'swarm/contribution') {
      const why = this.refusal(envelope as ContributionEnvelope, ctx) ?? ctx.filtered
      if (why !== undefined) entry.excluded = why
    } else if (envelope.type === 'swarm/close') {
      const sender = envelope.sender['node/id']
      if (this.close !== undefined) entry.excluded = 'closed'
      else if (sender !== this.asker && sender !== this.secretary) entry.excluded = 'not-authorized'
    }
    this.ids.add(entry.id)
    this.entries.push(entry)
    return { entry, ...this.apply(entry, ctx.now) }
  }

  private apply (entry: ChannelEntry, now: number): Applied {
    const e = entry.envelope
    const sender = e.sender['node/id']
    const out: Applied = {}
    this.seen(sender, now)
    if (entry.excluded !== undefined) return out
    switch (e.type) {
      case 'swarm/presence':
        return this.presence(e as PresenceEnvelope, now)
      case 'swarm/secretary-claim':
        return this.claim(e as SecretaryClaimEnvelope)
      case 'swarm/close':
        this.close = e as CloseEnvelope
        return { closed: true }
      case 'swarm/contribution':
        if (!this.participants.has(sender)) this.participants.set(sender, { nodeId: sender, role: 'participant', present: true, lastSeen: now })
        return out
      default:
        return out
    }
  }

  private seen (nodeId: string, now: number): void {
    const p = this.participants.get(nodeId)
    if (p !== undefined) p.lastSeen = Math.max(p.lastSeen, now)
  }

  private presence (p: PresenceEnvelope, now: number): Applied {
    const nodeId = p.sender['node/id']
    const prev = this.participants.get(nodeId)
    const role = nodeId === this.asker ? 'asker' : p.role === 'asker' ? 'participant' : p.role
    this.participants.set(nodeId, { nodeId, role, present: p.event !== 'leave', lastSeen: Math.max(prev?.lastSeen ?? 0, now) })
    if (nodeId === this.asker && p.event !== 'leave' && this.secretary !== null) return { askerReturned: true }
    return {}
  }

  private claim (c: SecretaryClaimEnvelope): Applied {
    const sender = c.sender['node/id']
    if (c['asker/node-id'] !== this.asker) return {}
    switch (c.mode) {
      case 'shadow':
        if (sender === this.asker && c.reason.startsWith(APPOINT_PREFIX)) {
          const shadow = c.reason.slice(APPOINT_PREFIX.length).trim()
          const changed = shadow !== this.shadow
          this.shadow = shadow
          return { shadowChanged: changed }
        }
        return {}
      case 'takeover': {
        if (sender === this.asker) return {}
        const claim = { nodeId: sender, createdAt: c['created-at'], shadow: sender === this.shadow }
        const cur = this.secretaryClaim
        let wins = cur === undefined || this.secretary === null
        if (!wins && cur !== undefined && cur.nodeId !== sender) {
          // the shadow's claim beats a volunteer's; otherwise the earliest, then the lowest rank
          wins = claim.shadow !== cur.shadow ? claim.shadow : preferClaim(this.questionId, cur, claim) === claim
        }
        if (!wins) return {}
        const changed = this.secretary !== sender
        this.secretary = sender
        this.secretaryClaim = claim
        return { secretaryChanged: changed }
      }
      case 'step-back':
        if (sender === this.secretary) { this.secretary = null; this.secretaryClaim = undefined; return { secretaryChanged: true } }
        return {}
      case 'resume':
        if (sender === this.asker && this.secretary !== null) { this.secretary = null; this.secretaryClaim = undefined; return { secretaryChanged: true } }
        return {}
    }
  }
}
