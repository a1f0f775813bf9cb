// The question tools: ask, watch (long-poll since a cursor, with progress notifications),
// answer, summarize, close, and the list of questions this node may answer.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { SwarmClient } from '../client/swarm-client.ts'
import type { ChannelEvent, QuestionRow } from '../client/types.ts'
import { channelDelta } from './channel-delta.ts'
import { toolError, toolResult } from './errors.ts'
import * as s from './schemas.ts'

const DEFAULT_WAIT_SEC = 30
const KEEPALIVE_MS = 10_000

/** What the list of questions an answering agent sees leaves out: its own, the closed, the filtered-out. */
export function answerable (rows: QuestionRow[]): QuestionRow[] {
  return rows.filter((q) => q.role !== 'asker' && q.eligible && (q.state === 'open' || q.state === 'answered'))
}

export function registerQuestionTools (server: McpServer, client: SwarmClient): void {
  server.registerTool('swarm_ask', {
    title: 'Ask the swarm',
    description: 'Broadcast a signed question to the swarm; its response channel opens at once. Returns the question id; follow it with swarm_watch.',
    inputSchema: s.askInput,
    outputSchema: s.askOutput
  }, async (a, extra) => {
    try {
      const scope = a.scope ?? (a.to !== undefined && a.to.length > 0 ? 'private' : undefined)
      const res = await client.ask({
        text: a.text, scope, tags: a.tags, urgency: a.urgency, ttlSec: a.ttl, to: a.to, federations: a.federations,
        requireModels: a.filters?.requireModels, excludeModels: a.filters?.excludeModels, minReputation: a.filters?.minReputation, languages: a.filters?.languages
      }, { signal: extra.signal })
      const env = res.envelope
      const ttlSec = Number(env['ttl-sec'])
      return toolResult({ id: res.id, scope: env.delivery.scope, urgency: env.question.urgency, ttlSec, createdAt: env['created-at'], expiresAt: new Date(Date.parse(env['created-at']) + ttlSec * 1000).toISOString() })
    } catch (err) { return toolError(err) }
  })

  server.registerTool('swarm_watch', {
    title: 'Watch a question\'s channel',
    description: 'Contributions, summaries and the close of a question after `cursor`. Waits up to `wait` seconds until `min` new contributions (or a summary or close) arrive; sends a progress notification for each while waiting.',
    inputSchema: s.watchInput,
    outputSchema: s.watchOutput
  }, async (a, extra) => {
    const cursor = a.cursor ?? 0
    const min = a.min ?? 1
    const token = extra._meta?.progressToken
    let progress = 0
    const notify = async (message: string): Promise<void> => {
      if (token === undefined) return
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: progress++, message } }).catch(() => {})
    }
    const events: ChannelEvent[] = []
    let state = 'open'
    let live = false
    const stream = client.watch(a.id, { timeoutSec: a.wait ?? DEFAULT_WAIT_SEC, replay: true, signal: extra.signal })
    // a quiet channel still reports progress now and then, so a client that resets its request
    // timeout on progress waits the whole `wait`
    const keepalive = token === undefined ? undefined : setInterval(() => { void notify('waiting') }, KEEPALIVE_MS)
    try {
      for await (const e of stream) {
        if (e.type === 'state') {
          state = e.state ?? state
          // the first state event follows the replay: from here on, events are new
          if (!live) { live = true; await notify(`watching ${a.id}`) }
        } else {
          events.push(e)
          if (live && (e.seq ?? 0) > cursor && (e.type === 'contribution' || e.type === 'summary' || e.type === 'close')) await notify(`${e.type} from ${e.from ?? '?'}`)
        }
        if (!live) continue
        const d = channelDelta(events, cursor)
        if (d.close !== undefined || d.summaries.length > 0 || d.contributions.filter((c) => c.excluded === undefined).length >= min) break
        if (state !== 'open' && state !== 'answered') break
      }
      await stream.end
    } catch (err) { return toolError(err) } finally { stream.cancel(); clearInterval(keepalive) }
    const d = channelDelta(events, cursor)
    const out: Record<string, unknown> = {
      id: a.id, state, closed: d.close !== undefined || (state !== 'open' && state !== 'answered'),
      cursor: d.cursor, contributions: d.contributions, summaries: d.summaries
    }
    if (d.close !== undefined) out.close = d.close
    return toolResult(out)
  })

  server.registerTool('swarm_answer', {
    title: 'Answer a question',
    description: 'Contribute to a question\'s response channel: a partial answer, fact, hypothesis, recommendation, clarification (request) or objection, with confidence and sources.',
    inputSchema: s.answerInput,
    outputSchema: s.answerOutput
  }, async (a, extra) => {
    try {
      const res = await client.answer({
        id: a.id, text: a.text, kind: a.kind, confidence: a.confidence, sources: a.sources,
        replyTo: a.replyTo ?? a['reply-to'], origin: a.origin ?? 'node-generated'
      }, { signal: extra.signal })
      return toolResult({ id: res.id, questionId: res.questionId })
    } catch (err) { return toolError(err) }
  })

  server.registerTool('swarm_summarize', {
    title: 'Summarize a question\'s channel',
    description: 'Merge the contributions into a signed summary (facts, hypotheses, recommendations, uncertainty), publish it in the channel and return it.',
    inputSchema: s.summarizeInput,
    outputSchema: s.summarizeOutput
  }, async (a, extra) => {
    try {
      const e = await client.summarize(a.id, { final: a.final === true }, { signal: extra.signal, timeoutMs: 120_000 })
      return toolResult({
        id: e.id, questionId: e['question/id'], status: e.status, facts: e.content.facts, hypotheses: e.content.hypotheses,
        recommendations: e.content.recommendations, uncertainty: e.content.uncertainty, contributors: e.contributors, excluded: e.excluded
      })
    } catch (err) { return toolError(err) }
  })

  server.registerTool('swarm_close', {
    title: 'Close a question',
    description: 'Close a question this node asked (or acts for as secretary): accepted answer, resolved, handed off or withdrawn.',
    inputSchema: s.closeInput,
    outputSchema: s.closeOutput
  }, async (a, extra) => {
    try {
      const res = await client.close(a.id, { resolution: a.resolution, accept: a.accept, note: a.note }, { signal: extra.signal })
      return toolResult({ id: a.id, state: res.state, closeId: res.envelope.id })
    } catch (err) { return toolError(err) }
  })

  server.registerTool('swarm_questions', {
    title: 'Questions this node may answer',
    description: 'Open questions from other nodes whose filters let this node answer, most urgent first (with all: every question this node knows).',
    inputSchema: s.questionsInput,
    outputSchema: s.questionsOutput
  }, async (a, extra) => {
    try {
      const rows = await client.questions({ all: a.all === true, state: a.state }, { signal: extra.signal })
      const picked = a.all === true ? rows : answerable(rows)
      return toolResult({
        questions: picked.map((q) => ({ id: q.id, text: q.text, scope: q.scope, urgency: q.urgency, state: q.state, role: q.role, contributions: q.contributions, expiresAt: q.expiresAt, createdAt: q.createdAt, from: q.from, eligible: q.eligible }))
      })
    } catch (err) { return toolError(err) }
  })
}
