// Runs this node's answerers: on each new eligible question the bus announces, and again when a
// clarification arrives in a channel this node takes part in. Answerers serving the question
// (scopes, tags, urgencies) run in parallel, each under its own deadline; their drafts are posted
// through the bus as `node-generated` contributions. A failing answerer is logged and counted and
// changes nothing else. A draft this node already posted to the question (same kind and text) is
// not posted again, so a rerun after a clarification adds only what is new.
// Runs wait in a bounded queue that is fair per asker (src/synthesis/fair-queue.ts): every remote
// question may be a paid model call, so a stranger asking thousands gets its own few turns and
// the rest are dropped and counted (`assistance.dropped`), while other askers keep theirs.

import type { QuestionBus, QuestionNotice } from '../bus/index.ts'
import type { Counters } from '../kernel/counters.ts'
import type { SwarmEvents } from '../kernel/events.ts'
import type { Logger } from '../kernel/logger.ts'
import type { QuestionEnvelope } from '../envelope/schemas.ts'
import { SwarmError } from '../errors.ts'
import { serves, type AnswerInput, type Answerer, type Draft } from './answerers/types.ts'
import { FairQueue } from './fair-queue.ts'

export interface RunnerComponents {
  bus: Pick<QuestionBus, 'onQuestion' | 'channelContributions' | 'contribute'>
  nodeId: string
  events: SwarmEvents
  counters: Counters
  log: Logger
}

/** Default deadline of one answerer run when its config names none (command 20 s, openai 60 s). */
const DEFAULT_DEADLINE_MS = 20_000
/** Question runs at once (the machine running a daemon is usually small). */
const MAX_CONCURRENT = 2
/** Runs waiting in all, and per asker. */
export const MAX_QUEUED = 64
export const MAX_QUEUED_PER_SENDER = 4

interface Job { qid: string, sender: string, run: () => Promise<void> }
/** Bus refusals after which posting more drafts to that question is pointless. */
const FINAL_REFUSALS = new Set(['late', 'closed', 'filtered-out', 'not-found'])

export class AnswerRunner {
  private readonly c: RunnerComponents
  private readonly answerers: Answerer[]
  private readonly controller = new AbortController()
  private readonly chains = new Map<string, Promise<void>>()
  private readonly posted = new Map<string, Set<string>>()
  private running = 0
  private readonly queue: FairQueue<Job>
  private off?: () => void
  readonly numbers = { runs: 0, posted: 0, failed: 0, dropped: 0 }

  constructor (c: RunnerComponents, answerers: Answerer[], limits: { maxQueued?: number, maxQueuedPerSender?: number, maxConcurrent?: number } = {}) {
    this.c = c
    this.answerers = answerers
    this.queue = new FairQueue({ maxTotal: limits.maxQueued ?? MAX_QUEUED, maxPerKey: limits.maxQueuedPerSender ?? MAX_QUEUED_PER_SENDER })
    this.maxConcurrent = limits.maxConcurrent ?? MAX_CONCURRENT
  }

  private readonly maxConcurrent: number

  /** Runs waiting for a turn now. */
  get queued (): number { return this.queue.size }

  start (): void {
    if (this.answerers.length === 0) return
    this.off = this.c.bus.onQuestion((n) => { this.onNotice(n) })
  }

  async stop (): Promise<void> {
    this.off?.()
    this.controller.abort()
    this.queue.clear()
    await Promise.allSettled([...this.chains.values()])
  }

  /** Resolves when every run queued so far has finished (tests, shutdown). */
  async idle (): Promise<void> {
    while (this.chains.size > 0 || this.queue.size > 0) await Promise.allSettled([...this.chains.values()])
  }

  private onNotice (n: QuestionNotice): void {
    // a clarification request is for the asker's operator; the asker's own answerers stay out
    if (n.kind === 'clarification-request') return
    if (n.kind === 'clarification' && (n.role === 'asker' || n.role === 'secretary')) return
    const list = this.answerers.filter((a) => serves(a.config, n.question))
    if (list.length === 0) return
    const trigger = n.kind === 'question' ? 'question' : 'clarification'
    const qid = n.question.id
    const sender = n.question.sender['node/id']
    const job: Job = { qid, sender, run: async () => { await this.run(n.question, trigger, list) } }
    const res = this.queue.push(sender, job, (dropped) => { this.dropped(dropped, 'evicted') })
    if (res !== 'queued') { this.dropped(job, res); return }
    this.pump()
  }

