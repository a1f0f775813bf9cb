// The question book: every question this node knows and the channels it follows, and the one
// entry point that changes them, `ingest(envelope, source, now) → { applied, effects }`. It
// decides (is a question eligible here, does an appointment make this node the shadow, what
// does a channel envelope change) and says what should happen next as effects; the shell does
// the I/O (store, publish, events). Envelopes reach it already verified (signature, schema,
// replay, scope); sealed ones opened.

import type { EnvelopeBase } from '../../envelope/index.ts'
import type { ContributionEnvelope, QuestionEnvelope, SecretaryClaimEnvelope } from '../../envelope/schemas.ts'
import { APPOINT_PREFIX, Channel, isAppointment, type Applied, type ChannelEntry, type Role } from './channel.ts'
import { LruMap } from '../../envelope/replay.ts'
import { hasBoundId } from '../../envelope/bound-id.ts'
import { deadlineOf, type QuestionState } from './entries.ts'
import { checkEligibility, type ResponderProfile } from './eligibility.ts'
import type { TopicKind } from './topics.ts'
import { CHANNEL_TYPES, checkChannelEnvelope } from './admission.ts'

export interface QuestionRecord {
  id: string
  /** The question (opened, for private ones). */
  envelope: QuestionEnvelope
  /** The text it travelled as (sealed for private), re-announced and served as is. */
  wire: string
  role: Role
  eligible: boolean
  /** Why this node is not eligible (filtered-out detail). */
  ineligible?: string
  /** Subscribed to the channel (asker, participant, watcher, shadow, secretary, volunteer). */
  joined: boolean
  receivedAt: number
  /** Private: the node ids it was sealed to. */
  to?: string[]
  /** Cross-federation: the federations it was published to (asker only). */
  federations?: string[]
}

/** How an envelope reached this node. */
export type Source =
  | { kind: 'gossip', at?: TopicKind }
  | { kind: 'direct', at?: TopicKind }
  | { kind: 'history' }
  | { kind: 'self' }

export interface Delivery {
  envelope: EnvelopeBase
  /** The text as it travelled (sealed for private channels). */
  wire: string
  sealed?: boolean
  /** A private question's recipients (from its seal). */
  to?: string[]
  /** The acting node's filter verdict on a contribution's sender (detail), computed by the shell. */
  filtered?: string
  /** Arrived on a questions topic or the private inbox, not on the channel (only members take it). */
  carried?: boolean
  /** This node's own envelope: when it was made (Arrival.madeAt). */
  madeAt?: number
}

/** What `questions` and the open-questions protocol still need of a channel put away (`unload`). */
export interface ChannelDigest {
  state: QuestionState
  contributions: number
  closed: boolean
}

export type Effect =
  /** Another signer's copy of this id was held: forget what was kept of it (record, channel entries, state). */
  | { type: 'replaced', questionId: string }
  /** A new question: store it, count it, announce it (and notify answerers if eligible). */
  | { type: 'question', record: QuestionRecord, via: string }
  /** Join the channel in this role (a volunteer watching, an appointed shadow following). */
  | { type: 'join', questionId: string, role: Role }
  /** This node was appointed shadow: say so in the channel. */
  | { type: 'follow-as-shadow', questionId: string }
  /** A channel entry was added: store it, count it, show it to watchers. */
  | { type: 'entry', channel: Channel, entry: ChannelEntry }
  /** A stored entry judged again (a late joiner's claim, upgraded by a history page): store it again. */
  | { type: 'stored', channel: Channel, entry: ChannelEntry }
  /** A clarification (request) from someone else in a channel this node is in. */
  | { type: 'clarification', channel: Channel, contribution: ContributionEnvelope, role: Role }
  | { type: 'secretary', channel: Channel, previous: string | null }
  /** The asker is back while this node was secretary: hand the role back. */
  | { type: 'step-back', channel: Channel }
  | { type: 'closed', channel: Channel }
  /** Presence or state may have changed (a heartbeat, an entry). */
  | { type: 'state', channel: Channel }
  /** Refused outright, not kept: counted under the reason. */
  | { type: 'refused', reason: string, detail?: string }

export interface Outcome {
  /** Undefined: taken as is; else why it was not taken or is excluded (duplicate, not-found, late, …). */
  applied: string | undefined
  effects: Effect[]
}

export interface BookConfig {
  self: string
  skewMs: number
  heartbeatSec: number
  /** What this node runs and speaks, with the default reputation strangers see. */
  profile: ResponderProfile
  /** Join every eligible question's channel as a watcher (secretary volunteer). */
  volunteer: boolean
  /** Envelopes one channel keeps at most. */
  maxChannelEnvelopes?: number
}

