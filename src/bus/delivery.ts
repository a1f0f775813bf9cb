// The delivery policy: what the bus does beyond gossipsub, in one place. Channel envelopes ride
// their question's scope topics, so every node in scope relays them and a channel needs no
// catch-up of its own (docs/channel-log.md). What remains: open questions are re-announced to a
// peer that just subscribed to their topic (gossipsub drops a publish made in that instant), and
// a question pushed so is re-published on its topic; a channel is backfilled from members'
// history when this node joins it, rejoins it after a restart, or connects to a peer while it
// still owes one; and the log's gaps — ids named as `previous` but not held — are fetched from
// members by id, within the bounds of core/log.ts.

import type { PeerId } from '@libp2p/interface'
import { topics } from '../constants.ts'
import { normalizeScope } from '../envelope/schemas.ts'
import { SwarmError, NotFoundError } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { CHANNEL_TYPES, ChannelGaps, QUESTION_ID, previousOf, publishTopics, topicKind, type Delivery, type Outcome, type QuestionRecord, type Scope, type Source, type TopicKind } from './core/index.ts'
import { now, type BusContext } from './context.ts'
import { hasBoundId } from '../envelope/bound-id.ts'
import type { Inbox } from './inbox.ts'
import type { Outbox } from './outbox.ts'
import { fetchByIds, fetchHistory, MAX_HOPS } from './repository.ts'

/** Channels backfilled at once (a restarted asker may rejoin hundreds; the history server takes 32 streams at a time). */
const BACKFILL_CONCURRENCY = 4
/** A gap is asked for this long after it shows (its envelope may be in flight on another path), then after each round × attempt. */
const GAP_WAIT_MS = 250
const GAP_BACKOFF_MS = 1000
/** Peers asked per gap round (members first). */
const GAP_PEERS = 3
/** Envelopes learnt from history are re-published when created this recently (gossipsub's duplicate memory lasts 2 minutes). */
const REPUBLISH_WINDOW_MS = 120_000
/** Envelopes a rejoined member re-publishes at most, per channel: the most recent (older gaps are named by them and fetched). */
const REPUBLISH_MAX = 64
/** After a restart, peers that connect within this window are each asked for the rejoined channels. */
const REJOIN_WINDOW_MS = 30_000
const encoder = new TextEncoder()

export class DeliveryPolicy {
  private readonly ctx: BusContext
  private readonly inbox: Inbox
  private readonly outbox: Outbox
  private readonly needsBackfill = new Set<string>()
  /**
   * Channels rejoined after a restart, with the end of their rejoin window: each peer that
   * connects meanwhile is asked for the channel (a restarted node may join two sides of the mesh
   * that could not hear each other while it was away), and what history brings is re-published.
   */
  private readonly rejoining = new Map<string, number>()
  private readonly toRepublish = new Map<string, Array<{ created: number, wire: string, own: boolean }>>()
  private readonly backfilling = new Map<string, Promise<void>>()
  private backfillFree = BACKFILL_CONCURRENCY
  private readonly backfillQueue: Array<() => void> = []
  private readonly gaps = new Map<string, ChannelGaps>()
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly gapRounds = new Set<string>()

  constructor (ctx: BusContext, inbox: Inbox, outbox: Outbox) {
    this.ctx = ctx
    this.inbox = inbox
    this.outbox = outbox
    inbox.onTaken = (d, source, out) => { this.taken(d, source, out) }
  }

  stop (): void {
    for (const t of this.gapTimers.values()) clearTimeout(t)
    this.gapTimers.clear()
  }

  /** A channel was joined (`rejoin`: at start, after a restart, before any peer is connected): it owes a backfill. */
  joined (qid: string, rejoin: boolean): void {
    this.needsBackfill.add(qid)
    if (rejoin) this.rejoining.set(qid, now() + REJOIN_WINDOW_MS)
    else this.backfillInBackground(qid)
  }

  left (qid: string): void {
    this.needsBackfill.delete(qid)
    this.rejoining.delete(qid)
    this.toRepublish.delete(qid)
    this.gaps.delete(qid)
    const t = this.gapTimers.get(qid)
    if (t !== undefined) clearTimeout(t)
    this.gapTimers.delete(qid)
  }

  onPeerConnect (peer?: PeerId): void {
    const t = now()
    for (const [qid, until] of this.rejoining) {
      if (t > until) { this.rejoining.delete(qid); this.toRepublish.delete(qid); continue }
      if (peer !== undefined) this.backfillInBackground(qid, peer)
    }
    for (const qid of this.needsBackfill) if (!this.rejoining.has(qid)) this.backfillInBackground(qid)
  }

