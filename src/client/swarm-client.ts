// The typed client of a swarmd daemon: one method per control method, async iterators for the
// streams. It rides on the same ControlClient the CLI uses, so both speak one wire.

import { homePaths, resolveHome } from '../config/paths.ts'
import { ControlClient, type CallOptions } from '../control/client.ts'
import { withTimeout } from '../errors.ts'
import { openStream, type SwarmStream } from './stream.ts'
import type { ControlTransport } from './transport.ts'
import type {
  AnswerParams, AnswerResult, AskParams, AskResult, ChannelEvent, CloseParams, Envelope, KnowledgeAnswer,
  QuestionRow, QuestionState, ReflectionParams, SwarmEvent, TaskRunParams, TaskRunResult, WatchEnd, WatchOptions
} from './types.ts'

export interface ConnectOptions {
  /** The daemon's home (default: $SWARM_HOME, else ~/.swarmd). */
  home?: string
  /** The control socket, when it is not `<home>/swarm.sock`. */
  socket?: string
  /** Aborts connecting (default: 5 s). */
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
}

/**
 * Connects to the local daemon's control socket. Throws a SwarmError with code `not-running`
 * when no daemon serves the home.
 */
export async function connect (opts: ConnectOptions = {}): Promise<SwarmClient> {
  const home = resolveHome(opts.home, opts.env ?? process.env)
  const socket = opts.socket ?? homePaths(home).socket
  return new SwarmClient(await ControlClient.connect(socket, home, withTimeout(opts.signal, 5000)))
}

export class SwarmClient {
  /** The connection (the control socket, or the method table in-process), for methods this class does not type. */
  readonly control: ControlTransport

  constructor (control: ControlTransport) {
    this.control = control
  }

  /** Any control method by name (an escape hatch; prefer the typed methods). */
  async call<T = unknown>(method: string, params: Record<string, unknown> = {}, opts?: CallOptions): Promise<T> {
    return await this.control.call<T>(method, params, opts)
  }

  async status (opts?: CallOptions): Promise<{ running: true, pid: number, nodeId: string, peerId: string, uptimeSec: number }> {
    return await this.control.call('status', {}, opts)
  }

  async id (opts?: CallOptions): Promise<{ nodeId: string, peerId: string, pubkey: string, federation: string, addresses: string[] }> {
    return await this.control.call('id', {}, opts)
  }

  async peers (opts?: CallOptions): Promise<Array<{ peerId: string, nodeId?: string, addresses: string[] }>> {
    return await this.control.call('peers', {}, opts)
  }

  async stats (opts?: CallOptions): Promise<Record<string, any>> {
    return await this.control.call('stats', {}, opts)
  }

  // ---- questions and their channels ---------------------------------------------------

  /** Broadcasts a signed question; its response channel opens at once. */
  async ask (params: AskParams, opts?: CallOptions): Promise<AskResult> {
    return await this.control.call('ask', params, opts)
  }

  /** Questions this node asked, received (and may answer) or joined, most urgent first. */
  async questions (params: { all?: boolean, state?: QuestionState } = {}, opts?: CallOptions): Promise<QuestionRow[]> {
    return await this.control.call('questions', params, opts)
  }

  /** One question with its channel: contributions, summaries, participants, close. */
  async show (id: string, opts?: CallOptions): Promise<Record<string, any> & { id: string, state: QuestionState, contributions: Envelope[], summaries: Envelope[] }> {
    return await this.control.call('show', { id }, opts)
  }

  async answer (params: AnswerParams, opts?: CallOptions): Promise<AnswerResult> {
    return await this.control.call('answer', params, opts)
  }

  /** Closes a question; answers with the close envelope (`id` is the close's id). */
  async close (id: string, params: CloseParams = {}, opts?: CallOptions): Promise<{ id: string, state: QuestionState, envelope: Envelope }> {
    return await this.control.call('close', { id, ...params }, opts)
  }

  /** Merges the channel into a signed summary and publishes it (final: asker or secretary only). */
  async summarize (id: string, params: { final?: boolean, phrase?: boolean } = {}, opts?: CallOptions): Promise<Envelope> {
    return await this.control.call('summarize', { id, ...params }, { timeoutMs: 120_000, ...opts })
  }

  /** The channel live: `for await (const e of client.watch(id)) …`; `end` is the daemon's last word. */
  watch (id: string, opts: WatchOptions = {}): SwarmStream<ChannelEvent, WatchEnd> {
    return openStream(this.control, 'watch', { id, timeoutSec: opts.timeoutSec, replay: opts.replay, ...(opts.since === undefined ? {} : { since: opts.since }) }, opts.signal)
  }

  /** The daemon's events (questions received, contributions, tasks, peers …); the first is `events:subscribed`. */
  events (opts: { types?: string[], signal?: AbortSignal } = {}): SwarmStream<SwarmEvent, null> {
    return openStream(this.control, 'events', { types: opts.types }, opts.signal)
  }

  // ---- tasks and reflections ------------------------------------------------------------

  /** Delegates a task to a capable peer and waits for its result. */
  async taskRun (params: TaskRunParams, opts?: CallOptions): Promise<TaskRunResult> {
    const budgetMs = ((params.timeoutSec ?? 30) * 4 + 10) * 1000
    return await this.control.call('task.run', params, { timeoutMs: budgetMs, ...opts })
  }

  async reflectAdd (params: ReflectionParams, opts?: CallOptions): Promise<{ id: string, outcome: string, category: string, tags: string[], createdAt: string, [k: string]: unknown }> {
    return await this.control.call('reflect.add', params, opts)
  }

  /** Shared reflections of this node and its peers that match `query`. */
  async knowledge (query: string, params: { limit?: number, timeoutSec?: number } = {}, opts?: CallOptions): Promise<KnowledgeAnswer> {
    return await this.control.call('knowledge', { query, ...params }, opts)
  }

  /** Ends the connection (streams end with it). */
  disconnect (): void { this.control.close() }
}
