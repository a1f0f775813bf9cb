// The reflections service: one ReflectionStore per daemon, sharing over gossipsub (sharing.ts),
// knowledge queries over /swarm/knowledge/1.0.0 (knowledge.ts), the control methods
// (methods.ts) and what leaves the node (visibility.ts): reflections are `local` until shared,
// and peers and remote questions are served only what may reach them. The reflections answerer
// is handed this service (as a KnowledgeSource) and calls `answerFor()`.

import type { PeerId } from '@libp2p/interface'
import { PROTOCOL_KNOWLEDGE } from '../constants.ts'
import { NotFoundError, SwarmError, withTimeout } from '../errors.ts'
import { NotShareableError } from './errors.ts'
import { buildReflection, EnvelopeValidator, envelopeType, type ReflectionEnvelope } from '../envelope/index.ts'
import type { QuestionEnvelope } from '../envelope/schemas.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import type { Logger } from '../kernel/logger.ts'
import { DEFAULT_KNOWLEDGE_ITEMS, KNOWLEDGE_TIMEOUT_MS, MAX_KNOWLEDGE_ITEMS } from './constants.ts'
import type { Standing } from './repository.ts'
import { askKnowledge, mergeKnowledge, serveKnowledge, type KnowledgeRequest, type KnowledgeResult, type KnowledgeSource, type KnowledgeWireItem, type VerifyReflection } from './knowledge.ts'
import { registerReflectionMethods } from './methods.ts'
import { newReflectionId, validateContent, visibilityOf, type ReflectionRecord, type ReflectionScope } from './model.ts'
import { ReflectionSharing, type ShareResult } from './sharing.ts'
import { ReflectionStore } from './store.ts'
import { describePolicy, questionAudience, type Audience, type ServePolicy } from './visibility.ts'

export type ReflectionComponents = Pick<SwarmComponents, 'config' | 'identity' | 'db' | 'libp2p' | 'topics' | 'control' | 'events' | 'counters' | 'log' | 'membership'> & {
  /** The bus's question records (a question's scope and recipients); without it, questions are unknown here. */
  questions?: QuestionLookup
  /** This node's reputation scores: imports of trusted authors are evicted last. */
  reputation?: { score: (nodeId: string) => Promise<number> }
}

export interface AddParams {
  description: string
  outcome: string
  category?: string
  tags?: string[]
  recommendations?: string[]
  /** The question it was learned from: one from a private question stays within its recipients. */
  question?: string
  share?: boolean
}

export interface KnowledgeOptions {
  limit?: number
  timeoutMs?: number
  signal?: AbortSignal
}

export interface KnowledgeAnswer {
  query: string
  items: KnowledgeResult[]
  peers: { asked: number, answered: number, failed: Array<{ nodeId: string, error: string }> }
}

/** What this service needs of the bus to scope a reflection by its question (looked up late: the bus starts after). */
/** What reflections read of the bus's store: a question and its private recipients. */
export interface QuestionLookup {
  getQuestion: (id: string) => Promise<{ envelope: QuestionEnvelope, to?: string[] } | undefined>
}

export class ReflectionService implements SwarmService {
  readonly name = 'reflections'
  readonly store: ReflectionStore
  /** Who may be served what (config `reflections.serve` over the defaults). */
  readonly policy: ServePolicy
  private readonly c: ReflectionComponents
  private readonly log: Logger
  private readonly sharing: ReflectionSharing
  /** Checks envelopes in peers' knowledge replies; no replay memory (the same reflection comes back often). */
  private readonly replyValidator: EnvelopeValidator
  private started = false
  private serving = false
  /** Counts by source, read once at start and kept up to date (stats must stay cheap). */
  private counts = { local: 0, swarm: 0 }
  private readonly numbers = { knowledgeServed: 0, knowledgeAsked: 0, knowledgeItemsRejected: 0 }

