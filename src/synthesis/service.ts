// The assistance service: this node's answerers (runner.ts), the synthesis of a channel into a
// signed summary (summary.ts, optionally phrased by an `openai` answerer), decomposition into
// sub-questions, and reputation from outcomes (outcomes.ts). It owns no protocol of its own:
// everything it says travels as bus envelopes (contributions, questions, summaries).
//
// Control methods: summarize {id, final?, phrase?}, decompose {id, questions[], tags?,
// requireModels?, ttlSec?}, reputation {nodeIds?}. Events: answerer:ran, answerer:failed,
// summary:published, reputation:changed.

import type { QuestionNotice, SynthesisBus } from '../bus/index.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import type { Logger } from '../kernel/logger.ts'
import type { ReputationBook } from '../reputation/index.ts'
import { handle } from '../control/methods/index.ts'
import { checkEligibility } from '../bus/core/eligibility.ts'
import { buildSummary } from '../envelope/index.ts'
import { normalizeScope } from '../envelope/schemas.ts'
import type { CloseEnvelope, QuestionEnvelope, SummaryEnvelope } from '../envelope/schemas.ts'
import { NotFoundError, SwarmError } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import { CommandAnswerer } from './answerers/command.ts'
import { OpenAIAnswerer } from './answerers/openai.ts'
import { ReflectionsAnswerer, type KnowledgeSource } from './answerers/reflections.ts'
import type { Answerer } from './answerers/types.ts'
import { INVALID_MESSAGE_DELTA, INVALID_MIN_INTERVAL_MS, isInvalidMessage, UPHELD_OBJECTION_DELTA, upheldObjections } from './outcomes.ts'
import { AnswerRunner } from './runner.ts'
import { summarize, type SubSummary, type SummaryContent } from './summary.ts'

export type AssistanceComponents = Pick<SwarmComponents, 'config' | 'identity' | 'control' | 'events' | 'counters' | 'log' | 'directory' | 'topics' | 'libp2p'> & {
  /** The question bus (the narrow part synthesis uses). */
  bus: SynthesisBus
  /** The node's one reputation book (the bus and tasks read and adjust the same one). */
  reputation: ReputationBook
  /** What the answerers may say from this node's reflections; without it, the reflections answerer finds nothing. */
  reflections?: KnowledgeSource
}

/** The tag that links a sub-question to its parent (the question envelope keeps its exact shape). */
export const PARENT_TAG = 'parent:'
/** A summary envelope must stay under the 64 KiB cap; item texts are cut to this when it would not. */
const SHORT_TEXT = 400
const MAX_SUMMARY_BYTES = 60 * 1024
const MAX_ITEMS = 256
const MAX_LISTED = 1024

export interface SummarizeOptions { final?: boolean, phrase?: boolean, signal?: AbortSignal }
export interface DecomposeOptions { questions: string[], tags?: string[], requireModels?: string[], ttlSec?: number }

export class AssistanceService implements SwarmService {
  readonly name = 'assistance'
  private readonly c: AssistanceComponents
  private readonly log: Logger
  private readonly answerers: Answerer[]
  private runner?: AnswerRunner
  private readonly offs: Array<() => void> = []
  private readonly lastInvalid = new Map<string, number>()
  private readonly numbers = { summaries: 0, decomposed: 0, upheld: 0, invalid: 0 }

  constructor (c: AssistanceComponents) {
    this.c = c
    this.log = c.log.child('assistance')
    // every answerer sees only what may reach the question's channel (reflections.answerFor)
    const reflections = (): KnowledgeSource | undefined => c.reflections
    this.answerers = c.config.answerers.map((a): Answerer => {
      switch (a.kind) {
        case 'command': return new CommandAnswerer(a, reflections)
        case 'openai': return new OpenAIAnswerer(a, process.env, reflections)
        case 'reflections': return new ReflectionsAnswerer(a, reflections)
      }
    })
  }

  private get bus (): SynthesisBus { return this.c.bus }

  private get me (): string { return this.c.identity.nodeId }

