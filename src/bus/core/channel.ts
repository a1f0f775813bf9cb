// A response channel's state, pure (no I/O, no timers): the question, every channel envelope in
// local arrival order with the excluded ones marked, the participants and their presence, the
// shadow, the secretary and the close. What the channel says is derived from the set of
// envelopes and their arrival times, never from the order they were fed in, so two nodes that
// hold the same envelopes agree (property-tested), and the daemon and the page run this code.

import type { EnvelopeBase } from '../../envelope/index.ts'
import { hasBoundId } from '../../envelope/bound-id.ts'
import type { CloseEnvelope, ContributionEnvelope, PresenceEnvelope, QuestionEnvelope, SecretaryClaimEnvelope, SummaryEnvelope } from '../../envelope/schemas.ts'
import {
  ANSWER_KINDS, APPOINT_PREFIX, appoints, createdOf, deadlineOf, isAppointment, resolutionState,
  type Applied, type Arrival, type ChannelEntry, type ChannelOptions, type Participant, type QuestionPhase, type QuestionState
} from './entries.ts'
import { claimRefusal, claimTimeRefusal, firstAbove, insertSorted, mayActFor, NOT_FOLLOWING_LONG_ENOUGH, secretaryAt, type AuthorityView, type ClaimView } from './authority.ts'
import type { Ancestry } from './log.ts'
import { afterTheClose, closeChain } from './close-timing.ts'

export * from './entries.ts'

interface Stamped { created: number, id: string }
const newer = (a: Stamped, b: Stamped | undefined): boolean => b === undefined || a.created > b.created || (a.created === b.created && a.id > b.id)
/** Claims and closes each sender but the asker may add to a channel that is full. */
const ACTS_BEYOND_CAP = 4
/** Bound on remembered asker presence (a heartbeat every few seconds for days). */
const MAX_ASKER_SEEN = 100_000

export class Channel {
  readonly question: QuestionEnvelope
  readonly questionId: string
  readonly asker: string
  readonly deadline: number
  readonly entries: ChannelEntry[] = []
  private readonly byId = new Map<string, ChannelEntry>()
  readonly participants = new Map<string, Participant>()
  private readonly presenceStamp = new Map<string, Stamped>()
  private readonly lastSeen = new Map<string, number>()
  shadow: string | null = null
  secretary: string | null = null
  close?: CloseEnvelope
  private closeEntry?: ChannelEntry
  /** The secretary claims that stand (derive): who acted for the question, and when. */
  private admissible: ClaimView[] = []
  /** What the close's author had seen (its `previous` chain), when the close names its whole frontier. */
  private closeAncestry?: Ancestry
  /** Recipients of a private question (sealed channel traffic goes to them). */
  to: string[] = []
  private seq = 0
  private readonly self?: string
  since: number
  heartbeatSec: number
  skewMs: number
  private readonly askerAt: number[] = []
  private readonly askerCreated: number[] = []
  private readonly stepBacks = new Map<string, number[]>()
  private readonly claims: ChannelEntry[] = []
  private readonly appointments: ChannelEntry[] = []
  /** Closes and final summaries: the envelopes only the authority may send. */
  private readonly acts: ChannelEntry[] = []
  private readonly fixed = new Map<string, string | null>()
  private readonly maxEntries: number
  /** Claims and closes admitted per sender other than the asker (the cap's reserve for them). */
  private readonly actsBy = new Map<string, number>()
  /** The question's id is bound to its asker (bound-id.ts): this channel takes bound ids only. */
  private readonly boundIds: boolean

