// The `openai` answerer: any OpenAI-compatible chat-completions endpoint (OpenAI, a local Ollama
// or llama.cpp server, vLLM, LM Studio). It is prompted with the question and the channel so far
// and asked for a JSON array of items like the command answerer's. Models wrap JSON in prose or
// code fences, or ignore the format: the parse is forgiving, and an answer it cannot read becomes
// one low-confidence `partial-answer` carrying the text. Every item also cites `model:<model>`.

import type { AnswererConfig } from '../../config/schema.ts'
import { chatComplete, type ChatMessage } from '../openai.ts'
import { sharedContext, type ReflectionContext } from './context.ts'
import type { KnowledgeSource } from './reflections.ts'
import { MAX_DRAFT_TEXT, toDrafts, type AnswerInput, type Answerer, type Draft } from './types.ts'

export type OpenAIAnswererConfig = Extract<AnswererConfig, { kind: 'openai' }>

export const OPENAI_TIMEOUT_SEC = 60
/** Confidence given to an answer the model did not format as items. */
export const UNSTRUCTURED_CONFIDENCE = 0.3
/** At most this much of the channel goes into the prompt (characters of contribution text). */
const PROMPT_CONTEXT_CHARS = 12_000

export const ANSWER_SYSTEM_PROMPT = [
  'You are one node of a swarm of assistants answering a question together.',
  'Reply with ONLY a JSON array (no prose, no code fences). Each element is an object:',
  '{"kind": "fact" | "hypothesis" | "recommendation" | "partial-answer" | "clarification-request" | "objection",',
  ' "text": "<one claim, self-contained>", "confidence": <number 0..1>, "sources": ["<where it comes from>", …]}.',
  'Facts are things you are confident are true; hypotheses are plausible but unverified; recommendations say what to do.',
  'Ask a clarification-request only if the question cannot be answered without it. Return [] if you have nothing to add.'
].join('\n')

export const PHRASE_SYSTEM_PROMPT = [
  'You rewrite the items of a summary so that each reads clearly. Keep the meaning of each item exactly; do not merge, split, add or drop items.',
  'Reply with ONLY a JSON array of strings, one per input item, in the same order.'
].join('\n')

export interface ChatOptions { apiKey?: string, timeoutMs: number }

export class OpenAIAnswerer implements Answerer {
  readonly kind = 'openai' as const
  readonly label: string
  readonly config: OpenAIAnswererConfig
  private readonly env: NodeJS.ProcessEnv
  private readonly context?: () => KnowledgeSource | undefined

  /** `context`: where the shared reflections put in the prompt come from (none without it). */
  constructor (config: OpenAIAnswererConfig, env: NodeJS.ProcessEnv = process.env, context?: () => KnowledgeSource | undefined) {
    this.config = config
    this.env = env
    this.context = context
    this.label = `openai:${config.model}@${config.baseUrl}`
  }

  private get apiKey (): string | undefined {
    return this.config.apiKeyEnv === undefined ? undefined : this.env[this.config.apiKeyEnv]
  }

  private get timeoutMs (): number { return (this.config.timeoutSec ?? OPENAI_TIMEOUT_SEC) * 1000 }

  async answer (input: AnswerInput, signal: AbortSignal): Promise<Draft[]> {
    const res = await chatComplete({
      baseUrl: this.config.baseUrl, model: this.config.model, apiKey: this.apiKey, signal, timeoutMs: this.timeoutMs, temperature: 0.2,
      messages: [{ role: 'system', content: ANSWER_SYSTEM_PROMPT }, { role: 'user', content: answerPrompt(input, await sharedContext(this.context, input.question, signal)) }]
    })
    return parseAnswer(res.text, `model:${this.config.model}`)
  }