  async start (): Promise<void> {
    const bus = this.bus
    this.runner = new AnswerRunner({ bus, nodeId: this.me, events: this.c.events, counters: this.c.counters, log: this.log }, this.answerers)
    this.runner.start()
    this.offs.push(bus.onQuestion((n) => { void this.followChild(n) }))
    this.offs.push(this.c.events.on((e) => {
      if (e.type === 'question:state' && typeof e.id === 'string' && e.state !== 'open' && e.state !== 'answered') void this.judgeClose(e.id)
    }))
    this.offs.push(this.c.topics.onReject((reason, _topic, from) => { void this.chargeInvalid(reason, nodeIdFromPeerId(from)) }))
    const { control } = this.c
    handle(control, 'summarize', async (p, ctx) => {
      return await this.summarize(p.id, { final: p.final === true, phrase: p.phrase !== false, signal: ctx.signal })
    })
    handle(control, 'decompose', async (p) => await this.decompose(p.id, { questions: p.questions, tags: p.tags, requireModels: p.requireModels, ttlSec: p.ttlSec }))
    handle(control, 'reputation', async (p) => await this.reputation(p.nodeIds))
    if (process.env.SWARM_TEST_HOOKS === '1') {
      const { registerSynthesisTestHooks } = await import('./test-hooks.ts')
      registerSynthesisTestHooks(this.c)
    }
  }

  async stop (): Promise<void> {
    for (const off of this.offs.splice(0)) off()
    await this.runner?.stop()
  }

  stats (): Record<string, unknown> {
    return { assistance: { answerers: this.answerers.map((a) => a.label), ...this.runner?.numbers, ...this.numbers } }
  }

  // ---------------------------------------------------------------- synthesis

  /** Builds, signs and publishes a summary of the channel; returns the envelope. */
  async summarize (qid: string, o: SummarizeOptions = {}): Promise<SummaryEnvelope> {
    const bus = this.bus
    await bus.resolve(qid, o.signal)
    const shown = await bus.show(qid) as { envelope: QuestionEnvelope, secretary: string | null }
    const acting = shown.secretary ?? shown.envelope.sender['node/id']
    if (o.final === true && acting !== this.me) {
      throw new SwarmError('not-authorized', `only the asker or the acting secretary may publish a final summary of ${qid} (acting: ${acting})`, { detail: { id: qid, acting } })
    }
    const contributions = await bus.channelContributions(qid)
    const reputations: Record<string, number> = {}
    for (const c of contributions) {
      const id = c.envelope.sender['node/id']
      if (!(id in reputations)) reputations[id] = await this.c.reputation.score(id)
    }
    const result = summarize({ contributions, reputations, defaultReputation: this.c.config.reputation.default, subSummaries: await this.subSummaries(qid) })
    let content = result.content
    if (o.phrase !== false) content = await this.phrase(shown.envelope, content, o.signal)
    // the schema's caps: 256 items a section (the most confident kept), 1024 contributors and exclusions
    const build = (c: SummaryContent): SummaryEnvelope => buildSummary(this.c.identity, {
      questionId: qid,
      status: o.final === true ? 'final' : 'intermediate',
      facts: c.facts.slice(0, MAX_ITEMS),
      hypotheses: c.hypotheses.slice(0, MAX_ITEMS),
      recommendations: c.recommendations.slice(0, MAX_ITEMS),
      uncertainty: c.uncertainty,
      contributors: result.contributors.slice(0, MAX_LISTED),
      excluded: result.excluded.slice(0, MAX_LISTED)
    })
    let e = build(content)
    if (JSON.stringify(e).length > MAX_SUMMARY_BYTES) e = build(shorten(content))
    if (JSON.stringify(e).length > MAX_SUMMARY_BYTES) throw new SwarmError('too-large', `the summary of ${qid} does not fit in one envelope`)
    await bus.publishSummary(qid, e, o.signal)
    this.numbers.summaries++
    this.c.counters.inc('assistance.summaries', e.status)
    this.c.events.emit('summary:published', { questionId: qid, id: e.id, status: e.status, uncertainty: e.content.uncertainty })
    return e
  }

  /**
   * The latest summary of each sub-question (`parent:<qid>` tag) by its asker or secretary; a final
   * one is preferred. Only sub-questions the parent's own side asked count: anyone can tag a
   * question of its own `parent:<qid>`, and its summary would flow into this one.
   */
  private async subSummaries (qid: string): Promise<SubSummary[]> {
    const bus = this.bus
    const out: SubSummary[] = []
    const parent = await bus.store.getQuestion(qid)
    for (const rec of await bus.store.allQuestions()) {
      if (!rec.envelope.question.tags.includes(PARENT_TAG + qid)) continue
      if (parent === undefined || !(await this.isOwnSubQuestion(rec.envelope, parent.envelope))) continue
      const shown = await bus.show(rec.id) as { summaries: SummaryEnvelope[], secretary: string | null }
      const trusted = new Set([rec.envelope.sender['node/id'], ...(shown.secretary === null ? [] : [shown.secretary])])
      const best = shown.summaries
        .filter((s) => trusted.has(s.sender['node/id']))
        .sort((a, b) => (Number(b.status === 'final') - Number(a.status === 'final')) || (a['created-at'] < b['created-at'] ? 1 : a['created-at'] > b['created-at'] ? -1 : 0) || (a.id < b.id ? 1 : -1))[0]
      if (best !== undefined) out.push({ id: best.id, content: best.content })
    }
    return out
  }

