// The tasks service: capability adverts, the /swarm/task/1.0.0 executor side (verify, refuse or
// queue, run, answer; here) and the delegating side (delegation.ts), every step in the audit log
// under the task's correlation id. Control methods: methods.ts; the signed answer: response.ts.
//   const tasks = new TaskService(components)
//   await tasks.start()
//   const r = await tasks.run({ type: 'python-computation', data: { code: 'print(6*7)' } })
//   r.success && r.result.stdout  // '42\n', from a peer

import { stat } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import {
  catalogue, newId, EnvelopeValidator, envelopeSchema, fields as envelopeFields, type TaskRequestEnvelope
} from '../envelope/index.ts'
import { SwarmError, scopedSignal, toSwarmError } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import type { ReputationBook } from '../reputation/index.ts'
import { CapabilityAdverts } from './adverts.ts'
import { checkTaskAcceptable, detectCapabilities, pythonExecutor, type Capabilities, type PythonExecutor } from './capabilities.ts'
import { Delegation, type RunTaskResult } from './delegation.ts'
import { checkTaskData, executeTask, fitResult, type ExecutorSettings } from './execute.ts'
import { registerTaskMethods } from './methods.ts'
import { handleTaskStreams, unhandleTaskStreams, type InboundTask } from './protocol.ts'
import { RunQueue } from '../kernel/run-queue.ts'
import { RefusalAudit } from './refusal-audit.ts'
import { whyNotPythonSender } from './python-senders.ts'
import { TaskRecords, type TaskRecord } from './records.ts'
import { taskResponseBytes, type TaskOutcome } from './response.ts'
import type { RunTaskParams } from './run-params.ts'
import { settingsOf, type Settings } from './settings.ts'
import { TASK_REQUEST_MAX_BYTES, TASK_RESPONSE_MAX_BYTES } from './constants.ts'

export type TaskServiceComponents = Pick<SwarmComponents,
  'paths' | 'config' | 'identity' | 'db' | 'libp2p' | 'topics' | 'control' | 'events' | 'counters' | 'log' | 'audit' | 'directory' | 'membership'> & {
  /** The node's one reputation book: peers are ranked by it, and a lying receipt is charged there. */
  reputation: ReputationBook
  /** Where an inbound task's attachments come from (the blobs part); without it, such tasks are refused. */
  attachments?: AttachmentSource
}

/** An executor for an extra task type: gets the request's data, returns the result object. */
export type ExtraExecutor = (data: Record<string, unknown>, opts: { signal: AbortSignal, timeoutMs: number }) => Promise<Record<string, unknown>>

export interface TaskServiceInit {
  /** Where code-generation finds `apiKeyEnv` variables (default process.env). */
  env?: Record<string, string | undefined>
  /**
   * Extra task types this node accepts and advertises, with no capability required (the
   * benchmark's trivial `echo`, tests). Never set from config: the daemon passes none.
   */
  executors?: Record<string, ExtraExecutor>
}

/** What the attachments part offers the executor: a held, verified copy of a named file. */
export interface AttachmentSource { fetchToPath: (cid: string, from: PeerId, size: number, signal: AbortSignal) => Promise<string> }

export { parseRunParams, type RunTaskParams } from './run-params.ts'
export type { RunTaskResult } from './delegation.ts'

export class TaskService implements SwarmService {
  readonly name = 'tasks'
  private readonly c: TaskServiceComponents
  private readonly env: Record<string, string | undefined>
  private readonly log: SwarmComponents['log']
  private readonly extra: ReadonlyMap<string, ExtraExecutor>
  private settings: Settings
  private local: Capabilities
  private readonly queue: RunQueue
  private readonly adverts: CapabilityAdverts
  private readonly records: TaskRecords
  private readonly requests: EnvelopeValidator
  private readonly responses: EnvelopeValidator
  private readonly inbound = new Set<AbortController>()
  /** Which refusals are written to the audit log (refusal-audit.ts). */
  private readonly refusals = new RefusalAudit((cid, detail) => { void this.audit('task.refused', cid, detail) }, (code) => { this.c.counters.inc('tasks.audit-suppressed', code) })
  private readonly delegation: Delegation
  private readonly rtt = new Map<string, number>()
  private configMtime = 0
  private readonly nodeIds = new Map<string, string>()
  private started = false
  /** How python-computation runs here (jail plan, or why it is refused); re-probed on refresh. */
  private python?: PythonExecutor
  private readonly counts = { received: 0, completed: 0, failed: 0, refused: 0, delegated: 0, delegatedOk: 0, delegatedFailed: 0 }

