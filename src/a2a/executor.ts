// The A2A agent executor: a message opens a swarm question (or runs a task) and the task follows
// the question's channel. Contributions stream as artifacts; a clarification request puts the
// task in input-required (the reply goes into the channel as a clarification); when the wait
// ends, enough contributions came or the channel closed, the final summary is the last artifact.
// Cancel withdraws the question.

import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext } from '@a2a-js/sdk/server'
import { TaskState, type Artifact, type Message } from '@a2a-js/sdk'
import type { SwarmClient } from '../client/swarm-client.ts'
import { toSwarmError } from '../errors.ts'
import { channelDelta } from '../mcp/channel-delta.ts'
import { agentMessage, contributionArtifact, dataPart, messageText, parseRequest, summaryArtifact, textPart } from './parts.ts'

export interface ExecutorInit {
  /** The daemon's control connection (made on first use). */
  client: () => Promise<SwarmClient>
  /** This node's id: its own envelopes in a channel are not news to the A2A client. */
  nodeId: string
  defaultWaitSec: number
}

/** What a task remembers between turns (kept in the task's metadata.swarmd too). */
interface Follow { questionId: string, contextId: string, deadline: number, enough?: number, seen: Set<string>, lastRequest?: string }

export class SwarmAgentExecutor implements AgentExecutor {
  private readonly init: ExecutorInit
  private readonly follows = new Map<string, Follow>()
  private readonly running = new Map<string, AbortController>()

  constructor (init: ExecutorInit) {
    this.init = init
  }