  /** An `openai` answerer may reword the items; structure, confidences and sources stay as computed. */
  private async phrase (q: QuestionEnvelope, content: SummaryContent, signal?: AbortSignal): Promise<SummaryContent> {
    const llm = this.answerers.find((a): a is OpenAIAnswerer => a instanceof OpenAIAnswerer)
    if (llm === undefined) return content
    const items = [...content.facts, ...content.hypotheses, ...content.recommendations]
    try {
      const texts = await llm.phrase(q.question.text, items.map((i) => i.text), signal)
      if (texts === undefined) { this.log.info('summary phrasing did not fit; keeping the computed text', { id: q.id }); return content }
      let i = 0
      const re = (list: SummaryContent['facts']): SummaryContent['facts'] => list.map((item) => ({ ...item, text: texts[i++] }))
      return { facts: re(content.facts), hypotheses: re(content.hypotheses), recommendations: re(content.recommendations), uncertainty: content.uncertainty }
    } catch (err) {
      this.log.info('summary phrasing failed; keeping the computed text', { id: q.id, err: (err as Error).message })
      return content
    }
  }

  // ---------------------------------------------------------------- decomposition

  /** Publishes sub-questions linked to `qid` (tag `parent:<qid>`), in the parent's scope, with its filters. */
  async decompose (qid: string, o: DecomposeOptions): Promise<{ parent: string, questions: Array<{ id: string, text: string, tags: string[], routes: string[] }> }> {
    const bus = this.bus
    const rec = await bus.store.getQuestion(qid)
    if (rec === undefined) throw new NotFoundError('question', qid)
    const shown = await bus.show(qid) as { state: string }
    if (shown.state !== 'open' && shown.state !== 'answered') throw new SwarmError('closed', `question ${qid} is ${shown.state}: no sub-questions any more`, { detail: { id: qid } })
    const parent = rec.envelope
    const remaining = Math.floor((Date.parse(parent['created-at']) + parent['ttl-sec'] * 1000 - Date.now()) / 1000)
    if (remaining < 1) throw new SwarmError('late', `question ${qid} has expired`, { detail: { id: qid } })
    const scope = normalizeScope(parent.delivery.scope) as 'private' | 'federation-local' | 'cross-federation' | 'global'
    const base = o.tags !== undefined && o.tags.length > 0 ? o.tags : parent.question.tags.filter((t) => !t.startsWith(PARENT_TAG))
    const tags = [...new Set([...base, PARENT_TAG + qid])]
    const filters = parent.filters
    const requireModels = o.requireModels ?? filters['models/require']
    const out = []
    for (const text of o.questions) {
      const asked = await bus.ask({
        text,
        scope,
        ttlSec: Math.min(o.ttlSec ?? remaining, remaining),
        urgency: parent.question.urgency,
        tags,
        followUps: parent.delivery['follow-ups?'] !== false,
        requireModels,
        excludeModels: filters['models/exclude'],
        minReputation: filters['responder/min-reputation'],
        languages: filters.languages,
        to: scope === 'private' ? (rec.to ?? []).filter((n) => n !== this.me) : undefined,
        federations: scope === 'cross-federation' ? rec.federations : undefined
      })
      out.push({ id: asked.id, text, tags, routes: this.routes(asked.envelope) })
    }
    this.numbers.decomposed += out.length
    return { parent: qid, questions: out }
  }

  /**
   * Nodes of the peer directory a sub-question suits: they pass its filters (models, languages),
   * and when it has tags other than the parent link, one of them names a capability, task type
   * or model the node advertises. Informational: delivery is the bus's scope, and each node's
   * eligibility and answerer filters decide.
   */
  private routes (q: QuestionEnvelope): string[] {
    const norm = (s: string): string => s.replace(/^model:/, '').toLowerCase()
    const tags = q.question.tags.filter((t) => !t.startsWith(PARENT_TAG)).map(norm)
    return this.c.directory.list().filter((e) => {
      if (!checkEligibility(q.filters, { models: e.models, languages: e.languages }).ok) return false
      if (tags.length === 0) return true
      const offers = new Set([...e.capabilities, ...e.taskTypes, ...e.models].map(norm))
      return tags.some((t) => offers.has(t))
    }).map((e) => e.nodeId).sort()
  }