  constructor (components: TaskServiceComponents, init: TaskServiceInit = {}) {
    this.c = components
    this.env = init.env ?? process.env
    this.log = components.log.child('tasks')
    this.extra = new Map(Object.entries(init.executors ?? {}))
    this.settings = settingsOf(components.config)
    this.local = { capabilities: [], taskTypes: [], models: this.settings.models, languages: this.settings.languages }
    const { config } = components
    this.queue = new RunQueue({ maxConcurrent: config.tasks.maxConcurrent, maxQueued: config.tasks.maxQueued, onChange: () => { this.adverts.loadChanged() } })
    this.records = new TaskRecords(components.db.bucket('tasks'))
    // Task envelopes travel only on the task stream, where frames may be larger than gossip's 64 KiB.
    const big = new Map(catalogue)
    for (const [type, max] of [['swarm/task-request', TASK_REQUEST_MAX_BYTES], ['swarm/task-response', TASK_RESPONSE_MAX_BYTES]] as const) {
      const row = catalogue.get(type)
      if (row !== undefined) big.set(type, { ...row, maxBytes: max })
    }
    // The response schema without its result-xor-error refinement, which the validator's compiled
    // fast path cannot express (zod would run on every response); attempt() checks it instead.
    const res = big.get('swarm/task-response')
    if (res !== undefined) big.set('swarm/task-response', { ...res, schema: envelopeSchema('swarm/task-response', 'task-result', envelopeFields.taskResponse) })
    const skew = config.bus.clockSkewSec
    this.requests = new EnvelopeValidator({ clockSkewSec: skew, maxBytes: TASK_REQUEST_MAX_BYTES, catalogue: big })
    this.responses = new EnvelopeValidator({ clockSkewSec: skew, maxBytes: TASK_RESPONSE_MAX_BYTES, catalogue: big })
    this.adverts = new CapabilityAdverts({
      libp2p: components.libp2p,
      topics: components.topics,
      identity: components.identity,
      directory: components.directory,
      log: components.log.child('tasks:adverts'),
      intervalMs: config.tasks.advertIntervalSec * 1000,
      ttlSec: config.tasks.advertTtlSec,
      clockSkewSec: skew,
      maxEnvelopeBytes: config.bus.maxEnvelopeBytes,
      local: () => this.local,
      load: () => ({ queueLength: this.queue.queued, running: this.queue.running }),
      onTick: async () => { await this.refresh() },
      onPeerAdvert: (entry, isNew) => { if (isNew) void this.measureRtt(entry.peerId) }
    })
    this.delegation = new Delegation({
      libp2p: components.libp2p,
      identity: components.identity,
      directory: components.directory,
      events: components.events,
      log: this.log,
      reputation: components.reputation,
      defaultReputation: config.reputation.default,
      records: this.records,
      responses: this.responses,
      settings: () => this.settings,
      audit: async (kind, cid, detail) => await this.audit(kind, cid, detail),
      counts: this.counts,
      rtt: this.rtt,
      nodeIdOf: (p) => this.nodeIdOf(p)
    })
  }


  async start (): Promise<void> {
    const interrupted = await this.records.recover()
    if (interrupted > 0) this.log.info('tasks interrupted by the last stop marked failed', { count: interrupted })
    this.local = await this.detect()
    this.configMtime = await this.mtime()
    this.registerMethods()
    await handleTaskStreams(this.c.libp2p, async (task) => await this.onInbound(task))
    this.adverts.start()
    this.started = true
    this.log.info('tasks ready', { capabilities: this.local.capabilities, taskTypes: this.local.taskTypes })
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    const stopping = new SwarmError('aborted', 'the daemon is stopping')
    for (const ac of this.inbound) ac.abort(stopping)
    this.delegation.abortAll(stopping)
    await this.adverts.stop()
    await unhandleTaskStreams(this.c.libp2p).catch(() => {})
    await this.records.flush()
  }

