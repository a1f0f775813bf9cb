// Code-generation executor: asks the configured OpenAI-compatible endpoints in order and takes
// the first usable answer, so a local model can be first and a hosted one the fallback. What
// goes back to the remote peer names models and stable codes only: endpoint URLs and the
// providers' own error texts stay in `detail`, which only this node's log sees.

import { SwarmError } from '../../errors.ts'
import { chatComplete, type ChatMessage } from '../../synthesis/openai.ts'
import { CODEGEN_MAX_TOKENS, CODEGEN_TEMPERATURE, CODEGEN_TIMEOUT_MS } from '../constants.ts'

export interface OpenAIEndpoint {
  baseUrl: string
  model: string
  /** Name of the environment variable holding the API key (the key itself never sits in config). */
  apiKeyEnv?: string
}

export interface CodeRequest {
  prompt: string
  language?: string
}

export interface GenerateCodeOptions {
  /** Where `apiKeyEnv` names are looked up (the daemon passes process.env). */
  env?: Record<string, string | undefined>
  signal?: AbortSignal
  /** Per endpoint; a fallback gets a fresh budget. */
  timeoutMs?: number
}

export interface GeneratedCode {
  code: string
  /** The model of the endpoint that answered (never its URL). */
  provider: string
}

/** Rejects with `llm-unavailable` (detail.attempts lists each endpoint's error) if all fail. */
export async function generateCode (request: string | CodeRequest, endpoints: OpenAIEndpoint[], options: GenerateCodeOptions = {}): Promise<GeneratedCode> {
  const { prompt, language } = typeof request === 'string' ? { prompt: request, language: undefined } : request
  const { env = {}, signal, timeoutMs = CODEGEN_TIMEOUT_MS } = options
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new SwarmError('bad-request', 'code generation needs a non-empty prompt')
  const messages = buildMessages(prompt, language)
  const attempts: Array<{ provider: string, code: string, message: string }> = []

  for (const ep of endpoints) {
    const provider = `${ep.model}@${ep.baseUrl}`
    if (signal?.aborted === true) throw new SwarmError('aborted', 'code generation was aborted')
    let apiKey: string | undefined
    if (ep.apiKeyEnv !== undefined) {
      apiKey = env[ep.apiKeyEnv]
      if (apiKey === undefined || apiKey === '') {
        attempts.push({ provider, code: 'missing-api-key', message: `environment variable ${ep.apiKeyEnv} is not set` })
        continue
      }
    }
    try {
      const res = await chatComplete({ baseUrl: ep.baseUrl, model: ep.model, apiKey, messages, temperature: CODEGEN_TEMPERATURE, maxTokens: CODEGEN_MAX_TOKENS, signal, timeoutMs })
      const code = extractCode(res.text, language)
      if (code.trim() === '') {
        attempts.push({ provider, code: 'llm-bad-response', message: 'the answer held no code' })
        continue
      }
      return { code, provider: ep.model }
    } catch (err) {
      const e = err instanceof SwarmError ? err : new SwarmError('internal', String(err))
      // The caller giving up is not an endpoint failure: stop instead of trying the next one.
      if (e.code === 'aborted') throw e
      attempts.push({ provider, code: e.code, message: e.message })
    }
  }
  // model names and codes only: `attempts` (URLs, raw provider errors) stays in the local detail
  const summary = endpoints.map((ep, i) => `${ep.model}: ${attempts[i]?.code ?? 'not tried'}`).join('; ')
  throw new SwarmError('llm-unavailable', endpoints.length === 0
    ? 'no code-generation endpoint is configured'
    : `every code-generation endpoint failed (${summary})`, { detail: { attempts } })
}

function buildMessages (prompt: string, language: string | undefined): ChatMessage[] {
  const lang = language === undefined || language === '' ? '' : ` in ${language}`
  return [
    { role: 'system', content: `You write code${lang}. Answer with exactly one fenced code block and nothing else.` },
    { role: 'user', content: prompt }
  ]
}

const FENCE = /(^|\n)[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)\n[ \t]*\2[ \t]*(?=\n|$)/g

/**
 * The code in the answer: the first fenced block tagged with `language` if there is one, else
 * the first fenced block, else the whole answer (models asked for a block sometimes omit it).
 */
export function extractCode (text: string, language?: string): string {
  const blocks = [...text.matchAll(FENCE)].map(m => ({ tag: m[3].toLowerCase(), body: m[4] }))
  if (blocks.length === 0) {
    // An opening fence cut off by max_tokens: keep what came after it.
    const open = /(^|\n)[ \t]*(`{3,}|~{3,})[^\n]*\n([\s\S]*)$/.exec(text)
    return open !== null ? open[3] : text.trim()
  }
  const want = language?.toLowerCase()
  return (blocks.find(b => want !== undefined && b.tag === want) ?? blocks[0]).body
}
