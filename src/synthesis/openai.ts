// Minimal client for an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM,
// llama.cpp server, LM Studio): one POST, one answer. No SDK: global fetch is enough, and the
// error codes are ours to keep stable.

import { SwarmError, TimeoutError } from '../errors.ts'

/** Default for one request, body included. */
export const CHAT_TIMEOUT_MS = 60_000
/** Largest response body read; an endpoint that streams more is misbehaving. */
export const CHAT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** How much of an error body is kept in the error's detail. */
const ERROR_BODY_CHARS = 500

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface ChatRequest {
  /** e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended. */
  baseUrl: string
  model: string
  apiKey?: string
  messages: ChatMessage[]
  temperature?: number
  maxTokens?: number
  signal?: AbortSignal
  timeoutMs?: number
}

export interface ChatUsage {
  promptTokens?: number
  completionTokens?: number
  totalTokens?: number
}

export interface ChatResult {
  text: string
  /** The model the endpoint says answered (may differ from the one asked for). */
  model: string
  usage?: ChatUsage
}

/**
 * Errors: `llm-http-error` (detail.status, detail.body), `llm-bad-response` (not JSON, no text),
 * `llm-unreachable` (connection failed), `timeout` (our deadline), `aborted` (the caller's signal).
 */
export async function chatComplete (req: ChatRequest): Promise<ChatResult> {
  const { baseUrl, model, apiKey, messages, temperature, maxTokens, signal, timeoutMs = CHAT_TIMEOUT_MS } = req
  const url = `${baseUrl.replace(/\/+$/, '')}/chat/completions`
  const deadline = AbortSignal.timeout(timeoutMs)
  const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline])
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (apiKey !== undefined && apiKey !== '') headers.authorization = `Bearer ${apiKey}`
  const body: Record<string, unknown> = { model, messages, stream: false }
  if (temperature !== undefined) body.temperature = temperature
  if (maxTokens !== undefined) body.max_tokens = maxTokens

  const stopped = (err?: unknown): SwarmError => signal?.aborted === true
    ? new SwarmError('aborted', `request to ${url} was aborted`, { cause: err })
    : new TimeoutError(`no answer from ${url} within ${timeoutMs} ms`)

  let text: string
  let status: number
  try {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: combined })
    status = res.status
    text = await readCapped(res, CHAT_MAX_RESPONSE_BYTES)
  } catch (err) {
    if (combined.aborted) throw stopped(err)
    if (err instanceof SwarmError) throw err
    const cause = (err as { cause?: { code?: string, message?: string } })?.cause
    throw new SwarmError('llm-unreachable', `cannot reach ${url}: ${cause?.code ?? cause?.message ?? String(err)}`, { cause: err, detail: { url } })
  }

  if (status < 200 || status > 299) {
    throw new SwarmError('llm-http-error', `${url} answered HTTP ${status}`, { detail: { url, status, body: text.slice(0, ERROR_BODY_CHARS) } })
  }
  return parseCompletion(text, url, model)
}

function parseCompletion (text: string, url: string, asked: string): ChatResult {
  let json: any
  try { json = JSON.parse(text) } catch {
    throw badResponse(url, 'the body is not JSON', text)
  }
  const content = json?.choices?.[0]?.message?.content
  if (typeof content !== 'string') throw badResponse(url, 'no choices[0].message.content string', text)
  const out: ChatResult = { text: content, model: typeof json.model === 'string' && json.model !== '' ? json.model : asked }
  const u = json.usage
  if (u !== null && typeof u === 'object') {
    out.usage = {}
    if (typeof u.prompt_tokens === 'number') out.usage.promptTokens = u.prompt_tokens
    if (typeof u.completion_tokens === 'number') out.usage.completionTokens = u.completion_tokens
    if (typeof u.total_tokens === 'number') out.usage.totalTokens = u.total_tokens
  }
  return out
}

function badResponse (url: string, why: string, text: string): SwarmError {
  return new SwarmError('llm-bad-response', `${url} gave an unusable answer: ${why}`, { detail: { url, body: text.slice(0, ERROR_BODY_CHARS) } })
}

async function readCapped (res: Response, cap: number): Promise<string> {
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > cap) {
      await reader.cancel().catch(() => {})
      throw new SwarmError('llm-bad-response', `response from ${res.url} is larger than ${cap} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