  /**
   * Asked by the parent's asker, by this node (which decomposes what it acts for), or by the
   * parent's appointed shadow while it stood as secretary (it may have stepped back since: what it
   * decomposed then still belongs to the parent). A volunteer secretary's are not: the date is
   * its own, and any node that once stood could date new sub-questions into that window.
   */
  private async isOwnSubQuestion (sub: QuestionEnvelope, parent: QuestionEnvelope): Promise<boolean> {
    const asker = sub.sender['node/id']
    if (asker === parent.sender['node/id'] || asker === this.me) return true
    return await this.bus.stoodFor(parent.id, asker, Date.parse(sub['created-at']))
  }

  /** A sub-question of a question this node asks (or acts for): follow its channel, so its summaries reach the parent's synthesis. */
  private async followChild (n: QuestionNotice): Promise<void> {
    if (n.kind !== 'question') return
    const tag = n.question.question.tags.find((t) => t.startsWith(PARENT_TAG))
    if (tag === undefined) return
    try {
      const parent = await this.bus.store.getQuestion(tag.slice(PARENT_TAG.length))
      if (parent === undefined || (parent.role !== 'asker' && parent.role !== 'secretary')) return
      if (!(await this.isOwnSubQuestion(n.question, parent.envelope))) return
      await this.bus.join(n.question.id, 'watcher')
    } catch (err) {
      this.log.debug('cannot follow sub-question', { id: n.question.id, err: (err as Error).message })
    }
  }

  // ---------------------------------------------------------------- reputation from outcomes

  /** After this node's own close: each objection it accepted lowers the objected author's score. */
  private async judgeClose (qid: string): Promise<void> {
    try {
      const bus = this.bus
      const shown = await bus.show(qid) as { close: CloseEnvelope | null }
      const close = shown.close
      if (close === null || close.sender['node/id'] !== this.me || close.accepted.length === 0) return
      const contributions = (await bus.channelContributions(qid)).filter((c) => c.excluded === undefined).map((c) => c.envelope)
      for (const u of upheldObjections(close, contributions)) {
        const rec = await this.c.reputation.adjust(u.author, UPHELD_OBJECTION_DELTA, `objection ${u.objection} upheld against ${u.target}`, { objected: true })
        this.numbers.upheld++
        this.c.events.emit('reputation:changed', { nodeId: u.author, score: rec.score, reason: 'objection-upheld', questionId: qid, contribution: u.target })
      }
    } catch (err) {
      this.log.warn('reputation update after close failed', { id: qid, err: (err as Error).message })
    }
  }

  /** An invalid message (a reject, not a policy refusal) lowers the sending peer's score, once a second at most. */
  private async chargeInvalid (reason: string, nodeId: string | undefined): Promise<void> {
    if (nodeId === undefined || nodeId === this.me || !isInvalidMessage(reason)) return
    const now = Date.now()
    if (now - (this.lastInvalid.get(nodeId) ?? 0) < INVALID_MIN_INTERVAL_MS) return
    if (this.lastInvalid.size >= 4096) this.lastInvalid.clear()
    this.lastInvalid.set(nodeId, now)
    try {
      const rec = await this.c.reputation.adjust(nodeId, INVALID_MESSAGE_DELTA, `invalid message: ${reason}`, { invalid: true })
      this.numbers.invalid++
      this.c.events.emit('reputation:changed', { nodeId, score: rec.score, reason: 'invalid-message', detail: reason })
    } catch (err) {
      this.log.debug('reputation charge failed', { nodeId, err: (err as Error).message })
    }
  }

  /** `swarm reputation`: every node this node has a record of (or the ones asked for, strangers at the default). */
  async reputation (nodeIds?: string[]): Promise<Array<{ nodeId: string, score: number, accepted: number, objected: number, invalid: number }>> {
    const book = this.c.reputation
    const records = nodeIds !== undefined && nodeIds.length > 0 ? await Promise.all(nodeIds.map(async (id) => await book.record(id))) : await book.list()
    return records
      .map((r) => ({ nodeId: r.nodeId, score: Math.round(r.score * 1000) / 1000, accepted: r.accepted, objected: r.objected, invalid: r.invalid ?? 0 }))
      .sort((a, b) => a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0)
  }
}

function shorten (content: SummaryContent): SummaryContent {
  const cut = (list: SummaryContent['facts']): SummaryContent['facts'] => list.map((i) => ({ ...i, text: i.text.length > SHORT_TEXT ? i.text.slice(0, SHORT_TEXT - 1) + '…' : i.text }))
  return { facts: cut(content.facts), hypotheses: cut(content.hypotheses), recommendations: cut(content.recommendations), uncertainty: content.uncertainty }
}