  stats (): Record<string, unknown> {
    return {
      capabilities: [...this.local.capabilities],
      tasks: {
        taskTypes: [...this.local.taskTypes],
        running: this.queue.running,
        queued: this.queue.queued,
        ...this.counts,
        advertsPublished: this.adverts.published,
        advertsReceived: this.adverts.received,
        peersKnown: this.c.directory.list({ federation: this.c.identity.federation }).length
      }
    }
  }

  /** What this node offers now. */
  capabilities (): Capabilities { return { ...this.local } }

  private async detect (): Promise<Capabilities> {
    const s = this.settings
    const input = { tasksAccept: s.accept, safePrefixes: s.safePrefixes, openaiEndpoints: s.endpoints, models: s.models, languages: s.languages, python: s.python, unsafeHostExecution: s.unsafeHostExecution }
    if (s.accept.includes('python-computation')) {
      const py = await pythonExecutor(input)
      if (py.why !== this.python?.why) {
        // Said once per change, loudly when remote code would run unjailed or is refused.
        if (py.usable && py.isolation === 'none') this.log.error(`python-computation: ${py.why}`)
        else if (!py.usable) this.log.warn(`python-computation not offered: ${py.why}`)
        else this.log.info(`python-computation ${py.why}`)
      }
      this.python = py
    } else {
      this.python = undefined
    }
    const caps = await detectCapabilities(input, this.python)
    return this.extra.size === 0 ? caps : { ...caps, taskTypes: [...caps.taskTypes, ...this.extra.keys()] }
  }

  private async mtime (): Promise<number> {
    try { return (await stat(this.c.paths.config)).mtimeMs } catch { return 0 }
  }

  /**
   * Periodic: re-reads config.json when it changed (so `swarm config set tasks.accept …` takes
   * effect without a restart) and re-detects capabilities; a change is advertised at once.
   */
  private async refresh (): Promise<void> {
    const m = await this.mtime()
    if (m !== this.configMtime) {
      this.configMtime = m
      try {
        const { loadConfig } = await import('../config/load.ts')
        this.settings = settingsOf(await loadConfig({ file: this.c.paths.config, env: process.env }))
        this.log.info('task settings reloaded from config.json')
      } catch (err) {
        this.log.warn('config.json changed but does not load; task settings kept', { err: (err as Error).message })
      }
    }
    const next = await this.detect()
    if (JSON.stringify(next) !== JSON.stringify(this.local)) {
      this.local = next
      this.log.info('capabilities changed', { capabilities: next.capabilities, taskTypes: next.taskTypes })
      this.adverts.changed()
    }
  }

  private async measureRtt (peerId: string): Promise<void> {
    try {
      const ms = await this.c.libp2p.services.ping.ping(peerIdFromString(peerId), { signal: AbortSignal.timeout(5000) })
      this.rtt.set(peerId, ms)
    } catch { /* unknown RTT ranks last among equals */ }
  }

  private registerMethods (): void {
    registerTaskMethods(this.c.control, { audit: this.c.audit, directory: this.c.directory, identity: this.c.identity, records: this.records, local: () => this.local, run: async (p, signal) => await this.run(p, signal) })
  }

  private audit (kind: string, correlationId: string, detail: Record<string, unknown>): Promise<unknown> {
    const p = this.c.audit.append({ kind, correlationId, detail })
    p.catch((err: Error) => { this.log.error('audit append failed', { kind, correlationId, err: err.message }) })
    return p
  }

  // ---- executor side ---------------------------------------------------------------------

