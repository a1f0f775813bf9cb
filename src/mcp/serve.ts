// `swarm mcp --serve`: the agent is an answerer. Each new question this node is eligible for is
// announced to the MCP client as a logging notification (logger `swarmd`, data.type `question`)
// and as a change of the question resources, so the agent can answer it with swarm_answer.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { SwarmClient } from '../client/swarm-client.ts'
import type { QuestionResources } from './resources.ts'

export interface QuestionNotice { type: 'question', id: string, text: string, from: string, scope: string, urgency: string }

/** The notice for a `question:received` event, or undefined when this node may not answer it. */
export function noticeOf (e: Record<string, unknown>): QuestionNotice | undefined {
  if (e.type !== 'question:received' || e.eligible !== true || typeof e.id !== 'string') return undefined
  return { type: 'question', id: e.id, text: String(e.text ?? ''), from: String(e.from ?? ''), scope: String(e.scope ?? ''), urgency: String(e.urgency ?? 'normal') }
}

/** Follows the daemon's events until `signal` aborts or the connection ends. */
export async function serveQuestions (server: McpServer, client: SwarmClient, resources: QuestionResources, signal: AbortSignal): Promise<void> {
  const events = client.events({ types: ['question:received'], signal })
  for await (const e of events) {
    const notice = noticeOf(e)
    if (notice === undefined) continue
    await server.server.sendLoggingMessage({ level: 'notice', logger: 'swarmd', data: notice }).catch(() => {})
    await resources.questionsChanged()
  }
  await events.end
}
