// The delivery policy: every rule and timer that makes up for what gossipsub does not do, in
// one place. Gossipsub drops a publish made in the instant a peer subscribes, never retransmits
// to a peer that joined a mesh late, and does not forward what reached a node outside gossip.
// So: open questions are re-announced to a peer that just subscribed to their topic; a peer
// newly subscribed to a channel is caught up after one gossipsub heartbeat; what arrives by
// push (or, while rejoining after a restart, recent history) is re-published as gossip would
// have forwarded it; channels are backfilled from members' history on join and on connect, and
// once more after a restart when the mesh has settled.

import type { PeerId } from '@libp2p/interface'
import { topics } from '../constants.ts'
import { normalizeScope } from '../envelope/schemas.ts'
import { SwarmError, NotFoundError } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import type { SecretaryClaimEnvelope } from '../envelope/schemas.ts'
import { APPOINT_PREFIX, QUESTION_ID, channelTopic, publishTopics, topicKind, type Delivery, type Outcome, type QuestionRecord, type Scope, type Source, type TopicKind } from './core/index.ts'
import { now, type BusContext } from './context.ts'
import type { Inbox } from './inbox.ts'
import type { Outbox } from './outbox.ts'
import { fetchHistory } from './repository.ts'

/**
 * Catch-up after a (re)subscription: a peer newly seen subscribed to a channel is pushed, this
 * long after the subscription arrived (about one gossipsub heartbeat, so that it is in the mesh
 * by then and what this node forwarded meanwhile is included), the envelopes this node stored in
 * the window before it — its own, or all of them if it is the acting node.
 */
const CATCH_UP_DELAY_MS = 1200
const CATCH_UP_MIN_WINDOW_MS = 15_000
const CATCH_UP_MAX = 64
/** A daemon that rejoined its channels at start pulls their history once more this long after the first backfill served. */
const SETTLE_BACKFILL_MS = 2500
/** Channels backfilled at once (a restarted asker may rejoin hundreds; the history server takes 32 streams at a time). */
const BACKFILL_CONCURRENCY = 4
const encoder = new TextEncoder()

export class DeliveryPolicy {
  private readonly ctx: BusContext
  private readonly inbox: Inbox
  private readonly outbox: Outbox
  private readonly needsBackfill = new Set<string>()
  /** Channels rejoined at start that still owe their second ("settle") backfill. */
  private readonly settleBackfill = new Set<string>()
  /** Channels rejoined at start, until that settle backfill is done: recent envelopes from history are relayed. */
  private readonly rejoining = new Set<string>()
  /** Pending catch-up pushes, by `<peer> <question id>`. */
  private readonly catchUps = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly settles = new Set<ReturnType<typeof setTimeout>>()
  private readonly backfilling = new Map<string, Promise<void>>()
  private backfillFree = BACKFILL_CONCURRENCY
  private readonly backfillQueue: Array<() => void> = []

  constructor (ctx: BusContext, inbox: Inbox, outbox: Outbox) {
    this.ctx = ctx
    this.inbox = inbox
    this.outbox = outbox
    inbox.onTaken = (d, source, out) => { this.taken(d, source, out) }
  }

  private get catchUpWindowMs (): number { return Math.max(CATCH_UP_MIN_WINDOW_MS, 3 * this.ctx.heartbeatSec * 1000) }

  stop (): void {
    for (const t of this.catchUps.values()) clearTimeout(t)
    this.catchUps.clear()
    for (const t of this.settles) clearTimeout(t)
    this.settles.clear()
  }

  /** A channel was joined (`rejoin`: at start, after a restart): it owes a backfill. */
  joined (qid: string, rejoin: boolean): void {
    this.needsBackfill.add(qid)
    if (rejoin) { this.settleBackfill.add(qid); this.rejoining.add(qid) } else void this.backfill(qid)
  }