  private async onInbound (task: InboundTask): Promise<Uint8Array> {
    const started = performance.now()
    const from = task.from.toString()
    const verdict = this.requests.validateSync(task.request, { expectType: 'swarm/task-request' })
    if (!verdict.ok) {
      // Unverified: nothing in it is trusted, not even its correlation id.
      const cid = `unverified:${newId('task')}`
      this.counts.refused++
      this.c.counters.inc('tasks.refused', 'bad-request')
      this.refusals.record(from, cid, { from, code: 'bad-request', reason: verdict.reason, message: verdict.detail })
      return this.respond(cid, started, { error: { code: 'bad-request', message: `request refused: ${verdict.reason}: ${verdict.detail}` } })
    }
    const req = verdict.envelope as TaskRequestEnvelope
    const cid = req['correlation-id']
    const type = req['task/type']
    const nodeId = req.sender['node/id']
    this.counts.received++
    this.c.events.emit('task:received', { correlationId: cid, taskType: type, from, nodeId })
    const rec = this.records.create({ correlationId: cid, direction: 'in', type, state: 'queued', peerId: from, nodeId })
    // a refused request gets one entry (task.refused, with what task.received would have said),
    // within the sender's audit allowance: refusals are what a stranger can send without end
    const refusal = this.judge(req, task.from)
    if (refusal !== null) return await this.refuse(rec, refusal, started, req)
    // On record before anything runs: appends are chained in call order, so this entry precedes
    // the task's outcome; its fsync proceeds beside the run (see docs/tasks.md, Audit).
    void this.audit('task.received', cid, { type, from, nodeId, requestId: req.id, deadline: req.deadline })

    const ac = new AbortController()
    const remaining = Date.parse(req.deadline) - Date.now()
    // The executor stops at the deadline itself; this is the backstop, and the caller's giving up.
    const scope = scopedSignal([task.signal, ac.signal], remaining + 1000)
    const signal = scope.signal
    this.inbound.add(ac)
    let outcome: { result?: Record<string, unknown>, error?: { code: string, message: string } }
    try {
      const result = await this.queue.run(async () => {
        const left = Date.parse(req.deadline) - Date.now()
        const extra = this.extra.get(type)
        if (extra !== undefined) return await extra(req.data, { signal, timeoutMs: left })
        const files = await this.attachmentsOf(req, task.from, signal)
        return await executeTask(type, req.data, this.executorSettings(), { signal, timeoutMs: left, remote: true, files })
      }, { signal, onStart: () => { this.records.update(rec, { state: 'running' }) } })
      outcome = { result: fitResult(result, TASK_RESPONSE_MAX_BYTES - 4096) }
    } catch (err) {
      const e = toSwarmError(err)
      if (e.code === 'busy') return await this.refuse(rec, e, started, req)
      // The detail (endpoint URLs, provider errors, paths) is for this node's operator only.
      if (e.detail !== undefined) this.log.warn('task failed', { correlationId: cid, type, code: e.code, detail: e.detail })
      outcome = { error: { code: /^[a-z0-9][a-z0-9._-]{0,63}$/i.test(e.code) ? e.code : 'internal', message: e.message.slice(0, 4000) } }
    } finally {
      scope.done()
      this.inbound.delete(ac)
    }
    const durationMs = Math.round(performance.now() - started)
    const ok = outcome.error === undefined
    if (ok) this.counts.completed++
    else this.counts.failed++
    this.c.counters.inc('tasks.executed', ok ? 'succeeded' : outcome.error?.code ?? 'failed')
    this.records.update(rec, { state: ok ? 'succeeded' : 'failed', durationMs, error: outcome.error })
    const exitCode = outcome.result?.exitCode
    void this.audit('task.run', cid, { type, from, outcome: ok ? 'succeeded' : 'failed', code: outcome.error?.code, exitCode, durationMs })
    this.c.events.emit('task:completed', { correlationId: cid, taskType: type, direction: 'in', success: ok, from, durationMs, error: outcome.error })
    return this.respond(cid, started, outcome, req)
  }

  /** The request's attachments, fetched (from the requester first) and verified, as files to hand the executor. */
  private async attachmentsOf (req: TaskRequestEnvelope, from: PeerId, signal: AbortSignal): Promise<Array<{ name: string, path: string }> | undefined> {
    if (req.attachments === undefined) return undefined
    const source = this.c.attachments
    if (source === undefined) throw new SwarmError('attachments-unavailable', 'this node cannot fetch attachments')
    const files: Array<{ name: string, path: string }> = []
    for (const a of req.attachments) files.push({ name: a.name ?? a.cid, path: await source.fetchToPath(a.cid, from, a.size, signal) })
    return files
  }