  /** Tasks following a channel right now (for stats). */
  get active (): number { return this.running.size }

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = ctx
    const status = (state: TaskState, message?: Message): void => {
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: { state, message, timestamp: new Date().toISOString() }, metadata: {} }))
    }
    const fail = (err: unknown): void => {
      const e = toSwarmError(err)
      status(TaskState.TASK_STATE_FAILED, agentMessage(taskId, contextId, `${e.code}: ${e.message}`, { error: e.toJSON() }))
    }
    const client = await this.init.client()
    const follow = this.follows.get(taskId)
    if (ctx.task !== undefined && follow !== undefined) {
      // a reply on an input-required task: the asker clarifies in the channel, then we follow on
      bus.publish(AgentEvent.task({ ...ctx.task, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: new Date().toISOString() } }))
      try {
        await client.answer({ id: follow.questionId, text: messageText(ctx.userMessage), kind: 'clarification', replyTo: follow.lastRequest, origin: 'node-generated' })
      } catch (err) { fail(err); return }
      await this.follow(client, taskId, contextId, follow, bus, status)
      return
    }
    const parsed = parseRequest(ctx.userMessage, this.init.defaultWaitSec)
    bus.publish(AgentEvent.task({
      id: taskId, contextId, artifacts: [], history: [ctx.userMessage], metadata: { swarmd: {} },
      status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }
    }))
    if (!parsed.ok) { status(TaskState.TASK_STATE_REJECTED, agentMessage(taskId, contextId, `usage: ${parsed.reason}`)); return }
    const req = parsed.req
    if (req.kind === 'task') {
      status(TaskState.TASK_STATE_WORKING, agentMessage(taskId, contextId, `running a ${req.type} task on the swarm`))
      try {
        const res = await client.taskRun({ type: req.type, data: req.data, peer: req.peer, timeoutSec: req.timeoutSec })
        if (!res.success) { fail(Object.assign(new Error(res.error.message), { code: res.error.code })); return }
        bus.publish(AgentEvent.artifactUpdate({ taskId, contextId, artifact: resultArtifact(res), append: false, lastChunk: true, metadata: {} }))
        status(TaskState.TASK_STATE_COMPLETED, agentMessage(taskId, contextId, `done by ${res.executedBy}`))
      } catch (err) { fail(err) }
      return
    }
    let questionId: string
    try {
      questionId = (await client.ask(req.ask)).id
    } catch (err) { fail(err); return }
    const f: Follow = { questionId, contextId, deadline: Date.now() + req.waitSec * 1000, enough: req.enough, seen: new Set() }
    this.follows.set(taskId, f)
    status(TaskState.TASK_STATE_WORKING, agentMessage(taskId, contextId, `asked the swarm: ${questionId}`, { questionId }))
    await this.follow(client, taskId, contextId, f, bus, status)
  }

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const f = this.follows.get(taskId)
    this.follows.delete(taskId)
    // CANCELED first, in this tick: once the follow stops, the SDK settles the task's bus
    const note = f === undefined ? 'canceled' : `canceled; withdrawing ${f.questionId}`
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId: f?.contextId ?? '', status: { state: TaskState.TASK_STATE_CANCELED, message: agentMessage(taskId, f?.contextId ?? '', note), timestamp: new Date().toISOString() }, metadata: {} }))
    this.running.get(taskId)?.abort()
    if (f === undefined) return
    try {
      await (await this.init.client()).close(f.questionId, { resolution: 'withdrawn', note: 'withdrawn by the A2A client' })
    } catch { /* already closed or expired: nothing left to withdraw */ }
  }

  private async follow (client: SwarmClient, taskId: string, contextId: string, f: Follow, bus: ExecutionEventBus, status: (s: TaskState, m?: Message) => void): Promise<void> {
    const ac = new AbortController()
    this.running.set(taskId, ac)
    let ending: 'wait' | 'enough' | 'closed' | 'input-required' = 'wait'
    try {
      const stream = client.watch(f.questionId, { timeoutSec: Math.max(0, (f.deadline - Date.now()) / 1000), replay: true, signal: ac.signal })
      for await (const e of stream) {
        if (e.type === 'close') { ending = 'closed'; break }
        if (e.type !== 'contribution' || e.excluded !== undefined || e.id === undefined || f.seen.has(e.id) || e.from === this.init.nodeId) continue
        f.seen.add(e.id)
        const view = channelDelta([e], 0).contributions[0]
        bus.publish(AgentEvent.artifactUpdate({ taskId, contextId, artifact: contributionArtifact(view, f.questionId), append: false, lastChunk: true, metadata: {} }))
        if (view.kind === 'clarification-request') { f.lastRequest = view.id; ending = 'input-required'; break }
        if (f.enough !== undefined && f.seen.size >= f.enough) { ending = 'enough'; break }
      }
      await stream.end
    } catch (err) {
      if (!ac.signal.aborted) { this.follows.delete(taskId); status(TaskState.TASK_STATE_FAILED, agentMessage(taskId, contextId, String(toSwarmError(err).message))) }
      return
    } finally {
      this.running.delete(taskId)
    }
    if (ac.signal.aborted) return // canceled: cancelTask said so
    if (ending === 'input-required') {
      const req = agentMessage(taskId, contextId, 'the swarm asks for a clarification (reply on this task)', { questionId: f.questionId, contribution: f.lastRequest })
      status(TaskState.TASK_STATE_INPUT_REQUIRED, req)
      return
    }
    this.follows.delete(taskId)
    let note = `${f.seen.size} contribution${f.seen.size === 1 ? '' : 's'} to ${f.questionId}`
    try {
      const summary = await client.summarize(f.questionId, { final: true })
      bus.publish(AgentEvent.artifactUpdate({ taskId, contextId, artifact: summaryArtifact(summary), append: false, lastChunk: true, metadata: {} }))
      if (ending !== 'closed') await client.close(f.questionId, { resolution: 'resolved', note: 'summarized for the A2A client' })
    } catch (err) {
      const e = toSwarmError(err)
      note += `; no final summary (${e.code}: ${e.message})`
    }
    status(TaskState.TASK_STATE_COMPLETED, agentMessage(taskId, contextId, note, { questionId: f.questionId, contributions: f.seen.size, ending }))
  }
}

function resultArtifact (res: { correlationId: string, executedBy: string, result: Record<string, unknown> }): Artifact {
  const text = typeof res.result.stdout === 'string' ? res.result.stdout : JSON.stringify(res.result)
  return { artifactId: res.correlationId, name: 'task-result', description: `executed by ${res.executedBy}`, parts: [textPart(text), dataPart(res.result)], metadata: { swarmd: { type: 'task-result', executedBy: res.executedBy } }, extensions: [] }
}
