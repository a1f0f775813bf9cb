// The delegating side of tasks: pick the best untried peer from the adverts (selection.ts),
// send one attempt (attempt.ts), retry on the next peer after a refusal that was not about the
// task itself, and record every step (records, audit, events) under the task's correlation id.

import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { newId, type EnvelopeValidator, type TaskReceipt } from '../envelope/index.ts'
import { UsageError } from '../errors.ts'
import { nodeIdFromPeerId } from '../identity/index.ts'
import type { SwarmComponents } from '../kernel/components.ts'
import type { Logger } from '../kernel/logger.ts'
import type { DirectoryEntry } from '../net/directory.ts'
import type { ReputationBook } from '../reputation/index.ts'
import { attemptTask } from './attempt.ts'
import { checkTaskData } from './execute.ts'
import { isTaskType, TASK_REQUIREMENTS } from './capabilities.ts'
import type { TaskRecords } from './records.ts'
import type { RunTaskParams } from './run-params.ts'
import { selectPeers, type Candidate } from './selection.ts'
import type { Settings } from './settings.ts'

export type RunTaskResult =
  | { success: true, correlationId: string, executedBy: string, attempts: number, durationMs: number, result: Record<string, unknown>, receipt?: TaskReceipt }
  | { success: false, correlationId: string, attempts: number, executedBy?: string, error: { code: string, message: string } }

/**
 * Refusals and failures after which the next peer is tried: the peer did not judge the task
 * itself (busy, not set up for it, unreachable, no answer in time). A task that ran and failed
 * (an exception, its time limit, a refused path) is not retried: another peer would do the same.
 */
const RETRYABLE = new Set([
  'busy', 'not-accepted', 'not-allowed', 'not-capable', 'unsupported-task', 'expired', 'python-unavailable', 'python-failed',
  'llm-unavailable', 'internal', 'stream-failed', 'bad-response', 'timeout-no-answer'
])

/** Reputation lost by a peer whose own signed response carries a missing or lying receipt. */
const RECEIPT_LIE_PENALTY = 0.2

/** The delegation counters the service reports in `swarm stats`. */
export interface DelegationCounts { delegated: number, delegatedOk: number, delegatedFailed: number }

export interface DelegationInit extends Pick<SwarmComponents, 'libp2p' | 'identity' | 'directory' | 'events'> {
  log: Logger
  /** The node's one reputation book: a receipt lie is charged there, and peers are ranked by it. */
  reputation: ReputationBook
  defaultReputation: number
  records: TaskRecords
  /** Validates task-response envelopes (the task stream's larger caps). */
  responses: EnvelopeValidator
  /** The task settings now (config.json may have been re-read). */
  settings: () => Settings
  audit: (kind: string, correlationId: string, detail: Record<string, unknown>) => Promise<unknown>
  counts: DelegationCounts
  /** Measured round trips by peer id (unknown ranks last among equals). */
  rtt: ReadonlyMap<string, number>
  nodeIdOf: (peer: PeerId) => string | undefined
}

export class Delegation {
  private readonly d: DelegationInit
  private readonly outbound = new Set<AbortController>()

  constructor (init: DelegationInit) {
    this.d = init
  }

  /** Cancels every delegation in flight (the daemon is stopping). */
  abortAll (reason: Error): void {
    for (const ac of this.outbound) ac.abort(reason)
  }