  /** Why this node will not run `req`, or null. */
  private judge (req: TaskRequestEnvelope, from: PeerId): SwarmError | null {
    // The envelope is signed by the node on the other end of this stream, nobody else.
    if (req.sender['node/id'] !== this.nodeIdOf(from)) return new SwarmError('bad-request', 'the request is not signed by the peer that sent it')
    if (req.sender['federation/id'] !== this.c.identity.federation) {
      return new SwarmError('not-accepted', `this node takes tasks only from federation ${this.c.identity.federation}`)
    }
    const notTaken = this.extra.has(req['task/type']) ? null : checkTaskAcceptable(req['task/type'], this.settings.accept, this.local.capabilities)
    if (notTaken !== null) return notTaken
    if (req['task/type'] === 'python-computation') {
      const why = whyNotPythonSender(req.sender['node/id'], this.c.membership, this.settings.allowFrom)
      if (why !== undefined) return new SwarmError('not-allowed', why)
    }
    if (Date.parse(req.deadline) <= Date.now()) return new SwarmError('expired', `the deadline ${req.deadline} has passed`)
    const bad = checkTaskData(req['task/type'], req.data)
    if (bad !== null) return bad
    if (this.queue.full) return new SwarmError('busy', `this node is busy (${this.queue.running} running, ${this.queue.queued} queued)`)
    return null
  }

  /** The isolation class of the executor that runs (or would run) `type`. */
  private isolationOf (type: string): string {
    return type === 'python-computation' ? this.python?.isolation ?? 'none' : 'none'
  }

  private async refuse (rec: TaskRecord, err: SwarmError, started: number, req?: TaskRequestEnvelope): Promise<Uint8Array> {
    this.counts.refused++
    this.c.counters.inc('tasks.refused', err.code)
    const error = { code: err.code, message: err.message.slice(0, 4000) }
    this.records.update(rec, { state: 'refused', error })
    this.refusals.record(rec.peerId ?? 'unknown', rec.correlationId, { type: rec.type, from: rec.peerId, nodeId: rec.nodeId, code: err.code, message: error.message, ...(req === undefined ? {} : { requestId: req.id, deadline: req.deadline }) })
    this.c.events.emit('task:completed', { correlationId: rec.correlationId, taskType: rec.type, direction: 'in', success: false, from: rec.peerId, refused: true, error })
    return this.respond(rec.correlationId, started, { error }, req)
  }

  /** The signed response; for a verified request it carries the signed receipt of the outcome. */
  private respond (correlationId: string, started: number, outcome: TaskOutcome, req?: TaskRequestEnvelope): Uint8Array {
    const isolation = req === undefined ? 'none' : this.isolationOf(req['task/type'])
    return taskResponseBytes(this.c.identity, correlationId, started, outcome, req, isolation, (err) => {
      this.log.warn('task result not encodable', { correlationId, err: err.message })
    })
  }

  private executorSettings (): ExecutorSettings {
    const s = this.settings
    return { python: s.python, timeoutMs: s.timeoutSec * 1000, memoryMb: s.memoryMb, outputBytes: s.outputBytes, safePrefixes: s.safePrefixes, endpoints: s.endpoints, env: this.env, pythonExecutor: this.python }
  }

  // ---- delegating side (delegation.ts) -----------------------------------------------------

  /** Delegates a task to the best peer, retrying on the next ones; never throws for task failures. */
  async run (params: RunTaskParams, signal?: AbortSignal): Promise<RunTaskResult> {
    return await this.delegation.run(params, signal)
  }

  /** The node id of a peer (the same Ed25519 key), memoised: it is checked on every task. */
  private nodeIdOf (peer: PeerId): string | undefined {
    const key = peer.toString()
    let id = this.nodeIds.get(key)
    if (id === undefined) {
      id = nodeIdFromPeerId(peer)
      if (this.nodeIds.size >= 4096) this.nodeIds.clear()
      if (id !== undefined) this.nodeIds.set(key, id)
    }
    return id
  }
}