  constructor (c: ReflectionComponents) {
    this.c = c
    this.log = c.log.child('reflections')
    this.store = new ReflectionStore(c.db)
    this.policy = { federation: c.identity.federation, overrides: { ...(c.config.reflections?.serve ?? {}) } }
    this.sharing = new ReflectionSharing({
      identity: c.identity,
      libp2p: c.libp2p,
      topics: c.topics,
      events: c.events,
      counters: c.counters,
      log: c.log,
      membership: c.membership,
      store: this.store,
      clockSkewSec: c.config.bus.clockSkewSec,
      maxEnvelopeBytes: c.config.bus.maxEnvelopeBytes,
      pushRate: c.config.rateLimit.perSender,
      maxFromSwarm: c.config.reflections?.maxFromSwarm,
      standing: c.reputation === undefined ? undefined : standingFrom(c.reputation, c.config.reputation.default)
    })
    this.replyValidator = new EnvelopeValidator({ clockSkewSec: c.config.bus.clockSkewSec, maxBytes: c.config.bus.maxEnvelopeBytes, replayCacheSize: 0 })
    // imports are counted where they happen
    c.events.on((e) => { if (e.type === 'reflection:integrated') this.counts.swarm++ })
  }

  async start (): Promise<void> {
    const counts = await this.store.countBySource()
    this.counts = { local: counts.local, swarm: counts.swarm }
    registerReflectionMethods(this.c.control, this)
    await this.sharing.start()
    await serveKnowledge(this.c.libp2p, this.c.identity.nodeId, async (q, peer, signal) => {
      this.numbers.knowledgeServed++
      return await this.curated(q.query, q.limit, this.peerAudience(q, nodeIdFromPeerId(peer)), signal)
    })
    this.serving = true
    this.started = true
  }

  async stop (): Promise<void> {
    if (this.serving) await this.c.libp2p.unhandle(PROTOCOL_KNOWLEDGE).catch(() => {})
    this.serving = false
    if (this.started) await this.sharing.stop()
    this.started = false
  }

  stats (): Record<string, unknown> {
    const { local } = this.counts
    const swarm = this.counts.swarm - this.sharing.numbers.evicted
    return { reflections: { count: local + swarm, local, swarm, ...this.sharing.numbers, ...this.numbers } }
  }

  /** What `swarm status` reports: who is served what, and whether the operator widened it. */
  status (): Record<string, unknown> {
    return { reflections: { serve: describePolicy(this.policy) } }
  }

  /**
   * Stores a reflection, `local` unless `visibility` says otherwise, signed as the
   * `swarm/reflection` envelope it would be shared as (same id and created-at), and answers once
   * the write is synced. `question` scopes it: one learned from a private question keeps that
   * question's recipients.
   */
  async add (input: Omit<AddParams, 'share'>, signal?: AbortSignal, visibility: 'local' | 'shared' = 'local'): Promise<ReflectionRecord> {
    const { identity } = this.c
    const content = validateContent(input)
    const scope = input.question === undefined ? { federation: identity.federation } : await this.scopeOfQuestion(input.question)
    const id = newReflectionId()
    const createdAt = new Date().toISOString()
    const env = buildReflection(identity, content, { id, createdAt })
    // Content within the store's limits can still be too big for one envelope (the schema and
    // the 64 KiB cap): such a reflection is kept unsigned and cannot be shared.
    const fits = envelopeType('swarm/reflection')?.schema.safeParse(env).success === true &&
      new TextEncoder().encode(JSON.stringify(env)).length <= Math.min(this.c.config.bus.maxEnvelopeBytes, 64 * 1024)
    const signed = fits ? { signature: env.signature.value, envelope: env } : {}
    const record = await this.store.add({ ...content, id, createdAt }, identity.nodeId, { ...signed, visibility, scope, signal })
    this.counts.local++
    this.log.info('reflection added', { id, outcome: record.outcome, signed: fits, visibility })
    return record
  }

  /** `reflect add` with `--share`: stored shared (and durable) first, then sent. */
  async addAndMaybeShare (params: AddParams, signal: AbortSignal): Promise<Record<string, unknown>> {
    const { share, ...input } = params
    const record = await this.add(input, signal, share === true && looksSuccessful(input.outcome) ? 'shared' : 'local')
    const out: Record<string, unknown> = { id: record.id, outcome: record.outcome, category: record.category, tags: record.tags, createdAt: record.createdAt, visibility: visibilityOf(record) }
    if (share !== true) return out
    try {
      return { ...out, ...await this.share(record.id, signal) }
    } catch (err) {
      // stored (and durable) even though the share was refused: say so in the error
      if (err instanceof SwarmError) {
        const detail: Record<string, unknown> = { ...(err.detail as Record<string, unknown> | undefined), id: record.id, stored: true }
        const why = typeof detail.reason === 'string' ? detail.reason : err.message
        throw new SwarmError(err.code, `stored as ${record.id}, but not shared: ${why}`, { detail })
      }
      throw err
    }
  }