  onSubscriptionChange (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    void this.outbox.flushHeld()
    this.reannounce(peer, subs)
  }

  // ---------------------------------------------------------------- what each envelope taken tells

  /**
   * A question pushed to this node (a re-announce) is published on its topic, as gossip would
   * have forwarded it. A channel envelope of a channel this node is in may name ids it lacks:
   * those are gaps to fetch.
   */
  private taken (d: Delivery, source: Source, out: Outcome): void {
    const e = d.envelope
    if (e.type === 'swarm/question') {
      if (out.applied === undefined && source.kind === 'direct' && source.at !== undefined) this.relayQuestion(source.at, d.wire)
      // a daemon serving pages keeps their channels (their history outlives a reload): it used to
      // follow them by subscribing to the channel topics its browser peers joined
      if (out.applied === undefined && this.ctx.c.config.web.listen !== null && this.fromBrowserPeer(e.sender['node/id'])) void this.onBrowserQuestion?.(e.id)
      return
    }
    if (!(CHANNEL_TYPES as readonly string[]).includes(e.type) || source.kind === 'self') return
    const qid = (e as { 'question/id'?: string })['question/id'] ?? ''
    if (out.applied === 'not-member' || out.applied === 'not-found') {
      // relayed, not kept: remembered a while for members that reach the channel only through
      // this node — of questions this node holds (anyone can sign envelopes for made-up ids)
      if (out.applied === 'not-member' && source.kind === 'gossip' && d.sealed !== true) this.ctx.relayed.add(qid, e.id, d.wire)
      return
    }
    const ch = this.ctx.book.channels.get(qid)
    if (ch === undefined || this.ctx.book.records.get(qid)?.joined !== true) return
    const gaps = this.gaps.get(qid) ?? new ChannelGaps()
    const filled = gaps.depthOf(e.id) > 0
    // learnt from history — after a restart, or filling a gap — and recent: the peers on the far
    // side of this node may never have had it (published while this node was away, or across a
    // partition through it that has healed); the same bytes on the same topic are a duplicate to
    // everyone who did
    if (source.kind === 'history' && out.applied === undefined && out.effects.some((fx) => fx.type === 'entry') && Date.parse(e['created-at']) >= now() - REPUBLISH_WINDOW_MS) {
      const own = e.sender['node/id'] === this.ctx.me
      if (filled) void this.outbox.republish(ch, d.wire, own)
      else if (this.rejoining.has(qid)) {
        // after the backfill, so that a restarted member first completes its own log
        const list = this.toRepublish.get(qid) ?? []
        list.push({ created: Date.parse(e['created-at']), wire: d.wire, own })
        if (list.length > REPUBLISH_MAX) { list.sort((a, b) => b.created - a.created); list.length = REPUBLISH_MAX }
        this.toRepublish.set(qid, list)
      }
    }
    if (!this.gaps.has(qid)) {
      if (previousOf(e).length === 0) return
      this.gaps.set(qid, gaps)
    }
    const depth = gaps.depthOf(e.id)
    gaps.held(e.id)
    const added = gaps.noted(previousOf(e), depth, (id) => ch.has(id))
    if (added.length > 0) {
      this.ctx.c.counters.inc('bus.gaps', 'found', added.length)
      this.scheduleGapRound(qid, GAP_WAIT_MS)
    }
  }

  private relayQuestion (at: TopicKind, wire: string): void {
    const topic = at.kind === 'global' ? topics.globalQuestions() : at.kind === 'federation' ? topics.questions(at.federation) : undefined
    if (topic === undefined || !this.ctx.c.topics.subscribed(topic)) return
    this.ctx.c.topics.publish(topic, encoder.encode(wire), { relay: true }).then(
      (n) => { this.ctx.c.counters.inc('bus.relayed', n > 0 ? 'question-sent' : 'question-no-peers') },
      (err) => { this.ctx.log.debug('question relay skipped', { err: (err as Error).message }) }
    )
  }

  // ---------------------------------------------------------------- the log's gaps

  private scheduleGapRound (qid: string, delayMs: number): void {
    if (!this.ctx.started || this.gapTimers.has(qid) || this.gapRounds.has(qid)) return
    const t = setTimeout(() => {
      this.gapTimers.delete(qid)
      void this.gapRound(qid).catch((err) => { this.ctx.log.debug('gap round failed', { qid, err: (err as Error).message }) })
    }, delayMs)
    t.unref?.()
    this.gapTimers.set(qid, t)
  }