  /** Delegates a task to the best peer, retrying on the next ones; never throws for task failures. */
  async run (params: RunTaskParams, signal?: AbortSignal): Promise<RunTaskResult> {
    const d = this.d
    const settings = d.settings()
    const { type } = params
    const data = params.data ?? {}
    const pinnedTarget = params.peer === undefined ? undefined : this.resolvePinned(params.peer)
    const timeoutMs = Math.round((params.timeoutSec ?? settings.timeoutSec) * 1000)
    const correlationId = newId('task')
    const started = performance.now()
    const rec = d.records.create({ correlationId, direction: 'out', type, state: 'delegating', attempts: 0 })
    const ac = new AbortController()
    this.outbound.add(ac)
    const stop = signal === undefined ? ac.signal : AbortSignal.any([signal, ac.signal])
    let attempts = 0
    let last: { error: { code: string, message: string }, executedBy?: string } | undefined

    const finish = async (out: RunTaskResult): Promise<RunTaskResult> => {
      this.outbound.delete(ac)
      const durationMs = Math.round(performance.now() - started)
      if (out.success) { d.counts.delegatedOk++ } else { d.counts.delegatedFailed++ }
      d.records.update(rec, { state: out.success ? 'succeeded' : 'failed', attempts, durationMs, peerId: out.executedBy ?? rec.peerId, error: out.success ? undefined : out.error })
      void d.audit('task.done', correlationId, {
        type, success: out.success, attempts, executedBy: out.executedBy, code: out.success ? undefined : out.error.code, durationMs
      })
      d.events.emit('task:completed', { correlationId, taskType: type, direction: 'out', success: out.success, executedBy: out.executedBy, attempts, durationMs, error: out.success ? undefined : out.error })
      return out
    }
    const fail = async (code: string, message: string, extra: { executedBy?: string } = {}): Promise<RunTaskResult> =>
      await finish({ success: false, correlationId, attempts, ...extra, error: { code, message } })

    const pinned = params.peer
    // A type this node does not know may still be offered by a newer peer: ask the adverts.
    const known = isTaskType(type) || d.directory.list().some((e) => e.taskTypes.includes(type))
    if (pinned === undefined && !known) return await fail('unsupported-task', `unknown task type ${JSON.stringify(type)}`)
    const bad = checkTaskData(type, data)
    if (pinned === undefined && bad !== null) return await fail(bad.code, bad.message)
    const requirements = isTaskType(type) ? [...TASK_REQUIREMENTS[type]] : []
    const tried = new Set<string>()
    const maxAttempts = pinned === undefined ? settings.maxAttempts : 1

    while (attempts < maxAttempts && !stop.aborted) {
      const target = pinnedTarget ?? await this.nextPeer(type, requirements, tried, params.requireIsolation)
      if (target === undefined) break
      attempts++
      tried.add(target.peerId.toString())
      const peerId = target.peerId.toString()
      d.counts.delegated++
      d.records.update(rec, { attempts, peerId })
      d.events.emit('task:delegated', { correlationId, taskType: type, peerId, nodeId: target.nodeId, attempt: attempts })
      void d.audit('task.delegated', correlationId, { type, attempt: attempts, peerId, nodeId: target.nodeId })

      const outcome = await attemptTask({ libp2p: d.libp2p, identity: d.identity, responses: d.responses, nodeIdOf: d.nodeIdOf }, { peer: target.peerId, correlationId, type, data, requirements, timeoutMs, signal: stop, isolation: params.requireIsolation, attachments: params.attachments })
      if (outcome.receipt !== undefined) {
        // verified: kept with the executor's key, so the audit log can be re-checked without it
        void d.audit('task.receipt', correlationId, { peerId, pubkey: outcome.pubkey, receipt: outcome.receipt })
      }
      if (outcome.ok) {
        // the successful attempt's outcome is the task.done entry
        return await finish({ success: true, correlationId, executedBy: peerId, attempts, durationMs: outcome.durationMs, result: outcome.result, receipt: outcome.receipt })
      }
      if (outcome.proven === true) {
        // A response signed by that peer whose receipt lies is evidence, not an accident: the
        // peer's standing drops, so reputation (ranked before self-reported load) sidelines it.
        void d.reputation.adjust(target.nodeId, -RECEIPT_LIE_PENALTY, 'task-receipt-invalid', { invalid: true })
          .catch((err: Error) => { d.log.warn('reputation not adjusted', { nodeId: target.nodeId, err: err.message }) })
      }
      const code = outcome.error.code === 'timeout-no-answer' ? 'timeout' : outcome.error.code
      void d.audit('task.attempt', correlationId, { attempt: attempts, peerId, outcome: 'failed', code, answered: outcome.answered, message: outcome.error.message.slice(0, 500), durationMs: outcome.durationMs })
      last = { error: { code, message: outcome.error.message }, executedBy: outcome.answered ? peerId : undefined }
      d.log.debug('task attempt failed', { correlationId, peerId, code: outcome.error.code })
      if (!RETRYABLE.has(outcome.error.code)) break
    }
    if (stop.aborted) return await fail('aborted', 'the task was cancelled')
    if (last !== undefined) return await fail(last.error.code, last.error.message, last.executedBy === undefined ? {} : { executedBy: last.executedBy })
    const jailed = params.requireIsolation === undefined ? '' : ` with isolation ${params.requireIsolation}`
    return await fail('no-capable-peer', `no peer advertises ${type}${jailed}${requirements.length > 0 ? ` (needs ${requirements.join(', ')})` : ''}`)
  }

  /** The best untried peer for the task, from the directory. */
  private async nextPeer (type: string, requirements: string[], tried: ReadonlySet<string>, isolation?: string): Promise<{ peerId: PeerId, nodeId: string } | undefined> {
    const d = this.d
    const entries = d.directory.list({ federation: d.identity.federation })
      .filter((e) => e.nodeId !== d.identity.nodeId && e.taskTypes.includes(type) && (isolation === undefined || e.isolation === isolation))
    if (entries.length === 0) return undefined
    const candidates: Array<Candidate & { entry: DirectoryEntry }> = []
    for (const e of entries) {
      candidates.push({
        peerId: e.peerId,
        nodeId: e.nodeId,
        capabilities: e.capabilities,
        taskTypes: e.taskTypes,
        queueLength: e.queueLength,
        running: e.running,
        expiresAt: e.expiresAt,
        reputation: await d.reputation.score(e.nodeId).catch(() => d.defaultReputation),
        rttMs: d.rtt.get(e.peerId),
        entry: e
      })
    }
    const best = selectPeers(candidates, { taskType: type, requirements, now: Date.now(), exclude: tried })[0]
    if (best === undefined) return undefined
    try {
      return { peerId: peerIdFromString(best.peerId), nodeId: best.nodeId }
    } catch {
      return undefined
    }
  }

  /** The pinned peer (a peer id, or the node id of a known advert); throws a UsageError. */
  private resolvePinned (pinned: string): { peerId: PeerId, nodeId: string } {
    const d = this.d
    const entry = d.directory.list().find((e) => e.peerId === pinned || e.nodeId === pinned)
    const text = entry?.peerId ?? pinned
    let peerId: PeerId
    try { peerId = peerIdFromString(text) } catch { throw new UsageError(`--peer: not a peer id or a known node id: ${pinned}`) }
    if (peerId.equals(d.identity.peerId)) throw new UsageError('--peer: that is this node; tasks are delegated to peers')
    return { peerId, nodeId: entry?.nodeId ?? nodeIdFromPeerId(peerId) ?? '' }
  }
}