export class QuestionBook {
  readonly records = new Map<string, QuestionRecord>()
  readonly channels = new Map<string, Channel>()
  /** Channels put away from memory (their entries stay in the store), by question id. */
  readonly digests = new Map<string, ChannelDigest>()
  /** Shadow appointments that arrived before their question. */
  /** Appointments that came before their question, by (question, signer); the newest 1024 kept. */
  private readonly pendingAppointments = new LruMap<string, Delivery>(1024)
  readonly config: BookConfig

  constructor (config: BookConfig) { this.config = config }

  get me (): string { return this.config.self }

  /** Puts a stored (or newly asked) record and its stored entries in the book. */
  load (rec: QuestionRecord, entries: readonly ChannelEntry[] = [], since?: number): Channel {
    if (!this.records.has(rec.id)) this.records.set(rec.id, rec)
    let ch = this.channels.get(rec.id)
    if (ch !== undefined) return ch
    ch = this.build(rec, entries, since)
    this.channels.set(rec.id, ch)
    this.digests.delete(rec.id)
    return ch
  }

  /** A channel from a record and its stored entries, for a look only: not kept in the book. */
  build (rec: QuestionRecord, entries: readonly ChannelEntry[], since?: number): Channel {
    const ch = new Channel(rec.envelope, { self: this.me, heartbeatSec: this.config.heartbeatSec, skewMs: this.config.skewMs, since: since ?? (rec.joined ? rec.receivedAt : undefined), maxEntries: this.config.maxChannelEnvelopes, questionAt: rec.receivedAt })
    if (rec.to !== undefined) ch.to = rec.to
    for (const e of entries) ch.restore(e)
    return ch
  }

  /**
   * Puts a channel away from memory, keeping its record and a digest of it: its entries are in
   * the store, and `load` brings it back when an envelope or a reader needs it.
   */
  unload (qid: string, now: number): void {
    const ch = this.channels.get(qid)
    if (ch === undefined) return
    this.digests.set(qid, { state: ch.state(now), contributions: ch.contributions().length, closed: ch.close !== undefined })
    this.channels.delete(qid)
  }

  forget (qid: string): void {
    this.records.delete(qid)
    this.channels.delete(qid)
    this.digests.delete(qid)
  }

  ingest (d: Delivery, source: Source, now: number): Outcome {
    const e = d.envelope
    if (e.type === 'swarm/question') return this.question(e as QuestionEnvelope, d, source, now)
    if (isAppointment(e)) {
      // the asker's appointment reaches every node; one anyone else signed is a channel envelope like any
      const rec = this.records.get(e['question/id'])
      if (rec === undefined || rec.envelope.sender['node/id'] === e.sender['node/id']) return this.appointment(e, d, source, now)
    }
    if (!(CHANNEL_TYPES as readonly string[]).includes(e.type)) return { applied: 'wrong-scope', effects: [] }
    const qid = (e as { 'question/id'?: string })['question/id'] ?? ''
    const rec = this.records.get(qid)
    if (rec === undefined) return { applied: 'not-found', effects: [] }
    if (d.carried === true && !rec.joined) return { applied: 'not-member', effects: [] }
    return this.channelEnvelope(this.load(rec), d, source, now)
  }

  private question (q: QuestionEnvelope, d: Delivery, source: Source, now: number): Outcome {
    const held = this.records.get(q.id)
    const replaced: Effect[] = []
    if (held !== undefined) {
      if (!takesQuestionId(held.envelope, q)) return { applied: held.envelope.sender.pubkey === q.sender.pubkey ? 'duplicate' : 'id-taken', effects: [] }
      // the held one was another key's copy of this id, taken before the question it copied:
      // everything kept under it was judged against the wrong asker
      this.forget(q.id)
      replaced.push({ type: 'replaced', questionId: q.id })
    }
    if (q.sender['node/id'] === this.me) return { applied: 'duplicate', effects: replaced }
    const elig = checkEligibility(q.filters, this.config.profile)
    const record: QuestionRecord = { id: q.id, envelope: q, wire: d.wire, role: 'receiver', eligible: elig.ok, joined: false, receivedAt: now }
    if (!elig.ok) record.ineligible = elig.detail
    if (d.to !== undefined) record.to = d.to
    this.records.set(q.id, record)
    const via = source.kind === 'history' ? 'history' : source.kind === 'self' ? 'self' : source.at?.kind ?? source.kind
    const effects: Effect[] = [...replaced, { type: 'question', record, via }]
    if (!elig.ok) return { applied: undefined, effects }
    // only the asker's own appointment counts: one that anyone else signed for this id waits in vain
    const appointment = this.pendingAppointments.get(pendingKey(q.id, q.sender['node/id']))
    if (appointment !== undefined) {
      this.pendingAppointments.delete(pendingKey(q.id, q.sender['node/id']))
      effects.push(...this.appointment(appointment.envelope as SecretaryClaimEnvelope, appointment, source, now).effects)
    } else if (this.config.volunteer && deadlineOf(q) > now) {
      effects.push({ type: 'join', questionId: q.id, role: 'watcher' })
    }
    return { applied: undefined, effects }
  }