  /** One round: ask up to GAP_PEERS peers (members first) for every missing id; what stays missing is retried or given up. */
  private async gapRound (qid: string): Promise<void> {
    const gaps = this.gaps.get(qid)
    const ch = this.ctx.book.channels.get(qid)
    if (!this.ctx.started || gaps === undefined || ch === undefined || gaps.size === 0) return
    this.gapRounds.add(qid)
    try {
      const has = (id: string): boolean => ch.has(id)
      gaps.settle(has)
      let want = gaps.due().filter((id) => !has(id))
      this.ctx.c.counters.inc('bus.gaps', 'rounds')
      for (const peer of this.peersFor(qid).slice(0, GAP_PEERS)) {
        if (want.length === 0 || !this.ctx.started) break
        try {
          const page = await fetchByIds(this.ctx.c.libp2p, peer, qid, want, MAX_HOPS)
          if (page.envelopes.length > 0) await this.inbox.fromHistoryPage(qid, { question: null, envelopes: page.envelopes, next: null })
        } catch (err) {
          this.ctx.log.debug('gap fetch failed', { qid, peer: peer.toString(), err: (err as Error).message })
        }
        want = want.filter((id) => !has(id))
      }
      const gone = gaps.settle(has)
      if (gone.length > 0) this.ctx.c.counters.inc('bus.gaps', 'given-up', gone.length)
    } finally {
      this.gapRounds.delete(qid)
    }
    if (gaps.size > 0) this.scheduleGapRound(qid, GAP_BACKOFF_MS)
  }

  /**
   * A peer asked this node for ids it does not hold (with hops left): ask up to GAP_PEERS of its
   * other peers, members first. Only the wire texts come back; the asker verifies each.
   */
  async forwardIds (qid: string, ids: string[], hops: number, from: PeerId, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = []
    let want = ids.slice(0, 64)
    for (const peer of this.peersFor(qid).filter((p) => !p.equals(from)).slice(0, GAP_PEERS)) {
      if (want.length === 0 || !this.ctx.started || signal?.aborted === true) break
      try {
        const page = await fetchByIds(this.ctx.c.libp2p, peer, qid, want, hops, signal)
        for (const w of page.envelopes) {
          if (typeof w !== 'string') continue
          out.push(w)
          want = want.filter((id) => !w.includes(`"id":"${id}"`))
        }
      } catch {}
    }
    this.ctx.c.counters.inc('bus.gaps', 'forwarded')
    return out
  }

  /** Connected peers, the channel's members first (they hold it; others answer with nothing). */
  private peersFor (qid: string): PeerId[] {
    const members = new Set([...this.ctx.book.channels.get(qid)?.participants.keys() ?? []])
    const peers = [...new Map(this.ctx.c.libp2p.getConnections().map((x) => [x.remotePeer.toString(), x.remotePeer])).values()]
    const member = (p: PeerId): number => members.has(nodeIdFromPeerId(p) ?? '') ? 1 : 0
    return peers.sort((a, b) => member(b) - member(a))
  }

  /** Joins a question a browser peer of this daemon asked (set by the façade). */
  onBrowserQuestion?: (qid: string) => Promise<unknown>

  /** The node is directly connected over a browser transport (webrtc, websockets) only. */
  private fromBrowserPeer (nodeId: string): boolean {
    const conns = this.ctx.c.libp2p.getConnections().filter((x) => nodeIdFromPeerId(x.remotePeer) === nodeId)
    return conns.length > 0 && conns.every((x) => { const a = x.remoteAddr.toString(); return a.includes('/webrtc') || /\/(ws|wss)(\/|$)/.test(a) })
  }

  /** Gap counts of a channel (tests and stats). */
  gapState (qid: string): { missing: number, givenUp: number } {
    const g = this.gaps.get(qid)
    return { missing: g?.size ?? 0, givenUp: g?.givenUpCount ?? 0 }
  }

  // ---------------------------------------------------------------- re-announce to just-joined subscribers

  private reannounce (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    const subscribed = new Set(subs.filter((s) => s.subscribe && topicKind(s.topic).kind !== 'other').map((s) => s.topic))
    if (subscribed.size === 0) return
    const peerNode = nodeIdFromPeerId(peer)
    const t = now()
    const out: string[] = []
    for (const rec of this.ctx.book.records.values()) {
      const ch = this.ctx.book.channels.get(rec.id)
      if (ch === undefined || ch.acting !== this.ctx.me || ch.closedOrExpired(t)) continue
      const q = rec.envelope
      const scope = normalizeScope(q.delivery.scope) as Scope
      const on = publishTopics(scope, q.sender['federation/id'], rec.federations ?? [])
      if (!on.some((x) => subscribed.has(x))) continue
      if (scope === 'private' && (peerNode === undefined || !(rec.to ?? []).includes(peerNode))) continue
      out.push(rec.wire)
      const appointment = ch.appointment
      if (appointment !== undefined) out.push(appointment.wire)
    }
    if (out.length === 0) return
    void (async () => {
      for (const wire of out) {
        const res = await this.outbox.push(peer, encoder.encode(wire))
        this.ctx.c.counters.inc('bus.reannounced', res?.ok === true ? 'accepted' : res?.reason ?? 'failed')
      }
    })()
  }

