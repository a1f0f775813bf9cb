// The MCP SDK's own client, spawning `bin/swarm mcp` on a test daemon's home over stdio, with the
// notifications it receives collected for assertions.

import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { LoggingMessageNotificationSchema, ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { BIN, NODE, ROOT, type TestDaemon } from './daemons.ts'

export interface McpSession {
  client: Client
  transport: StdioClientTransport
  logs: any[]
  updated: string[]
  listChanged: number
  pid: () => number | null
  close: () => Promise<void>
}

export async function mcpSession (d: TestDaemon, flags: string[] = []): Promise<McpSession> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SWARM_')) env[k] = v
  const transport = new StdioClientTransport({ command: NODE, args: [BIN, '--home', d.home, 'mcp', ...flags], env, cwd: ROOT, stderr: 'pipe' })
  const client = new Client({ name: 'swarmd-test', version: '1.0.0' })
  const s: McpSession = {
    client, transport, logs: [], updated: [], listChanged: 0,
    pid: () => transport.pid,
    close: async () => { await client.close().catch(() => {}) }
  }
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { s.logs.push(n.params) })
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { s.updated.push(n.params.uri) })
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => { s.listChanged++ })
  await client.connect(transport)
  return s
}

/** The `{error:{code,message}}` an isError tool result carries as text. */
export function toolErrorOf (res: any): { code: string, message: string } | undefined {
  if (res?.isError !== true) return undefined
  try { return JSON.parse(res.content[0].text).error } catch { return { code: 'schema', message: String(res.content?.[0]?.text) } }
}
