// The tools beyond questions: run a task on a capable peer, record a reflection, ask the
// federation's shared knowledge.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { SwarmClient } from '../client/swarm-client.ts'
import { toolError, toolResult } from './errors.ts'
import * as s from './schemas.ts'

export function registerWorkTools (server: McpServer, client: SwarmClient): void {
  server.registerTool('swarm_task_run', {
    title: 'Run a task on the swarm',
    description: 'Delegate a task (python-computation, file-analysis, code-generation …) to a capable peer and wait for its result.',
    inputSchema: s.taskRunInput,
    outputSchema: s.taskRunOutput
  }, async (a, extra) => {
    try {
      const res = await client.taskRun({ type: a.type, data: a.data, peer: a.peer, timeoutSec: a.timeoutSec }, { signal: extra.signal })
      return toolResult({ ...res })
    } catch (err) { return toolError(err) }
  })

  server.registerTool('swarm_reflect_add', {
    title: 'Record a reflection',
    description: 'Store what worked or failed as a signed reflection; it stays on this node unless share is true.',
    inputSchema: s.reflectAddInput,
    outputSchema: s.reflectAddOutput
  }, async (a, extra) => {
    try {
      const res = await client.reflectAdd(a, { signal: extra.signal })
      return toolResult({ id: res.id, outcome: res.outcome, category: res.category, tags: res.tags, createdAt: res.createdAt, shared: a.share === true })
    } catch (err) { return toolError(err) }
  })

  server.registerTool('swarm_knowledge', {
    title: 'Ask the swarm\'s shared knowledge',
    description: 'Shared reflections of this node and its peers that match the query, best first.',
    inputSchema: s.knowledgeInput,
    outputSchema: s.knowledgeOutput
  }, async (a, extra) => {
    try {
      const res = await client.knowledge(a.query, { limit: a.limit }, { signal: extra.signal })
      return toolResult({ query: res.query, items: res.items as unknown as Array<Record<string, unknown>>, peers: res.peers })
    } catch (err) { return toolError(err) }
  })
}