  constructor (question: QuestionEnvelope, o: ChannelOptions = {}) {
    this.question = question
    this.questionId = question.id
    this.asker = question.sender['node/id']
    this.deadline = deadlineOf(question)
    this.self = o.self
    this.since = o.since ?? Infinity
    this.heartbeatSec = o.heartbeatSec ?? 10
    this.skewMs = o.skewMs ?? 30_000
    this.maxEntries = o.maxEntries ?? Infinity
    this.boundIds = hasBoundId(question)
    const created = createdOf(question)
    if (o.questionAt !== undefined && !Number.isNaN(created)) {
      this.participants.set(this.asker, { nodeId: this.asker, role: 'asker', present: true, lastSeen: o.questionAt })
      this.lastSeen.set(this.asker, o.questionAt)
      this.askerAt.push(o.questionAt)
      this.askerCreated.push(created)
    }
  }

  /** The asker's newest shadow appointment (what a reannounce carries with the question). */
  get appointment (): ChannelEntry | undefined {
    let newest: ChannelEntry | undefined
    for (const a of this.appointments) {
      if (newest === undefined || newer({ created: createdOf(a.envelope), id: a.id }, { created: createdOf(newest.envelope), id: newest.id })) newest = a
    }
    return newest
  }

  get followUps (): boolean { return this.question.delivery['follow-ups?'] !== false }
  get private (): boolean { return this.question.delivery.scope === 'private' || this.question.delivery.scope === 'private-to-swarm' }
  has (id: string): boolean { return this.byId.has(id) }
  get (id: string): ChannelEntry | undefined { return this.byId.get(id) }
  get lastSeq (): number { return this.seq }

