// The A2A SDK's own client against a test daemon's endpoint, authenticated with the token from
// the daemon's home; and a raw JSON-RPC POST for what a hostile or v0.3 caller would send.

import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client'
import { Role, type SendMessageRequest } from '@a2a-js/sdk'
import type { TestDaemon } from './daemons.ts'

export async function a2aUrl (d: TestDaemon): Promise<string> {
  const api = JSON.parse(await readFile(join(d.home, 'api'), 'utf8'))
  if (typeof api.a2a !== 'string') throw new Error(`no a2a endpoint in ${d.home}/api`)
  return api.a2a
}

export async function a2aToken (d: TestDaemon): Promise<string> {
  return (await readFile(join(d.home, 'a2a-token'), 'utf8')).trim()
}

export async function a2aClient (url: string, token: string): Promise<Client> {
  const authed: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set('Authorization', `Bearer ${token}`)
    return await fetch(input, { ...init, headers })
  }
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl: authed })] }))
  return await factory.createFromUrl(url)
}

export function userMessage (text: string, metadata?: Record<string, unknown>, taskId = '', contextId = ''): SendMessageRequest {
  return {
    tenant: '',
    metadata: {},
    configuration: undefined,
    message: {
      messageId: randomUUID(), role: Role.ROLE_USER, taskId, contextId, extensions: [], referenceTaskIds: [], metadata,
      parts: text === '' ? [] : [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' }]
    }
  }
}

export async function rpc (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number, json: any, text: string }> {
  const res = await fetch(`${url}/a2a/jsonrpc`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.text()
  let json: any
  try { json = JSON.parse(text) } catch {}
  return { status: res.status, json, text }
}

/** A new message whose one part is data (a task: {taskType, data}). */
export function dataMessage (value: unknown): SendMessageRequest {
  const m = userMessage('')
  m.message!.parts = [{ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' }]
  return m
}
