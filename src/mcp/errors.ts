// A swarmd error as an MCP tool result: `isError` with the stable code kept, as JSON text
// (`{"error":{"code":"not-found","message":…}}`) and in `_meta`, so an agent can branch on it.

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { toSwarmError } from '../errors.ts'

export const ERROR_META_KEY = 'swarmd/error'

export function toolError (err: unknown): CallToolResult {
  const e = toSwarmError(err).toJSON()
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error: e }) }], _meta: { [ERROR_META_KEY]: e } }
}

/** A successful result: the structured content, and the same as JSON text for clients that read text. */
export function toolResult (structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured }
}