  // ---------------------------------------------------------------- history backfill

  /**
   * A backfill nobody waits for (a join, a peer connecting): its failure is logged, never left
   * unhandled. A store closing under it while the daemon stops was one (a scale run's teardown
   * reported `Database is not open` from the write group as an unhandled rejection).
   */
  private backfillInBackground (qid: string, peer?: PeerId): void {
    this.backfill(qid, peer).catch((err) => { this.ctx.log.debug('backfill failed', { qid, err: (err as Error).message }) })
  }

  /** Pulls the channel's history from its members (else any connected peer), or from `peer`, verifying each envelope. */
  backfill (qid: string, peer?: PeerId): Promise<void> {
    const key = peer === undefined ? qid : `${qid} ${peer.toString()}`
    const running = this.backfilling.get(key)
    if (running !== undefined) return running
    const p = (async () => {
      if (this.backfillFree > 0) this.backfillFree--
      else await new Promise<void>((resolve) => { this.backfillQueue.push(resolve) })
      try {
        await this.backfillFrom(qid, peer)
      } finally {
        const next = this.backfillQueue.shift()
        if (next !== undefined) next()
        else this.backfillFree++
      }
    })().finally(() => { this.backfilling.delete(key) })
    this.backfilling.set(key, p)
    return p
  }

  private async backfillFrom (qid: string, only?: PeerId): Promise<void> {
    if (!this.ctx.started || this.ctx.book.records.get(qid)?.joined !== true) return
    // what this node relayed before it joined
    const relayed = this.ctx.relayed.pageAfterId(qid, undefined, Number.MAX_SAFE_INTEGER)
    this.ctx.relayed.forget(qid)
    if (relayed.envelopes.length > 0) await this.inbox.fromHistoryPage(qid, { question: null, envelopes: relayed.envelopes, next: null })
    let served = 0
    for (const peer of only !== undefined ? [only] : this.peersFor(qid).slice(0, 6)) {
      try {
        // only a peer that holds the channel counts (a member always holds at least the asker's join);
        // one that merely received the question serves it with an empty channel
        let had = false
        await fetchHistory(this.ctx.c.libp2p, peer, qid, async (page) => { if (page.envelopes.length > 0) had = true; await this.inbox.fromHistoryPage(qid, page) })
        if (had) served++
      } catch (err) {
        this.ctx.log.debug('history fetch failed', { qid, peer: peer.toString(), err: (err as Error).message })
      }
      if (served >= 2) break
    }
    if (served > 0) {
      this.needsBackfill.delete(qid)
      const list = this.toRepublish.get(qid) ?? []
      this.toRepublish.delete(qid)
      const ch = this.ctx.book.channels.get(qid)
      if (ch !== undefined) for (const x of list.sort((a, b) => a.created - b.created)) await this.outbox.republish(ch, x.wire, x.own)
    }
  }

  /** The question record, fetched from peers' history when this node never received it. */
  async resolve (qid: string, signal?: AbortSignal): Promise<QuestionRecord> {
    let rec = await this.ctx.record(qid)
    if (rec !== undefined) return rec
    if (!QUESTION_ID.test(qid)) throw new SwarmError('bad-id', `not a question id: ${qid}`, { exitCode: 2 })
    const peers = [...new Map(this.ctx.c.libp2p.getConnections().map((x) => [x.remotePeer.toString(), x.remotePeer])).values()].slice(0, 4)
    for (const peer of peers) {
      if (signal?.aborted === true) break
      try {
        await fetchHistory(this.ctx.c.libp2p, peer, qid, async (page) => { await this.inbox.fromHistoryPage(qid, page) }, signal)
      } catch {}
      rec = this.ctx.book.records.get(qid)
      // an unbound answer may be a stranger's copy of the id: the next peers may hold the bound question, which takes it back
      if (rec !== undefined && hasBoundId(rec.envelope)) return rec
    }
    if (rec !== undefined) return rec
    throw new NotFoundError('question', qid)
  }
}
