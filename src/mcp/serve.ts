// `swarm mcp --serve`: the agent is an answerer. Each new question this node is eligible for is
// announced to the MCP client as a logging notification (logger `swarmd`, data.type `question`)
// and as a change of the question resources, so the agent can answer it with swarm_answer.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { SwarmClient } from '../client/swarm-client.ts'
import type { QuestionResources } from './resources.ts'
import { answerable } from './question-tools.ts'

export interface QuestionNotice { type: 'question', id: string, text: string, from: string, scope: string, urgency: string }

/** The notice for a `question:received` event, or undefined when this node may not answer it. */
export function noticeOf (e: Record<string, unknown>): QuestionNotice | undefined {
  if (e.type !== 'question:received' || e.eligible !== true || typeof e.id !== 'string') return undefined
  return { type: 'question', id: e.id, text: String(e.text ?? ''), from: String(e.from ?? ''), scope: String(e.scope ?? ''), urgency: String(e.urgency ?? 'normal') }
}

/** Follows the daemon's events until `signal` aborts or the connection ends. Once subscribed it
 *  also announces the questions already open (so one that arrived while the server started is
 *  not missed); each question is announced once. */
export async function serveQuestions (server: McpServer, client: SwarmClient, resources: QuestionResources, signal: AbortSignal): Promise<void> {
  const announced = new Set<string>()
  const announce = async (notice: QuestionNotice): Promise<void> => {
    if (announced.has(notice.id)) return
    announced.add(notice.id)
    // the lists first: a client acting on the notice (swarm_questions) already sees them changed
    await resources.questionsChanged()
    await server.server.sendLoggingMessage({ level: 'notice', logger: 'swarmd', data: notice }).catch(() => {})
  }
  const events = client.events({ types: ['events:subscribed', 'question:received'], signal })
  for await (const e of events) {
    if (e.type === 'events:subscribed') {
      for (const q of answerable(await client.questions())) await announce({ type: 'question', id: q.id, text: q.text, from: q.from, scope: q.scope, urgency: q.urgency })
      continue
    }
    // events carry no payload text (docs/reflections.md, what leaves a node): read it from the question
    const notice = noticeOf(e)
    if (notice !== undefined && !announced.has(notice.id)) {
      const q = await client.show(notice.id).catch(() => undefined)
      await announce({ ...notice, text: q?.envelope?.question?.text ?? notice.text })
    }
  }
  await events.end
}