  /**
   * Marks a stored reflection shared and sends it: to the federation's reflections topic, or, for
   * one learned from a private question, nowhere (it is then served to that question's
   * recipients only). A stored one from the swarm is re-announced.
   */
  async share (id: string, signal?: AbortSignal): Promise<ShareResult & { visibility: 'shared' }> {
    const record = await this.store.get(id)
    if (record === undefined) throw new NotFoundError('reflection', id)
    if (record.scope?.recipients !== undefined) {
      if (record.outcome !== 'success') throw new NotShareableError(id, 'only successful reflections are shared, and this one is a failure', { outcome: record.outcome })
      await this.store.setVisibility(id, 'shared', record.scope, { signal })
      this.log.info('reflection shared with its question\'s recipients', { id })
      return { id, shared: true, recipients: 0, direct: 0, visibility: 'shared' }
    }
    const res = await this.sharing.share(record, signal)
    if (visibilityOf(record) !== 'shared' || record.scope === undefined) {
      await this.store.setVisibility(id, 'shared', record.scope ?? { federation: this.c.identity.federation }, { signal })
    }
    return { ...res, visibility: 'shared' }
  }

  /** Stops serving a reflection (what peers already hold stays theirs). */
  async unshare (id: string, signal?: AbortSignal): Promise<{ id: string, visibility: 'local' }> {
    const r = await this.store.setVisibility(id, 'local', undefined, { signal })
    if (r === undefined) throw new NotFoundError('reflection', id)
    this.log.info('reflection unshared', { id })
    return { id, visibility: 'local' }
  }

  /** The scope of a reflection learned from question `qid`, as this node's bus knows it. */
  private async scopeOfQuestion (qid: string): Promise<ReflectionScope> {
    const rec = await this.c.questions?.getQuestion(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const q = rec.envelope
    const scope: ReflectionScope = { federation: q.sender['federation/id'], question: qid }
    if (q.delivery.scope === 'private' || q.delivery.scope === 'private-to-swarm') {
      scope.recipients = [...new Set([q.sender['node/id'], ...(rec.to ?? [])])]
    }
    return scope
  }

  /** Who a knowledge request reads for: the asking peer, of the federation it names (and holds, in a closed one). */
  private peerAudience (q: KnowledgeRequest, nodeId: string | undefined): Audience {
    if (nodeId === undefined) return { self: false, federation: undefined }
    let federation = q.federation
    const m = this.c.membership
    if (federation !== undefined && federation === this.c.identity.federation && m?.closed() === true && m.whyNot(nodeId) !== undefined) federation = undefined
    return { self: false, federation, readers: [nodeId] }
  }

  /** This node's curated answer (successes first) for `audience`, in wire form. */
  private async curated (query: string, limit: number, audience: Audience, signal?: AbortSignal): Promise<KnowledgeWireItem[]> {
    const items = await this.store.knowledge(query, limit, { audience, policy: this.policy, signal })
    return items.map((i) => ({ id: i.id, description: i.description, outcome: i.outcome, tags: i.tags, score: i.score, recommendations: i.recommendations, author: i.from, envelope: i.envelope }))
  }

  /**
   * What the reflections answerer may contribute to a remote question: only what may be served
   * to that question's channel (its federation's members, or a private question's recipients),
   * from this node's own store. Peers are not asked: each runs its own answerer.
   */
  async answerFor (q: QuestionEnvelope, o: { limit?: number, signal?: AbortSignal } = {}): Promise<{ items: KnowledgeResult[] }> {
    let to: string[] | undefined
    if (q.delivery.scope === 'private' || q.delivery.scope === 'private-to-swarm') {
      to = (await this.c.questions?.getQuestion(q.id))?.to ?? []
    }
    const audience = questionAudience(q, to)
    const text = [q.question.text, ...q.question.tags.filter((t) => !t.startsWith('parent:'))].join(' ').slice(0, 1024)
    const limit = Math.max(1, Math.min(MAX_KNOWLEDGE_ITEMS, o.limit ?? 3))
    const items = await this.curated(text, limit, audience, o.signal)
    return { items: mergeKnowledge([{ from: this.c.identity.nodeId, items }], limit) }
  }

  private readonly verify: VerifyReflection = (envelope) => {
    if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) return undefined
    const v = this.replyValidator.validateSync(envelope, { expectType: 'swarm/reflection', checkExpiry: false })
    return v.ok ? v.envelope as ReflectionEnvelope : undefined
  }