  /** Rewrites `texts` (same count, same order), or returns undefined when the model's answer does not fit. */
  async phrase (question: string, texts: string[], signal?: AbortSignal): Promise<string[] | undefined> {
    if (texts.length === 0) return []
    const res = await chatComplete({
      baseUrl: this.config.baseUrl, model: this.config.model, apiKey: this.apiKey, signal, timeoutMs: this.timeoutMs, temperature: 0,
      messages: [{ role: 'system', content: PHRASE_SYSTEM_PROMPT }, { role: 'user', content: `Question: ${question}\n\nItems:\n${JSON.stringify(texts)}` }]
    })
    const parsed = parseJsonLoose(res.text)
    if (!Array.isArray(parsed) || parsed.length !== texts.length) return undefined
    if (!parsed.every((t) => typeof t === 'string' && t.trim() !== '')) return undefined
    return (parsed as string[]).map((t) => t.trim().slice(0, MAX_DRAFT_TEXT))
  }
}

export function answerPrompt (input: AnswerInput, reflections: ReflectionContext[] = []): string {
  const q = input.question
  const lines = [
    `Question: ${q.question.text}`,
    `Tags: ${q.question.tags.join(', ') || '(none)'}; urgency: ${q.question.urgency}`
  ]
  let budget = PROMPT_CONTEXT_CHARS
  const seen: string[] = []
  for (const c of input.contributions) {
    const line = `- [${c.id}] ${c.kind} (confidence ${c.confidence}${c['in-reply-to'] !== undefined ? `, replying to ${c['in-reply-to']}` : ''}): ${c.text}`
    if (line.length > budget) break
    budget -= line.length
    seen.push(line)
  }
  if (seen.length > 0) lines.push('', 'Contributions so far (clarifications from the asker refine the question):', ...seen)
  const learned: string[] = []
  for (const r of reflections) {
    const line = `- [${r.id}] ${r.outcome === 'success' ? 'worked' : 'did not work'}: ${r.description}${r.recommendations.length > 0 ? ` (advice: ${r.recommendations.join('; ')})` : ''}`
    if (line.length > budget) break
    budget -= line.length
    learned.push(line)
  }
  if (learned.length > 0) lines.push('', 'What this swarm learned before (cite the [reflection:…] id as a source when you use one):', ...learned)
  if (input.trigger === 'clarification') lines.push('', 'The asker has just clarified the question; answer with that in mind.')
  return lines.join('\n')
}

/** Items from a model's reply; an unreadable reply is one partial answer with its text. */
export function parseAnswer (text: string, provenance: string): Draft[] {
  const parsed = parseJsonLoose(text)
  const list = Array.isArray(parsed)
    ? parsed
    : parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { items?: unknown }).items)
      ? (parsed as { items: unknown[] }).items
      : parsed !== null && typeof parsed === 'object' && 'kind' in parsed ? [parsed] : undefined
  if (list !== undefined) {
    const { drafts } = toDrafts(list)
    if (drafts.length > 0 || list.length === 0) return drafts.map((d) => ({ ...d, sources: d.sources.includes(provenance) ? d.sources : [...d.sources, provenance] }))
  }
  const plain = text.trim()
  if (plain === '') return []
  return [{ kind: 'partial-answer', text: plain.slice(0, MAX_DRAFT_TEXT), confidence: UNSTRUCTURED_CONFIDENCE, sources: [provenance] }]
}

/** JSON.parse of the text, of its fenced block, or of its outermost [...] / {...}; undefined if none parses. */
export function parseJsonLoose (text: string): unknown {
  const attempts: string[] = [text.trim()]
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)
  if (fence !== null) attempts.push(fence[1].trim())
  for (const [open, close] of [['[', ']'], ['{', '}']]) {
    const a = text.indexOf(open)
    const b = text.lastIndexOf(close)
    if (a !== -1 && b > a) attempts.push(text.slice(a, b + 1))
  }
  for (const s of attempts) {
    try { return JSON.parse(s) } catch {}
  }
  return undefined
}

export type { ChatMessage }
