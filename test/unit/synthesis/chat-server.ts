// A real HTTP server on 127.0.0.1:0 speaking enough of the chat-completions API for the tests.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ChatCall { path: string, headers: IncomingMessage['headers'], body: any }
export type ChatHandler = (call: ChatCall, res: ServerResponse) => void

export interface ChatServer {
  baseUrl: string
  calls: ChatCall[]
  close: () => Promise<void>
}

export async function startChatServer (handler: ChatHandler): Promise<ChatServer> {
  const calls: ChatCall[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let body: any
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { body = undefined }
      const call = { path: req.url ?? '', headers: req.headers, body }
      calls.push(call)
      handler(call, res)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

/** A well-formed completion answering `content`. */
export function reply (res: ServerResponse, content: string, model = 'test-model'): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({
    id: 'chatcmpl-1', object: 'chat.completion', model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 }
  }))
}
