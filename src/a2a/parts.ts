// A2A messages in, swarm operations out, and back: pure mappings. A user message is either a
// question (its text parts) with options in metadata "swarmd", or a task (a data part
// {taskType, data}). Contributions become artifacts; the summary is the final artifact.

import { randomUUID } from 'node:crypto'
import { Role, type Artifact, type Message, type Part } from '@a2a-js/sdk'
import { z } from 'zod'
import type { AskParams } from '../client/types.ts'
import type { ContributionView } from '../mcp/channel-delta.ts'
import { URGENCIES } from '../envelope/schemas.ts'

export type SwarmRequest =
  | { kind: 'ask', ask: AskParams, waitSec: number, enough?: number }
  | { kind: 'task', type: string, data: Record<string, unknown>, peer?: string, timeoutSec?: number }

const label = z.string().min(1).max(256)
const options = z.strictObject({
  scope: z.enum(['federation-local', 'cross-federation', 'global', 'private']).optional(),
  tags: z.array(label).max(64).optional(),
  urgency: z.enum(URGENCIES).optional(),
  ttl: z.number().int().min(1).max(30 * 86400).optional(),
  wait: z.number().positive().max(86400).optional(),
  contributions: z.number().int().min(1).max(10_000).optional(),
  to: z.array(label).max(64).optional(),
  federations: z.array(label).max(64).optional()
})
const taskPart = z.strictObject({
  taskType: label,
  data: z.record(z.string(), z.any()).optional(),
  peer: label.optional(),
  timeoutSec: z.number().positive().max(3600).optional()
})

export const MAX_TEXT = 16_384

/** The text of a message's text parts, joined by blank lines. */
export function messageText (m: Message): string {
  return m.parts.flatMap((p) => p.content?.$case === 'text' ? [p.content.value] : []).join('\n\n').trim()
}

function firstData (m: Message): unknown {
  for (const p of m.parts) if (p.content?.$case === 'data') return p.content.value
  return undefined
}

const issue = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')

/** What a new user message asks for, or why it cannot be served (a usage error). */
export function parseRequest (m: Message, defaultWaitSec: number): { ok: true, req: SwarmRequest } | { ok: false, reason: string } {
  const data = firstData(m)
  if (data !== undefined && data !== null && typeof data === 'object' && 'taskType' in data) {
    const t = taskPart.safeParse(data)
    if (!t.success) return { ok: false, reason: `task part: ${issue(t.error)}` }
    return { ok: true, req: { kind: 'task', type: t.data.taskType, data: t.data.data ?? {}, peer: t.data.peer, timeoutSec: t.data.timeoutSec } }
  }
  const text = messageText(m)
  if (text === '') return { ok: false, reason: 'the message has no text to ask the swarm' }
  if (text.length > MAX_TEXT) return { ok: false, reason: `the question is longer than ${MAX_TEXT} characters` }
  const o = options.safeParse(m.metadata?.swarmd ?? {})
  if (!o.success) return { ok: false, reason: `metadata.swarmd: ${issue(o.error)}` }
  const v = o.data
  const scope = v.scope ?? (v.to !== undefined && v.to.length > 0 ? 'private' : undefined)
  const ask: AskParams = { text, scope, tags: v.tags, urgency: v.urgency, ttlSec: v.ttl, to: v.to, federations: v.federations }
  const waitSec = Math.min(v.wait ?? defaultWaitSec, v.ttl ?? Infinity)
  return { ok: true, req: { kind: 'ask', ask, waitSec, enough: v.contributions } }
}

export const textPart = (text: string): Part => ({ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' })
export const dataPart = (value: unknown): Part => ({ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' })

export function agentMessage (taskId: string, contextId: string, text: string, data?: unknown): Message {
  return {
    messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT,
    parts: data === undefined ? [textPart(text)] : [textPart(text), dataPart(data)],
    metadata: undefined, extensions: [], referenceTaskIds: []
  }
}

/** One contribution as an artifact: its text, and the whole view (kind, confidence, sources, author) as data. */
export function contributionArtifact (c: ContributionView, questionId: string): Artifact {
  return {
    artifactId: c.id,
    name: `contribution/${c.kind}`,
    description: `${c.kind} from ${c.from}, confidence ${c.confidence}`,
    parts: [textPart(c.text), dataPart({ type: 'contribution', ...c })],
    metadata: { swarmd: { type: 'contribution', questionId } },
    extensions: []
  }
}

/** The signed summary as the final artifact: a readable rendering and the envelope's content. */
export function summaryArtifact (s: Record<string, any>): Artifact {
  const c = s.content ?? {}
  const lines: string[] = []
  const section = (title: string, items: any[] | undefined): void => {
    if (items === undefined || items.length === 0) return
    lines.push(`${title}:`)
    for (const i of items) lines.push(`- ${String(i.text)} (confidence ${String(i.confidence)})`)
  }
  section('Facts', c.facts)
  section('Hypotheses', c.hypotheses)
  section('Recommendations', c.recommendations)
  lines.push(`Uncertainty: ${String(c.uncertainty)}`)
  return {
    artifactId: String(s.id),
    name: 'summary',
    description: `${String(s.status)} summary of ${String(s['question/id'])} from ${(s.contributors ?? []).length} contributors`,
    parts: [textPart(lines.join('\n')), dataPart({ type: 'summary', id: s.id, questionId: s['question/id'], status: s.status, ...c, contributors: s.contributors, excluded: s.excluded })],
    metadata: { swarmd: { type: 'summary' } },
    extensions: []
  }
}