  left (qid: string): void {
    this.needsBackfill.delete(qid)
    this.settleBackfill.delete(qid)
    this.rejoining.delete(qid)
  }

  onPeerConnect (): void {
    for (const qid of this.needsBackfill) void this.backfill(qid)
  }

  onSubscriptionChange (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    this.reannounce(peer, subs)
    this.catchUp(peer, subs)
  }

  // ---------------------------------------------------------------- relaying what gossip did not forward

  /**
   * A member that learns a channel envelope outside gossip — pushed to it (a catch-up, or a
   * contribution handed to the acting node), or, while it rejoins after a restart, a recent one
   * from a history page — publishes it on the channel topic, as gossip would have forwarded it:
   * its author's own publish may have reached nobody, and this node may be the only path to the
   * others. The bytes are the author's, so peers that have it drop it as a gossipsub duplicate.
   * Likewise a question pushed to this node (a re-announce) is published on its topic.
   */
  private taken (d: Delivery, source: Source, out: Outcome): void {
    if (out.applied !== undefined) return
    const e = d.envelope
    if (e.type === 'swarm/question') {
      if (source.kind === 'direct' && source.at !== undefined) this.relayQuestion(source.at, d.wire)
      return
    }
    if (!out.effects.some((fx) => fx.type === 'entry' && fx.entry.excluded === undefined)) return
    const qid = (e as { 'question/id'?: string })['question/id'] ?? ''
    const recent = Date.parse(e['created-at']) >= now() - this.catchUpWindowMs
    if (source.kind === 'direct' || (source.kind === 'history' && this.rejoining.has(qid) && recent)) this.relay(qid, d.wire)
  }

  private relay (qid: string, wire: string): void {
    if (this.ctx.book.records.get(qid)?.joined !== true) return
    this.ctx.c.topics.publish(channelTopic(qid), encoder.encode(wire)).then(
      (n) => { this.ctx.c.counters.inc('bus.relayed', n > 0 ? 'sent' : 'no-peers') },
      // PublishError.Duplicate: the gossip copy got here first and was forwarded then
      (err) => { this.ctx.log.debug('relay skipped', { qid, err: (err as Error).message }) }
    )
  }

  private relayQuestion (at: TopicKind, wire: string): void {
    const topic = at.kind === 'global' ? topics.globalQuestions() : at.kind === 'federation' ? topics.questions(at.federation) : undefined
    if (topic === undefined || !this.ctx.c.topics.subscribed(topic)) return
    this.ctx.c.topics.publish(topic, encoder.encode(wire)).then(
      (n) => { this.ctx.c.counters.inc('bus.relayed', n > 0 ? 'question-sent' : 'question-no-peers') },
      (err) => { this.ctx.log.debug('question relay skipped', { err: (err as Error).message }) }
    )
  }

  // ---------------------------------------------------------------- re-announce to just-joined subscribers