  /**
   * Local knowledge (all of it: this is the node's own query) merged with the curated answers of
   * every connected peer that speaks the protocol, asked in parallel until the deadline (default
   * 5 s); late or bad replies are left out, and so is every item whose signed envelope does not
   * verify. `knowledge(query, 5)` or `knowledge(query, { limit, timeoutMs, signal })`.
   */
  async knowledge (query: string, limitOrOptions: number | KnowledgeOptions = {}): Promise<KnowledgeAnswer> {
    const opts = typeof limitOrOptions === 'number' ? { limit: limitOrOptions } : limitOrOptions
    const limit = Math.max(1, Math.min(MAX_KNOWLEDGE_ITEMS, Math.floor(opts.limit ?? DEFAULT_KNOWLEDGE_ITEMS)))
    const timeoutMs = opts.timeoutMs ?? KNOWLEDGE_TIMEOUT_MS
    const signal = withTimeout(opts.signal, timeoutMs)
    this.numbers.knowledgeAsked++
    const peers = await this.knowledgePeers()
    const federation = this.c.identity.federation
    const [local, ...answers] = await Promise.all([
      this.curated(query, limit, { self: true }, opts.signal),
      ...peers.map(async (p) => {
        try {
          return { ok: true as const, ...p, ...await askKnowledge(this.c.libp2p, p.peer, p.nodeId, { query, limit, federation }, { signal, timeoutMs, verify: this.verify }) }
        } catch (err) {
          return { ok: false as const, ...p, error: err instanceof SwarmError ? `${err.code}: ${err.message}` : String(err) }
        }
      })
    ])
    const sources: KnowledgeSource[] = [{ from: this.c.identity.nodeId, items: local }]
    const failed: Array<{ nodeId: string, error: string }> = []
    for (const a of answers) {
      if (a.ok) {
        sources.push({ from: a.nodeId, items: a.items })
        if (a.dropped > 0) {
          this.numbers.knowledgeItemsRejected += a.dropped
          this.c.counters.inc('envelopes.rejected', 'bad-knowledge-item')
          this.log.info('knowledge: reply items dropped', { from: a.nodeId, dropped: a.dropped })
        }
      } else failed.push({ nodeId: a.nodeId, error: a.error })
    }
    if (failed.length > 0) this.log.debug('knowledge: peers left out', { failed })
    return { query, items: mergeKnowledge(sources, limit), peers: { asked: peers.length, answered: peers.length - failed.length, failed } }
  }

  /** Connected peers with a node id, once each, minus those known not to speak the protocol. */
  private async knowledgePeers (): Promise<Array<{ peer: PeerId, nodeId: string }>> {
    const seen = new Map<string, { peer: PeerId, nodeId: string }>()
    for (const conn of this.c.libp2p.getConnections()) {
      const key = conn.remotePeer.toString()
      if (seen.has(key)) continue
      const nodeId = nodeIdFromPeerId(conn.remotePeer)
      if (nodeId === undefined) continue
      seen.set(key, { peer: conn.remotePeer, nodeId })
    }
    const out: Array<{ peer: PeerId, nodeId: string }> = []
    for (const p of seen.values()) {
      // identify tells us the peer's protocols; a browser peer without a store is not asked
      const protocols: string[] = await this.c.libp2p.peerStore.get(p.peer).then((x) => x.protocols, () => [])
      if (protocols.length > 0 && !protocols.includes(PROTOCOL_KNOWLEDGE)) continue
      out.push(p)
    }
    return out
  }
}

/** `--share` of a failure stores it local: the share is then refused with the reason. */
function looksSuccessful (outcome: unknown): boolean {
  return typeof outcome === 'string' && /^success/i.test(outcome.trim())
}

/**
 * How far from the default score an author must be to stand apart from strangers: a few accepted
 * answers (+0.05 each) or upheld objections, not one (and not one invalid message relayed, −0.02).
 */
export const STANDING_MARGIN = 0.1

/** An author's standing from its score here against the default a stranger gets. */
export function standingFrom (reputation: { score: (nodeId: string) => Promise<number> }, defaultScore: number): (nodeId: string) => Promise<Standing> {
  return async (nodeId) => {
    const score = await reputation.score(nodeId)
    return score <= defaultScore - STANDING_MARGIN ? 0 : score >= defaultScore + STANDING_MARGIN ? 2 : 1
  }
}

export function createReflectionService (c: ReflectionComponents): ReflectionService {
  return new ReflectionService(c)
}
