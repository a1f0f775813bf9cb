// What the bus's shell parts share: the components they use, the pure question book, the store,
// the validators, and the small lookups every part needs (a record from memory or disk, a
// channel loaded with its stored entries, watchers). The parts — inbox, outbox, delivery
// policy, watchdog, effects, façade — each hold one of these and a reference to the others.

import type { SwarmComponents } from '../kernel/components.ts'
import { EnvelopeValidator, LruMap } from '../envelope/index.ts'
import { effectiveModels } from '../config/models.ts'
import type { ReputationBook } from '../reputation/index.ts'
import { heads, QuestionBook, type Channel, type PresenceRole, type QuestionRecord, type QuestionState } from './core/index.ts'
import type { ChannelEvent, QuestionNotice } from './types.ts'
import { createOpener, type Opener } from './private.ts'
import { ChannelStore } from './repository.ts'
import { RelayCache } from './relay-cache.ts'

/** What the bus takes from the daemon: the kernel parts it uses, the peer directory (adverts) and the reputation book. */
export type BusComponents = Pick<SwarmComponents, 'config' | 'identity' | 'db' | 'libp2p' | 'topics' | 'control' | 'events' | 'counters' | 'log' | 'directory'> & {
  /** Closed-federation membership for envelopes that come without a topic (pushes, history pages). */
  admission?: Pick<NonNullable<SwarmComponents['admission']>, 'judgeAuthor'>
  /** This node's reputation book (default: one on the `reputation` bucket). */
  reputation?: ReputationBook
}

export const now = (): number => Date.now()
export const hrNow = (): number => performance.timeOrigin + performance.now()
/** Expired questions stay in memory this long (then only in the store). */
export const PRUNE_AFTER_MS = 10 * 60_000
/** A channel this node does not follow is put away from memory this long after its close (or deadline). */
export const UNLOAD_AFTER_MS = 60_000

export class BusContext {
  readonly c: BusComponents
  readonly book: QuestionBook
  readonly store: ChannelStore
  readonly reputation: ReputationBook
  readonly validator: EnvelopeValidator
  /** History pages are judged without the replay memory: a page repeats what gossip brought. */
  readonly historyValidator: EnvelopeValidator
  readonly opener: Opener
  /** Channel envelopes this node relayed for channels it is not in (memory only, bounded). */
  readonly relayed = new RelayCache()
  readonly skewMs: number
  readonly heartbeatSec: number
  readonly watchers = new Map<string, Set<(e: ChannelEvent) => void>>()
  readonly questionListeners = new Set<(n: QuestionNotice) => void>()
  readonly lastState = new Map<string, QuestionState>()
  readonly joinedAt = new Map<string, number>()
  /**
   * Question ids whose record is on disk but not in memory (pruned, or skipped at start): a
   * question arriving under one of them is judged against the stored record (another signer's
   * copy must not take it). Only these cost a store read on the hot path; bounded, newest kept.
   */
  readonly onDiskOnly = new LruMap<string, true>(200_000)
  /** Channels built from the store for a look (peek), by question id; a few, as each may hold thousands of entries. */
  private readonly peeked = new LruMap<string, { channel: Channel, mark: number, rec: QuestionRecord, since: number | undefined }>(4)
  /** The shadow of each channel built for a look (a few bytes each: many more than `peeked`). */
  private readonly shadows = new LruMap<string, { shadow: string | null, mark: number }>(4096)
  started = false

  constructor (c: BusComponents, reputation: ReputationBook) {
    this.c = c
    this.skewMs = c.config.bus.clockSkewSec * 1000
    this.heartbeatSec = c.config.presence.heartbeatSec
    const opts = { clockSkewSec: c.config.bus.clockSkewSec, maxBytes: c.config.bus.maxEnvelopeBytes }
    this.validator = new EnvelopeValidator(opts)
    this.historyValidator = new EnvelopeValidator({ ...opts, replayCacheSize: 0 })
    this.opener = createOpener(c.identity.nodeId, c.identity.seed)
    this.store = new ChannelStore(c.db.bucket('questions'), c.db.bucket('channel'))
    this.reputation = reputation
    this.book = new QuestionBook({
      self: c.identity.nodeId,
      skewMs: this.skewMs,
      heartbeatSec: this.heartbeatSec,
      profile: { models: effectiveModels(c.config), languages: c.config.node.languages, reputation: c.config.reputation.default },
      volunteer: c.config.secretary.volunteer,
      maxChannelEnvelopes: c.config.bus.maxChannelEnvelopes
    })
  }

  /** Drops what memory keeps per question beside the book (a copy of its id was replaced). */
  forgetQuestion (qid: string): void {
    this.joinedAt.delete(qid)
    this.lastState.delete(qid)
    this.relayed.forget(qid)
  }

  get me (): string { return this.c.identity.nodeId }
  get log (): BusComponents['log'] { return this.c.log }

