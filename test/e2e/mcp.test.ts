// The MCP SDK's own client drives `swarm mcp` against a real daemon in a 3-daemon swarm: one
// agent asks and watches, another serves (`--serve`) and answers through swarm_answer, a third
// node answers from the CLI. Bad inputs get schema errors; swarmd's codes survive.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { mcpSession, toolErrorOf, type McpSession } from '../helpers/mcp.ts'

const fast = { presence: { heartbeatSec: 0.5 } }
const TOOLS = ['swarm_ask', 'swarm_watch', 'swarm_answer', 'swarm_summarize', 'swarm_close', 'swarm_questions', 'swarm_task_run', 'swarm_reflect_add', 'swarm_knowledge']

/** Inodes of every TCP socket on this host (listening or not). */
function tcpInodes (): Set<string> {
  const out = new Set<string>()
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try { text = readFileSync(f, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length > 9) out.add(cols[9])
    }
  }
  return out
}

/** Socket inodes a process holds open. */
function socketInodes (pid: number): string[] {
  const out: string[] = []
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m !== null) out.push(m[1])
    } catch {}
  }
  return out
}

// generous: the suite shares two cores with many daemons
describe('swarm mcp: the MCP SDK client asks, watches and answers in a 3-daemon swarm', { timeout: 300_000 }, () => {
  const daemons: TestDaemon[] = []
  const sessions: McpSession[] = []
  afterAll(async () => {
    for (const s of sessions) await s.close()
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('carries a question from an MCP asker to an MCP answerer and back', async () => {
    daemons.push(...await startDaemons([{ config: fast }, { config: fast }, { config: fast }], 'full'))
    const [a, b, c] = daemons
    const asker = await mcpSession(a)
    const answerer = await mcpSession(b, ['--serve'])
    sessions.push(asker, answerer)

    // every tool is listed with an input schema and an output schema
    const { tools } = await asker.client.listTools()
    for (const name of TOOLS) {
      const t = tools.find((x) => x.name === name)
      expect(t, name).toBeDefined()
      expect(t?.inputSchema.type).toBe('object')
      expect(t?.outputSchema?.type).toBe('object')
    }
    expect(asker.client.getServerCapabilities()?.resources?.subscribe).toBe(true)

    // the MCP process speaks only stdio and the control socket: no TCP socket of its own
    const mcpPid = asker.pid()
    expect(mcpPid).toBeGreaterThan(0)
    const tcp = tcpInodes()
    expect(socketInodes(mcpPid as number).filter((i) => tcp.has(i))).toEqual([])

    const asked: any = await asker.client.callTool({ name: 'swarm_ask', arguments: { text: 'How do I rotate a federation trust root safely?', tags: ['trust'], urgency: 'high', ttl: 300 } })
    expect(asked.isError).toBeFalsy()
    const qid = asked.structuredContent.id as string
    expect(qid).toMatch(/^question:[0-9A-Z]{26}$/)
    expect(asked.structuredContent).toMatchObject({ scope: 'federation-local', urgency: 'high', ttlSec: 300 })

    // the asker subscribes to the channel resource
    await asker.client.subscribeResource({ uri: `swarm://question/${qid}` })

    // --serve: the answering agent is told of the new question, finds it in swarm_questions, answers
    const notice = await eventually(() => answerer.logs.find((l) => l.data?.type === 'question' && l.data.id === qid), { what: 'question notice on the serving agent', timeoutMs: 60_000 })
    expect(notice).toMatchObject({ level: 'notice', logger: 'swarmd', data: { text: 'How do I rotate a federation trust root safely?', from: a.nodeId } })
    expect(answerer.listChanged).toBeGreaterThan(0)
    const listed: any = await answerer.client.callTool({ name: 'swarm_questions', arguments: {} })
    expect(listed.structuredContent.questions.map((q: any) => q.id)).toContain(qid)
    // the asker's own list leaves out its own question (it is not one to answer)
    const own: any = await asker.client.callTool({ name: 'swarm_questions', arguments: {} })
    expect(own.structuredContent.questions.map((q: any) => q.id)).not.toContain(qid)

    // an agent that starts serving later is told of the questions already open
    const late = await mcpSession(c, ['--serve'])
    sessions.push(late)
    await eventually(() => late.logs.find((l) => l.data?.type === 'question' && l.data.id === qid), { what: 'open question announced to a late --serve session', timeoutMs: 60_000 })

    const progress: any[] = []
    const watching = asker.client.callTool({ name: 'swarm_watch', arguments: { id: qid, wait: 150, min: 2 } }, undefined, { onprogress: (p) => { progress.push(p) }, timeout: 180_000 })
    const answered: any = await answerer.client.callTool({ name: 'swarm_answer', arguments: { id: qid, text: 'Cross-sign the new root with the old one for a transition period.', kind: 'recommendation', confidence: 0.8, sources: ['rfc:5011'] } })
    expect(answered.isError).toBeFalsy()
    expect(answered.structuredContent).toMatchObject({ questionId: qid })
    const cid = answered.structuredContent.id as string
    expect(cid).toMatch(/^contribution:/)
    const fact = await c.json(['answer', qid, 'Old nodes pin the root key.', '--kind', 'fact', '--confidence', '0.9', '--reply-to', cid])

    const watched: any = await watching
    expect(watched.isError).toBeFalsy()
    const w = watched.structuredContent
    expect(w.contributions.map((x: any) => x.id).sort()).toEqual([cid, fact.id].sort())
    expect(w.contributions.find((x: any) => x.id === cid)).toMatchObject({ kind: 'recommendation', confidence: 0.8, from: b.nodeId, sources: ['rfc:5011'], text: 'Cross-sign the new root with the old one for a transition period.' })
    expect(w.contributions.find((x: any) => x.id === fact.id)).toMatchObject({ kind: 'fact', replyTo: cid, from: c.nodeId })
    expect(w.cursor).toBeGreaterThan(0)
    expect(w.closed).toBe(false)
    expect(progress.length).toBeGreaterThan(0)

    // the subscription told the asker; the resource shows the channel
    await eventually(() => asker.updated.includes(`swarm://question/${qid}`), { what: 'resources/updated for the channel', timeoutMs: 60_000 })
    const res = await asker.client.readResource({ uri: `swarm://question/${qid}` })
    const view = JSON.parse(String((res.contents[0] as any).text))
    expect(view).toMatchObject({ id: qid, text: 'How do I rotate a federation trust root safely?', role: 'asker' })
    expect(view.contributions).toHaveLength(2)

    // the cursor: nothing new after it
    const again: any = await asker.client.callTool({ name: 'swarm_watch', arguments: { id: qid, cursor: w.cursor, wait: 1 } })
    expect(again.structuredContent.contributions).toEqual([])
    expect(again.structuredContent.cursor).toBeGreaterThanOrEqual(w.cursor)

    const summary: any = await asker.client.callTool({ name: 'swarm_summarize', arguments: { id: qid, final: true } })
    expect(summary.isError).toBeFalsy()
    expect(summary.structuredContent).toMatchObject({ questionId: qid, status: 'final' })
    expect(summary.structuredContent.contributors.sort()).toEqual([b.nodeId, c.nodeId].sort())
    const closed: any = await asker.client.callTool({ name: 'swarm_close', arguments: { id: qid, accept: [cid], note: 'thanks' } })
    expect(closed.isError).toBeFalsy()
    expect(closed.structuredContent).toMatchObject({ id: qid, state: 'resolved' })

    // a closed channel: swarm_watch from the start returns the summary and the close at once
    const after: any = await asker.client.callTool({ name: 'swarm_watch', arguments: { id: qid, wait: 30 } })
    expect(after.structuredContent.closed).toBe(true)
    expect(after.structuredContent.close).toMatchObject({ resolution: 'accepted-answer', accepted: [cid] })
  })

  it('answers bad input with schema errors and keeps swarmd\'s error codes', async () => {
    const [a, b] = daemons
    const asker = sessions[0]
    const noText: any = await asker.client.callTool({ name: 'swarm_ask', arguments: { urgency: 'high' } })
    expect(noText.isError).toBe(true)
    expect(noText.content[0].text).toMatch(/Input validation error/)
    const badUrgency: any = await asker.client.callTool({ name: 'swarm_ask', arguments: { text: 'x', urgency: 'yesterday' } })
    expect(badUrgency.isError).toBe(true)
    expect(badUrgency.content[0].text).toMatch(/Input validation error/)
    const badId: any = await asker.client.callTool({ name: 'swarm_answer', arguments: { id: 'question:nope', text: 'x' } })
    expect(badId.content[0].text).toMatch(/Input validation error/)
    const badConfidence: any = await asker.client.callTool({ name: 'swarm_answer', arguments: { id: 'question:01JZZZZZZZZZZZZZZZZZZZZZZZ', text: 'x', confidence: 7 } })
    expect(badConfidence.content[0].text).toMatch(/Input validation error/)

    // a well-formed call the daemon refuses: its stable code comes through
    const q: any = await sessions[1].client.callTool({ name: 'swarm_ask', arguments: { text: 'Only b may close this', ttl: 120 } })
    const qid = q.structuredContent.id
    await eventually(async () => (await a.json(['questions'])).some((x: any) => x.id === qid), { what: 'question reaches a', timeoutMs: 60_000 })
    const refused: any = await asker.client.callTool({ name: 'swarm_close', arguments: { id: qid } })
    expect(refused.isError).toBe(true)
    const e = toolErrorOf(refused)
    expect(e?.code).toMatch(/^[a-z][a-z-]+$/)
    expect(e?.code).not.toBe('internal')
    expect(refused._meta?.['swarmd/error']?.code).toBe(e?.code)
    const missing: any = await asker.client.callTool({ name: 'swarm_knowledge', arguments: { query: '' } })
    expect(missing.content[0].text).toMatch(/Input validation error/)
    // an unknown resource is a request error, not a crash; the session keeps working
    await expect(asker.client.readResource({ uri: 'swarm://question/question:01JZZZZZZZZZZZZZZZZZZZZZZZ' })).rejects.toThrow(/not-found/)
    const still: any = await asker.client.callTool({ name: 'swarm_questions', arguments: { all: true } })
    expect(still.structuredContent.questions.length).toBeGreaterThan(0)
    void b
  })
})