  private reannounce (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    const subscribed = new Set(subs.filter((s) => s.subscribe && topicKind(s.topic).kind !== 'channel' && topicKind(s.topic).kind !== 'other').map((s) => s.topic))
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
      const appointment = ch.entries.find((e) => e.type === 'swarm/secretary-claim' && (e.envelope as SecretaryClaimEnvelope).reason.startsWith(APPOINT_PREFIX))
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

  // ---------------------------------------------------------------- catch-up for peers newly subscribed to a channel

  /**
   * A peer's subscription to a channel this node is in has just arrived (it joined, connected,
   * or restarted and resubscribed). Anything this node published or forwarded before it knew of
   * that subscription, or before the peer entered its mesh, did not reach the peer, and gossipsub
   * never retransmits it. So after one gossipsub heartbeat, push the peer the envelopes this node
   * stored in the window before: its own (each author covers its envelopes), or all of them from
   * the acting node (which holds everything accepted). Duplicates cost a replay-cache lookup.
   */
  private catchUp (peer: PeerId, subs: Array<{ topic: string, subscribe: boolean }>): void {
    if (!this.ctx.started) return
    const since = now() - this.catchUpWindowMs
    for (const s of subs) {
      if (!s.subscribe) continue
      const at = topicKind(s.topic)
      if (at.kind !== 'channel') continue
      const qid = at.questionId
      if (this.ctx.book.records.get(qid)?.joined !== true || !this.ctx.book.channels.has(qid)) continue
      const key = `${peer.toString()} ${qid}`
      if (this.catchUps.has(key)) continue
      const timer = setTimeout(() => {
        this.catchUps.delete(key)
        void this.pushRecent(peer, qid, since).catch((err) => { this.ctx.log.debug('catch-up failed', { qid, err: (err as Error).message }) })
      }, CATCH_UP_DELAY_MS)
      timer.unref?.()
      this.catchUps.set(key, timer)
    }
  }

  private async pushRecent (peer: PeerId, qid: string, since: number): Promise<void> {
    const ch = this.ctx.book.channels.get(qid)
    if (!this.ctx.started || ch === undefined || this.ctx.book.records.get(qid)?.joined !== true) return
    if (this.ctx.c.libp2p.getConnections(peer).length === 0) return
    const peerNode = nodeIdFromPeerId(peer)
    if (ch.private && (peerNode === undefined || !ch.to.includes(peerNode))) return
    const acting = ch.acting === this.ctx.me
    const out = ch.entries.filter((e) => {
      const from = e.envelope.sender['node/id']
      return e.at >= since && from !== peerNode && (acting || from === this.ctx.me)
    }).slice(-CATCH_UP_MAX)
    for (const e of out) {
      const res = await this.outbox.push(peer, encoder.encode(e.wire))
      this.ctx.c.counters.inc('bus.caught-up', res?.ok === true ? 'accepted' : res?.reason ?? 'failed')
    }
    if (out.length > 0) this.ctx.log.debug('catch-up pushed', { qid, peer: peer.toString(), envelopes: out.length })
  }

  // ---------------------------------------------------------------- history backfill

  /** Pulls the channel's history from peers in the channel (else any connected peer), verifying each envelope. */
  backfill (qid: string): Promise<void> {
    const running = this.backfilling.get(qid)
    if (running !== undefined) return running
    const p = (async () => {
      if (this.backfillFree > 0) this.backfillFree--
      else await new Promise<void>((resolve) => { this.backfillQueue.push(resolve) })
      try {
        await this.backfillFrom(qid)
      } finally {
        const next = this.backfillQueue.shift()
        if (next !== undefined) next()
        else this.backfillFree++
      }
    })().finally(() => { this.backfilling.delete(qid) })
    this.backfilling.set(qid, p)
    return p
  }

  private async backfillFrom (qid: string): Promise<void> {
    if (!this.ctx.started || this.ctx.book.records.get(qid)?.joined !== true) return
    const subs = this.ctx.c.topics.subscribers(channelTopic(qid)).map((p) => p.toString())
    const conns = this.ctx.c.libp2p.getConnections().map((x) => x.remotePeer)
    const peers = [...new Map(conns.map((p) => [p.toString(), p])).values()].sort((a, b) => Number(subs.includes(b.toString())) - Number(subs.includes(a.toString())))
    let served = 0
    for (const peer of peers.slice(0, 6)) {
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
      // a rejoin after a restart backfills at the first connection, before any peer knows this
      // node is subscribed again: pull once more after the subscription has spread and the mesh
      // has formed, for what was forwarded in between (catch-up pushes cover the authors' own)
      if (this.settleBackfill.delete(qid)) {
        const t = setTimeout(() => { this.settles.delete(t); void this.backfill(qid).finally(() => { this.rejoining.delete(qid) }) }, SETTLE_BACKFILL_MS)
        t.unref?.()
        this.settles.add(t)
      }
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
      if (rec !== undefined) return rec
    }
    throw new NotFoundError('question', qid)
  }
}