  state (now = Date.now()): QuestionState {
    if (this.close !== undefined) return resolutionState(this.close.resolution)
    if (now > this.deadline) return 'expired'
    // asked after every entry a node takes in: one pass that stops at the first answer, no copy
    for (const e of this.entries) {
      if (e.type === 'swarm/contribution' && e.excluded === undefined && ANSWER_KINDS.has((e.envelope as ContributionEnvelope).kind)) return 'answered'
    }
    return 'open'
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

  /**
   * Whether `nodeId` stood for the question at `at` (ms): the asker, or the shadow the asker
   * appointed while it stood as secretary. Not a volunteer: `at` is a date its author chose, and a
   * node that once stood as secretary could date new envelopes into that old window; the shadow is
   * the asker's own choice.
   */
  stoodFor (nodeId: string, at: number): boolean {
    if (nodeId === this.asker) return true
    return nodeId === this.shadow && mayActFor(nodeId, at, this.admissible, this.authorityView())
  }

  /** Why a new contribution would be refused here, or undefined. */
  refusal (c: Pick<ContributionEnvelope, 'kind' | 'created-at'>, ctx: { now: number, skewMs: number }): string | undefined {
    if (this.close !== undefined) return this.close.resolution === 'expired' ? 'late' : 'closed'
    if (ctx.now > this.deadline || createdOf(c) > this.deadline + ctx.skewMs) return 'late'
    if (c.kind === 'clarification-request' && !this.followUps) return 'no-follow-ups'
    return undefined
  }

  /** Re-adds a stored entry at start: a claim keeps the verdict it was stored with (the presence it was judged by is gone). */
  restore (entry: ChannelEntry): Applied {
    if (this.byId.has(entry.id)) return { duplicate: true }
    // as admit(): a store written before ids were bound, or under another signer's copy of the question
    if (this.boundIds && !hasBoundId(entry.envelope)) return { refused: 'key-mismatch' }
    if (entry.type === 'swarm/secretary-claim') this.fixed.set(entry.id, entry.excluded === undefined || entry.excluded === 'filtered-out' ? null : entry.excluded)
    // the asker's presence that voided the claim, perhaps a heartbeat (not stored), is seen again
    if (entry.askerBack !== undefined && this.askerAt.length < MAX_ASKER_SEEN) { insertSorted(this.askerAt, entry.askerBack); insertSorted(this.askerCreated, entry.askerBack) }
    this.seq = Math.max(this.seq, entry.seq)
    const filtered = entry.excluded === 'filtered-out' ? entry.detail ?? 'filtered-out' : undefined
    const e: ChannelEntry = { ...entry }
    delete e.excluded
    delete e.detail
    return this.add(e, filtered)
  }

  /** Judges and adds a channel envelope. Heartbeats update presence but are not entries. */
  admit (envelope: EnvelopeBase, wire: string, ctx: Arrival): Applied {
    const had = this.byId.get(envelope.id)
    if (had !== undefined) return this.again(had, ctx)
    // in a channel whose question's id is bound to its asker (every swarmd question) every
    // envelope's id is bound to its signer: a stranger's own envelope under an id it copied (one
    // this node has yet to fetch) would otherwise take that id's place here
    if (this.boundIds && !hasBoundId(envelope)) return { refused: 'key-mismatch', detail: `id ${envelope.id} is not bound to its signer, as this channel's ids are` }
    if (ctx.skewMs !== this.skewMs) this.skewMs = ctx.skewMs
    const created = createdOf(envelope)
    const at = ctx.history === true ? Math.min(ctx.now, Number.isNaN(created) ? ctx.now : created) : Math.min(ctx.now, ctx.madeAt ?? ctx.now)
    if (envelope.type === 'swarm/secretary-claim' && (envelope as SecretaryClaimEnvelope).mode === 'takeover') {
      const why = claimTimeRefusal(created, at, ctx.history === true, createdOf(this.question), this.skewMs)
      if (why !== undefined) return { refused: 'not-authorized', detail: why }
    }
    if (envelope.type === 'swarm/presence' && (envelope as PresenceEnvelope).event === 'heartbeat') {
      return this.observe(envelope, at, () => {})
    }
    // the cap bounds what others pour in; the asker's own envelopes always fit, and so do a few
    // claims and closes of each other sender (a secretary must be able to take over and close a
    // full channel), but not a stranger's endless stream of them
    const sender = envelope.sender['node/id']
    const authorityAct = envelope.type === 'swarm/close' || envelope.type === 'swarm/secretary-claim'
    const reserved = sender === this.asker || (authorityAct && (this.actsBy.get(sender) ?? 0) < ACTS_BEYOND_CAP)
    if (!reserved && this.entries.length >= this.maxEntries) return { refused: 'channel-full', detail: `the channel holds ${this.maxEntries} envelopes` }
    if (authorityAct && sender !== this.asker) this.actsBy.set(sender, (this.actsBy.get(sender) ?? 0) + 1)
    const entry: ChannelEntry = { seq: this.seq + 1, id: envelope.id, type: envelope.type, envelope, wire, at }
    if (ctx.history === true) entry.history = true
    this.seq++
    return this.add(entry, ctx.filtered)
  }

  /**
   * A claim this node refused live because it had not followed the channel long enough (it
   * joined late) may still be judged from a history page, by the asker envelopes' own times: the
   * page copy upgrades it. Anything else seen again is a duplicate.
   */
  private again (had: ChannelEntry, ctx: Arrival): Applied {
    if (ctx.history !== true || had.history === true || had.type !== 'swarm/secretary-claim' || had.detail !== NOT_FOLLOWING_LONG_ENOUGH || this.fixed.has(had.id)) return { duplicate: true }
    had.history = true
    had.at = Math.min(had.at, createdOf(had.envelope))
    const out = this.derive(false)
    return { ...out, duplicate: true, updated: had }
  }

  private add (entry: ChannelEntry, filtered: string | undefined): Applied {
    this.byId.set(entry.id, entry)
    this.entries.push(entry)
    // what this entry names is now known to lie before the close too; and when the close's chain
    // becomes complete (or stops being), every contribution learnt from history is judged again
    if (this.closeAncestry !== undefined) {
      const wasComplete = this.closeAncestry.complete
      const reached = this.closeAncestry.added(entry)
      const again = wasComplete !== this.closeAncestry.complete ? this.entries : reached.map((id) => this.byId.get(id))
      for (const held of again) if (held !== undefined && held !== entry && held.type === 'swarm/contribution') this.judgeContribution(held)
    }
    const e = entry.envelope
    let structural = false
    let fromAsker = false
    if (e.type === 'swarm/contribution') {
      if (filtered !== undefined) entry.filtered = filtered
      this.judgeContribution(entry)
    } else if (e.type === 'swarm/secretary-claim') {
      const c = e as SecretaryClaimEnvelope
      if (appoints(e, this.asker)) { this.appointments.push(entry); structural = true } else if (isAppointment(e)) {
        // an appointment by anyone but the asker appoints no one
        setExcluded(entry, 'not-authorized', 'only the asker appoints a shadow')
      } else if (c.mode === 'takeover') { this.claims.push(entry); structural = true } else if (c.mode === 'step-back') {
        const list = this.stepBacks.get(c.sender['node/id']) ?? []
        insertSorted(list, createdOf(c))
        this.stepBacks.set(c.sender['node/id'], list)
        structural = true
      }
    } else if (e.type === 'swarm/close' || (e.type === 'swarm/summary' && (e as SummaryEnvelope).status === 'final')) {
      this.acts.push(entry)
      structural = true
    }
    const out: Applied = this.observe(e, entry.at, () => { structural = true; fromAsker = true })
    out.entry = entry
    if (structural) Object.assign(out, this.derive(fromAsker))
    return out
  }

  /** Presence bookkeeping for any envelope; `askerSeen` runs when it is presence of the asker. */
  private observe (e: EnvelopeBase, at: number, askerSeen: () => void): Applied {
    const nodeId = e.sender['node/id']
    const created = createdOf(e)
    const isPresence = e.type === 'swarm/presence'
    const p = e as PresenceEnvelope
    const prev = this.participants.get(nodeId)
    // kept for every sender, member or not yet, so the order of arrival does not matter
    const lastSeen = Math.max(this.lastSeen.get(nodeId) ?? 0, at)
    this.lastSeen.set(nodeId, lastSeen)
    if (isPresence) {
      const stamp = { created, id: e.id }
      if (newer(stamp, this.presenceStamp.get(nodeId))) {
        this.presenceStamp.set(nodeId, stamp)
        const role = nodeId === this.asker ? 'asker' : p.role === 'asker' ? 'participant' : p.role
        this.participants.set(nodeId, { nodeId, role, present: p.event !== 'leave', lastSeen })
      } else if (prev !== undefined) prev.lastSeen = lastSeen
    } else if (prev !== undefined) {
      prev.lastSeen = lastSeen
    } else if (e.type === 'swarm/contribution') {
      this.participants.set(nodeId, { nodeId, role: nodeId === this.asker ? 'asker' : 'participant', present: true, lastSeen })
    }
    if (nodeId !== this.asker || (isPresence && p.event === 'leave') || Number.isNaN(created)) return {}
    if (this.askerAt.length < MAX_ASKER_SEEN) { insertSorted(this.askerAt, at); insertSorted(this.askerCreated, created) }
    askerSeen()
    // a heartbeat is not an entry: derive here (add() derives for entries)
    return isPresence && p.event === 'heartbeat' ? this.derive(true) : {}
  }

  private authorityView (): AuthorityView {
    return {
      questionId: this.questionId,
      asker: this.asker,
      self: this.self,
      since: this.since,
      heartbeatSec: this.heartbeatSec,
      shadow: this.shadow,
      askerAt: this.askerAt,
      askerCreated: this.askerCreated,
      stepBacks: this.stepBacks
    }
  }

  private claimView (entry: ChannelEntry): ClaimView {
    const v: ClaimView = { id: entry.id, nodeId: entry.envelope.sender['node/id'], created: createdOf(entry.envelope), createdText: entry.envelope['created-at'], at: entry.at, history: entry.history === true }
    const fixed = this.fixed.get(entry.id)
    if (fixed !== undefined) v.fixed = fixed
    return v
  }

  /** Re-derives shadow, secretary and close from the whole set (claims, appointments, acts are few). */
  private derive (fromAsker: boolean): Applied {
    const out: Applied = {}
    const appointment = this.appointment
    const shadow = appointment === undefined ? null : (appointment.envelope as SecretaryClaimEnvelope).reason.slice(APPOINT_PREFIX.length).trim()
    if (shadow !== this.shadow) { this.shadow = shadow; out.shadowChanged = true }
    const view = this.authorityView()
    const admissible: ClaimView[] = []
    const rejudged: ChannelEntry[] = []
    const was = (entry: ChannelEntry): string => `${entry.excluded ?? ''} ${entry.detail ?? ''} ${entry.askerBack ?? ''}`
    for (const entry of this.claims) {
      const before = was(entry)
      const c = this.claimView(entry)
      const why = (entry.envelope as SecretaryClaimEnvelope)['asker/node-id'] !== this.asker ? 'claim names another asker' : claimRefusal(c, view)
      setExcluded(entry, why === undefined ? undefined : 'not-authorized', why)
      const back = firstAbove(this.askerCreated, c.created)
      if (back !== undefined) entry.askerBack = back
      if (was(entry) !== before) rejudged.push(entry)
      if (why === undefined) admissible.push(c)
    }
    this.admissible = admissible
    const secretary = secretaryAt(admissible, view)?.nodeId ?? null
    if (secretary !== this.secretary) {
      out.secretaryChanged = true
      out.previousSecretary = this.secretary
      if (fromAsker && secretary === null && this.secretary !== null) out.askerReturned = true
      this.secretary = secretary
    }
    let close: ChannelEntry | undefined
    const actsBefore = this.acts.map(was)
    for (const entry of this.acts) {
      const created = createdOf(entry.envelope)
      const ok = mayActFor(entry.envelope.sender['node/id'], created, admissible, view)
      setExcluded(entry, ok ? undefined : 'not-authorized', ok ? undefined : 'only the asker, or the secretary standing at the time, may close or publish a final summary')
      if (ok && entry.type === 'swarm/close' && (close === undefined || newer({ created: createdOf(close.envelope), id: close.id }, { created, id: entry.id }))) close = entry
    }
    for (const entry of this.acts) if (entry.type === 'swarm/close' && entry.excluded === undefined && entry !== close) setExcluded(entry, 'closed', undefined)
    this.acts.forEach((entry, i) => { if (was(entry) !== actsBefore[i]) rejudged.push(entry) })
    if (rejudged.length > 0) out.rejudged = rejudged
    if (close !== this.closeEntry) {
      const was = this.close
      this.closeEntry = close
      this.close = close?.envelope as CloseEnvelope | undefined
      this.closeAncestry = closeChain(close, (id) => this.byId.get(id))
      if (was === undefined && close !== undefined) out.closed = true
      for (const entry of this.entries) if (entry.type === 'swarm/contribution') this.judgeContribution(entry)
    }
    return out
  }

  /** A contribution's verdict from the close, the deadline, the follow-up rule and this node's filter. */
  private judgeContribution (entry: ChannelEntry): void {
    const c = entry.envelope as ContributionEnvelope
    const created = createdOf(c)
    const close = this.closeEntry
    let why: string | undefined
    if (entry.at > this.deadline || created > this.deadline + this.skewMs) why = 'late'
    else if (close !== undefined && afterTheClose(entry, created, close, this.closeAncestry)) why = this.close?.resolution === 'expired' ? 'late' : 'closed'
    else if (c.kind === 'clarification-request' && !this.followUps) why = 'no-follow-ups'
    else if (entry.filtered !== undefined) why = 'filtered-out'
    if (why === undefined) delete entry.excluded
    else entry.excluded = why
    if (why === 'filtered-out') entry.detail = entry.filtered
    else delete entry.detail
  }
}

function setExcluded (entry: ChannelEntry, why: string | undefined, detail: string | undefined): void {
  if (why === undefined) { delete entry.excluded; delete entry.detail; return }
  entry.excluded = why
  if (detail === undefined) delete entry.detail
  else entry.detail = detail
}