  /** A question record from memory, else from the store (records of long-expired questions are pruned from memory). */
  async record (qid: string): Promise<QuestionRecord | undefined> {
    const rec = this.book.records.get(qid)
    if (rec !== undefined) return rec
    const stored = await this.store.getQuestion(qid).catch(() => undefined)
    if (stored !== undefined && !this.book.records.has(qid)) { this.book.records.set(qid, stored); this.onDiskOnly.delete(qid) }
    return this.book.records.get(qid)
  }

  /** The channel of a record, loaded with its stored entries on first use. */
  async channel (rec: QuestionRecord): Promise<Channel> {
    const ch = this.book.channels.get(rec.id)
    if (ch !== undefined) return ch
    const entries = await this.store.entries(rec.id)
    // the record was replaced while its entries were read (a copy of its id gave way): load the current one
    const current = this.book.records.get(rec.id)
    if (current !== undefined && current !== rec) return await this.channel(current)
    const loaded = this.book.load(rec, entries, this.joinedAt.get(rec.id))
    if (!this.lastState.has(rec.id)) this.lastState.set(rec.id, loaded.state())
    return loaded
  }

  /**
   * The channel for a look (an answerer reading what was said, synthesis asking who stood for a
   * parent): the book's, else one built from the store and not kept in the book. The last few
   * built are reused while their stored entries are unchanged: a stranger's questions tagged as
   * sub-questions of an old, unloaded parent each asked for it, and each read it whole again.
   */
  async peek (rec: QuestionRecord): Promise<Channel> {
    const live = this.book.channels.get(rec.id)
    if (live !== undefined) return live
    const mark = this.store.writeMark(rec.id)
    const since = this.joinedAt.get(rec.id)
    const held = this.peeked.get(rec.id)
    if (held !== undefined && held.mark === mark && held.rec === rec && held.since === since) return held.channel
    const channel = this.book.build(rec, await this.store.entries(rec.id), since)
    this.peeked.set(rec.id, { channel, mark, rec, since })
    this.shadows.set(rec.id, { shadow: channel.shadow, mark })
    return channel
  }

  /**
   * A question's appointed shadow as last seen (null: none), or undefined when unknown: the live
   * channel's, else the memo of one built from the store while its entries are unchanged.
   */
  shadowOf (rec: QuestionRecord): string | null | undefined {
    const live = this.book.channels.get(rec.id)
    if (live !== undefined) return live.shadow
    const known = this.shadows.get(rec.id)
    return known !== undefined && known.mark === this.store.writeMark(rec.id) ? known.shadow : undefined
  }

  /** Build options naming the channel log's latest envelopes this node holds (`previous`, docs/channel-log.md). */
  chain (qid: string): { previous: string[] } {
    const ch = this.book.channels.get(qid)
    return { previous: ch === undefined ? [] : heads(ch.entries) }
  }

  /**
   * Makes sure the book holds a question's record and channel before an envelope for it is
   * ingested. `memberOnly`: the envelope is for members alone (one carried on a scope topic),
   * so a node that does not follow the channel needs only the record to refuse it; loading the
   * channel for it would keep one in memory for every question whose envelopes pass by.
   */
  async ensure (qid: string | undefined, o: { memberOnly?: boolean } = {}): Promise<void> {
    if (qid === undefined) return
    const rec = await this.record(qid)
    if (rec !== undefined && (o.memberOnly !== true || rec.joined)) await this.channel(rec)
  }

  /** This node starts (or restarts) following a channel: absence of the asker is observed from now. */
  following (qid: string, t = now()): void {
    this.joinedAt.set(qid, t)
    const ch = this.book.channels.get(qid)
    if (ch !== undefined) ch.since = t
  }

  presenceRole (rec: QuestionRecord): PresenceRole {
    switch (rec.role) {
      case 'asker': return 'asker'
      case 'secretary': return 'secretary'
      case 'shadow': return 'shadow'
      case 'participant': return 'participant'
      default: return 'watcher'
    }
  }

  listens (): { federations: string[], global: boolean } {
    const { config, identity } = this.c
    return { federations: [...new Set([identity.federation, ...config.bus.federations])], global: config.bus.global }
  }

  emit (ch: Channel, ev: ChannelEvent): void {
    const set = this.watchers.get(ch.questionId)
    if (set === undefined) return
    for (const w of set) { try { w(ev) } catch {} }
  }

  notify (n: QuestionNotice): void {
    for (const l of this.questionListeners) { try { l(n) } catch (err) { this.log.warn('question listener failed', { err: (err as Error).message }) } }
  }

  checkState (ch: Channel): void {
    const s = ch.state()
    if (this.lastState.get(ch.questionId) === s) return
    this.lastState.set(ch.questionId, s)
    this.c.events.emit('question:state', { id: ch.questionId, state: s })
    this.emit(ch, { type: 'state', questionId: ch.questionId, state: s })
  }
}

/** The validator verdicts the shell hands on (the envelope and the text it travelled as). */
export type Deliverable = { envelope: import('../envelope/index.ts').EnvelopeBase, text: string }