  /** The asker's appointment of a shadow (it travels on the question topic too): kept, and followed if it names this node. */
  private appointment (claim: SecretaryClaimEnvelope, d: Delivery, source: Source, now: number): Outcome {
    const qid = claim['question/id']
    const rec = this.records.get(qid)
    if (rec === undefined) {
      // kept by (question, signer): a stranger's forgery for the same question cannot displace the asker's
      this.pendingAppointments.set(pendingKey(qid, claim.sender['node/id']), d)
      return { applied: undefined, effects: [] }
    }
    const out = this.channelEnvelope(this.load(rec), d, source, now)
    if (out.applied === 'duplicate') return out
    const effects = out.effects
    const shadow = claim.reason.slice(APPOINT_PREFIX.length).trim()
    if (shadow === this.me && claim.sender['node/id'] === rec.envelope.sender['node/id'] && rec.role !== 'asker' && rec.role !== 'secretary') {
      rec.role = 'shadow'
      effects.push({ type: 'join', questionId: qid, role: 'shadow' }, { type: 'follow-as-shadow', questionId: qid })
    }
    return { applied: out.applied, effects }
  }

  private channelEnvelope (ch: Channel, d: Delivery, source: Source, now: number): Outcome {
    const e = d.envelope
    if (checkChannelEnvelope(e, ch.questionId) !== undefined) return { applied: 'wrong-channel', effects: [] }
    const had = ch.get(e.id)
    if (had !== undefined) return { applied: had.excluded, effects: [] }
    const applied = ch.admit(e, d.wire, { now, skewMs: this.config.skewMs, history: source.kind === 'history', madeAt: source.kind === 'self' ? d.madeAt : undefined, filtered: d.filtered })
    return this.effectsOf(ch, applied, d)
  }

  private effectsOf (ch: Channel, a: Applied, d: Delivery): Outcome {
    if (a.duplicate === true && a.updated === undefined) return { applied: 'duplicate', effects: [] }
    if (a.refused !== undefined) return { applied: a.refused, effects: [{ type: 'refused', reason: a.refused, detail: a.detail }] }
    const effects: Effect[] = []
    if (a.updated !== undefined) effects.push({ type: 'stored', channel: ch, entry: a.updated })
    const entry = a.entry
    // claims and acts judged again (the entry itself is stored below with its verdict)
    for (const again of a.rejudged ?? []) if (again !== entry && again !== a.updated) effects.push({ type: 'stored', channel: ch, entry: again })
    const rec = this.records.get(ch.questionId)
    if (entry !== undefined) {
      if (d.sealed === true) entry.sealed = true
      effects.push({ type: 'entry', channel: ch, entry })
      const c = entry.envelope as ContributionEnvelope
      if (entry.type === 'swarm/contribution' && entry.excluded === undefined && rec !== undefined && (c.kind === 'clarification-request' || c.kind === 'clarification') && c.sender['node/id'] !== this.me) {
        effects.push({ type: 'clarification', channel: ch, contribution: c, role: rec.role })
      }
    }
    if (a.secretaryChanged === true) {
      effects.push({ type: 'secretary', channel: ch, previous: a.previousSecretary ?? null })
      if (rec !== undefined) {
        if (ch.secretary === this.me) rec.role = 'secretary'
        else if (rec.role === 'secretary') rec.role = ch.shadow === this.me ? 'shadow' : 'watcher'
      }
    }
    if (a.askerReturned === true && a.previousSecretary === this.me) effects.push({ type: 'step-back', channel: ch })
    effects.push({ type: 'state', channel: ch })
    if (a.closed === true) effects.push({ type: 'closed', channel: ch })
    return { applied: a.duplicate === true ? 'duplicate' : entry?.excluded, effects }
  }
}

function pendingKey (questionId: string, signer: string): string {
  return `${questionId} ${signer}`
}

/**
 * Two signers claim one question id: does `incoming` take it from `held`? Only when its id is
 * bound to its signer and the held one's is not (envelope/bound-id.ts). A swarmd node's
 * question is always bound, so a stranger's copy never keeps its id, whichever came first; two
 * unbound claims (other implementations) keep the first. Pure: the daemon and the page apply it.
 */
export function takesQuestionId (held: QuestionEnvelope, incoming: QuestionEnvelope): boolean {
  return held.sender.pubkey !== incoming.sender.pubkey && hasBoundId(incoming) && !hasBoundId(held)
}
