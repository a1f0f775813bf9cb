// Resources: `swarm://question/<id>` (one response channel) and `swarm://questions` (what this node
// may answer). A client subscribed to a channel is sent notifications/resources/updated whenever
// an envelope arrives in it; the subscription is a `watch` on the daemon, ended on unsubscribe.

import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import type { SwarmClient } from '../client/swarm-client.ts'
import type { ChannelEvent } from '../client/types.ts'
import type { SwarmStream } from '../client/stream.ts'
import { toSwarmError } from '../errors.ts'
import { answerable } from './question-tools.ts'
import { ULID } from '../envelope/ids.ts'

export const QUESTIONS_URI = 'swarm://questions'
const QUESTION_URI = new RegExp(`^swarm://question/(question:${ULID})$`)

/** A swarmd error as an MCP request error: the stable code rides in `data.code`. */
export function mcpError (err: unknown): McpError {
  const e = toSwarmError(err)
  const rpc = e.code === 'usage' || e.code === 'not-found' ? ErrorCode.InvalidParams : ErrorCode.InternalError
  return new McpError(rpc, `${e.code}: ${e.message}`, e.toJSON())
}

const json = (uri: string, value: unknown): { contents: Array<{ uri: string, mimeType: string, text: string }> } =>
  ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] })

/** A question's channel as a resource shows it: the question, then what the channel holds. */
export function channelView (show: Record<string, any>): Record<string, unknown> {
  const q = show.envelope ?? {}
  return {
    id: show.id,
    text: q.question?.text,
    scope: q.delivery?.scope,
    urgency: q.question?.urgency,
    from: q.sender?.['node/id'],
    state: show.state,
    role: show.role,
    expiresAt: show.expiresAt,
    contributions: (show.contributions ?? []).map((c: any) => ({
      id: c.id, from: c.sender?.['node/id'], kind: c.kind, text: c.text, confidence: c.confidence, sources: c.sources,
      ...(c['in-reply-to'] !== undefined ? { replyTo: c['in-reply-to'] } : {})
    })),
    excluded: (show.excluded ?? []).length,
    summaries: (show.summaries ?? []).map((e: any) => ({ id: e.id, from: e.sender?.['node/id'], status: e.status, content: e.content })),
    close: show.close === null || show.close === undefined ? null : { id: show.close.id, resolution: show.close.resolution, accepted: show.close.accepted, note: show.close.note }
  }
}

export class QuestionResources {
  private readonly subscriptions = new Map<string, SwarmStream<ChannelEvent, unknown>>()
  private readonly server: McpServer
  private readonly client: SwarmClient
  private questionsSubscribed = false

  constructor (server: McpServer, client: SwarmClient) {
    this.server = server
    this.client = client
  }

  register (): void {
    const { server, client } = this
    server.registerResource('questions', QUESTIONS_URI, {
      title: 'Questions this node may answer',
      description: 'Open questions from other nodes whose filters let this node answer',
      mimeType: 'application/json'
    }, async (uri) => {
      try { return json(uri.href, answerable(await client.questions())) } catch (err) { throw mcpError(err) }
    })
    server.registerResource('question', new ResourceTemplate('swarm://question/{id}', {
      list: async () => {
        const rows = await client.questions()
        return { resources: rows.map((q) => ({ uri: `swarm://question/${q.id}`, name: q.id, title: q.text.slice(0, 120), mimeType: 'application/json' })) }
      }
    }), {
      title: 'A question\'s response channel',
      description: 'The question, its contributions, summaries and close; subscribe to be told when new contributions arrive',
      mimeType: 'application/json'
    }, async (uri) => {
      const id = QUESTION_URI.exec(uri.href)?.[1]
      if (id === undefined) throw new McpError(ErrorCode.InvalidParams, `usage: not a question resource: ${uri.href}`, { code: 'usage' })
      try { return json(uri.href, channelView(await client.show(id))) } catch (err) { throw mcpError(err) }
    })
    server.server.setRequestHandler(SubscribeRequestSchema, async (req) => { await this.subscribe(req.params.uri); return {} })
    server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => { this.unsubscribe(req.params.uri); return {} })
  }

  async subscribe (uri: string): Promise<void> {
    if (uri === QUESTIONS_URI) { this.questionsSubscribed = true; return }
    const id = QUESTION_URI.exec(uri)?.[1]
    if (id === undefined) throw new McpError(ErrorCode.InvalidParams, `usage: no resource ${uri} to subscribe to`, { code: 'usage' })
    if (this.subscriptions.has(uri)) return
    try { await this.client.show(id) } catch (err) { throw mcpError(err) }
    const stream = this.client.watch(id, { replay: false })
    this.subscriptions.set(uri, stream)
    void (async () => {
      try {
        for await (const e of stream) {
          if (e.type === 'presence' || e.type === 'secretary-claim') continue
          await this.server.server.sendResourceUpdated({ uri }).catch(() => {})
        }
      } catch { /* the channel ended with an error (daemon gone): the subscription ends with it */ }
      if (this.subscriptions.get(uri) === stream) this.subscriptions.delete(uri)
    })()
  }

  unsubscribe (uri: string): void {
    if (uri === QUESTIONS_URI) { this.questionsSubscribed = false; return }
    this.subscriptions.get(uri)?.cancel()
    this.subscriptions.delete(uri)
  }

  /** A new question arrived: the list resources changed. */
  async questionsChanged (): Promise<void> {
    this.server.sendResourceListChanged()
    if (this.questionsSubscribed) await this.server.server.sendResourceUpdated({ uri: QUESTIONS_URI }).catch(() => {})
  }

  close (): void {
    for (const s of this.subscriptions.values()) s.cancel()
    this.subscriptions.clear()
  }
}