  private dropped (job: Job, why: string): void {
    this.numbers.dropped++
    this.c.counters.inc('assistance.dropped', why)
    this.c.log.info('answerer run dropped', { id: job.qid, sender: job.sender, why })
  }

  /** Starts queued runs while there are free slots, senders in turn. */
  private pump (): void {
    while (this.running < this.maxConcurrent && !this.controller.signal.aborted) {
      const job = this.queue.shift()
      if (job === undefined) return
      this.running++
      // one run at a time per question, in arrival order
      const prev = this.chains.get(job.qid) ?? Promise.resolve()
      const next = prev.then(job.run).catch((err) => { this.c.log.warn('answerer run failed', { id: job.qid, err: (err as Error).message }) })
      this.chains.set(job.qid, next)
      void next.finally(() => {
        if (this.chains.get(job.qid) === next) this.chains.delete(job.qid)
        this.running--
        this.pump()
      })
    }
  }

  private async run (q: QuestionEnvelope, trigger: AnswerInput['trigger'], list: Answerer[]): Promise<void> {
    if (this.controller.signal.aborted) return
    const channel = await this.c.bus.channelContributions(q.id)
    const contributions = channel.filter((x) => x.excluded === undefined).map((x) => x.envelope)
    const mine = this.postedTo(q.id)
    for (const c of contributions) if (c.sender['node/id'] === this.c.nodeId) mine.add(key(c))
    const input: AnswerInput = { question: q, contributions, trigger }
    this.numbers.runs++
    const results = await Promise.allSettled(list.map(async (a) => {
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(deadlineOf(a))])
      return await a.answer(input, signal)
    }))
    for (let i = 0; i < list.length; i++) {
      const a = list[i]
      const r = results[i]
      if (r.status === 'rejected') {
        const err = r.reason as Error & { code?: string, detail?: unknown }
        this.numbers.failed++
        this.c.counters.inc('assistance.answerers', `${a.kind}:failed`)
        this.c.log.warn('answerer failed', { answerer: a.label, id: q.id, code: err.code ?? err.name, err: err.message, detail: err.detail })
        this.c.events.emit('answerer:failed', { questionId: q.id, answerer: a.label, trigger, error: err.code ?? err.name })
        continue
      }
      this.c.counters.inc('assistance.answerers', `${a.kind}:ok`)
      const posted: string[] = []
      for (const d of r.value) {
        if (mine.has(key(d))) continue
        try {
          const res = await this.c.bus.contribute(q.id, { kind: d.kind, text: d.text, confidence: d.confidence, sources: d.sources, replyTo: d.replyTo, origin: 'node-generated' }, this.controller.signal)
          mine.add(key(d))
          posted.push(res.id)
          this.numbers.posted++
        } catch (err) {
          const code = err instanceof SwarmError ? err.code : (err as Error).name
          this.c.log.info('answerer draft not posted', { answerer: a.label, id: q.id, kind: d.kind, code, err: (err as Error).message })
          if (FINAL_REFUSALS.has(code)) break
        }
      }
      this.c.events.emit('answerer:ran', { questionId: q.id, answerer: a.label, trigger, drafts: r.value.length, posted })
    }
  }

  private postedTo (qid: string): Set<string> {
    let s = this.posted.get(qid)
    if (s === undefined) {
      if (this.posted.size >= 1024) this.posted.delete(this.posted.keys().next().value as string)
      s = new Set()
      this.posted.set(qid, s)
    }
    return s
  }
}

const key = (d: Pick<Draft, 'kind' | 'text'>): string => `${d.kind}\u0000${d.text.trim()}`

function deadlineOf (a: Answerer): number {
  const sec = (a.config as { timeoutSec?: number }).timeoutSec
  return sec !== undefined ? sec * 1000 + 2000 : a.kind === 'openai' ? 62_000 : DEFAULT_DEADLINE_MS + 2000
}
