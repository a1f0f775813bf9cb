// The A2A SDK's client drives a swarmd node's A2A endpoint in a 3-daemon swarm: a streamed
// message opens a swarm question, peers' contributions arrive as artifacts and the signed
// summary as the final one; a clarification request is input-required; cancel withdraws.
// Strangers without the token are refused while the operator's client works; the endpoint is
// off unless configured, and on loopback when it is.

import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TaskState } from '@a2a-js/sdk'
import { afterAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/index.ts'
import { cleanupHomes, eventually, startDaemons, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'
import { a2aClient, a2aToken, a2aUrl, dataMessage, rpc, userMessage } from '../helpers/a2a.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

/** Ports this process listens on (TCP, any address). */
function listeningPorts (pid: number): number[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try { const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`)); if (m !== null) inodes.add(m[1]) } catch {}
  }
  const ports: number[] = []
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/)
      if (c.length > 9 && c[3] === '0A' && inodes.has(c[9])) ports.push(parseInt(c[1].split(':')[1], 16))
    }
  }
  return [...new Set(ports)].sort()
}

/** Answers the first question `d` sees that `a` asked after `since`, as `kind`. */
async function answerWhenSeen (d: TestDaemon, exclude: Set<string>, text: string, kind = 'fact'): Promise<string> {
  const q = await eventually(async () => (await d.json(['questions'])).find((x: any) => !exclude.has(x.id) && x.state === 'open'), { what: 'question reaches a peer', timeoutMs: 60_000 })
  const res = await d.json(['answer', q.id, text, '--kind', kind, '--confidence', '0.8'])
  return res.id
}

// generous: the suite shares two cores with many daemons
describe('A2A endpoint: the SDK client asks the swarm and streams its answers', { timeout: 300_000 }, () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })
  const done = new Set<string>()
  let shared = ''

  it('is off by default and on loopback when configured', async () => {
    shared = join(await tempHome('swarm-a2a-share-'), 'shared')
    await mkdir(shared)
    await writeFile(join(shared, 'hello.txt'), 'hello\nswarm\n')
    const executor = { tasks: { accept: ['file-analysis'], safePrefixes: [shared], advertIntervalSec: 2 } }
    daemons.push(...await startDaemons([{ config: { ...fast, a2a: { listen: ':0' } } }, { config: { ...fast, ...executor } }, { config: fast }], 'full'))
    const [a, b] = daemons
    const url = await a2aUrl(a)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    // b has no endpoint: it listens on its libp2p port(s) only, and says so
    const bPorts = listeningPorts(b.pid)
    const libp2pPorts = b.addresses.map((x) => Number(/\/tcp\/(\d+)/.exec(x)?.[1])).filter((p) => p > 0)
    expect(bPorts.every((p) => libp2pPorts.includes(p))).toBe(true)
    const bc = await connect({ home: b.home })
    expect(await bc.call('a2a.status')).toMatchObject({ listening: false, url: null })
    bc.disconnect()
    const aPorts = listeningPorts(a.pid)
    expect(aPorts).toContain(Number(new URL(url).port))
    // the token file is the operator's alone
    expect(statSync(`${a.home}/a2a-token`).mode & 0o777).toBe(0o600)
  })

  it('serves the card, refuses strangers, and still serves the operator', async () => {
    const [a] = daemons
    const url = await a2aUrl(a)
    const card = await (await fetch(`${url}/.well-known/agent-card.json`)).json()
    expect(card.skills.map((s: any) => s.id)).toContain('swarm-ask')
    expect(card.capabilities.streaming).toBe(true)
    expect(card.supportedInterfaces[0].url).toBe(`${url}/a2a/jsonrpc`)
    const send = { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm1', role: 'ROLE_USER', parts: [{ text: 'hi' }] } } }
    expect((await rpc(url, send, { 'A2A-Version': '1.0' })).status).toBe(401)
    expect((await rpc(url, send, { 'A2A-Version': '1.0', Authorization: 'Bearer not-the-token-at-all-not-the-token-at-all' })).status).toBe(401)
    expect((await rpc(url, send, { 'A2A-Version': '1.0', Authorization: `Basic ${await a2aToken(a)}` })).status).toBe(401)
    // hostile bodies with the right token: errors, never a crash
    const auth = { Authorization: `Bearer ${await a2aToken(a)}`, 'A2A-Version': '1.0' }
    expect((await rpc(url, '{not json', auth)).json.error.code).toBe(-32700)
    expect((await rpc(url, '[1,2]', auth)).json.error.code).toBe(-32600)
    expect((await rpc(url, 'x'.repeat(2 * 1024 * 1024), auth)).status).toBe(413)
    const noMessage = await rpc(url, { jsonrpc: '2.0', id: 2, method: 'SendMessage', params: { nope: true } }, auth)
    expect(noMessage.json.error).toBeDefined()
    const legacyBad = await rpc(url, { jsonrpc: '2.0', id: 3, method: 'message/send', params: { message: 'nope' } }, { Authorization: auth.Authorization })
    expect(legacyBad.json.error.code).toBe(-32602)
    // unknown tasks: typed errors
    expect((await rpc(url, { jsonrpc: '2.0', id: 4, method: 'GetTask', params: { id: 'no-such-task' } }, auth)).json.error.code).toBe(-32001)
    expect((await rpc(url, { jsonrpc: '2.0', id: 5, method: 'tasks/cancel', params: { id: 'no-such-task' } }, { Authorization: auth.Authorization })).json.error.code).toBe(-32001)
    expect((await fetch(`${url}/a2a/jsonrpc`, { headers: auth })).status).toBe(405)
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404)
    // the operator's SDK client: an empty message is a request error (no task is made)
    const client = await a2aClient(url, await a2aToken(a))
    await expect(client.sendMessage(userMessage(''))).rejects.toThrow(/usage|no text|parts/i)
    await expect(client.sendMessage(userMessage('q', { swarmd: { urgency: 'yesterday' } }))).rejects.toThrow(/urgency/)
    expect((await a.json(['questions'])).length).toBe(0)
  })

  it('streams contributions as artifacts and the summary as the final artifact', async () => {
    const [a, b, c] = daemons
    const client = await a2aClient(await a2aUrl(a), await a2aToken(a))
    const events: any[] = []
    const answers = Promise.all([answerWhenSeen(b, done, 'Cross-sign the new root with the old one.', 'recommendation'), answerWhenSeen(c, done, 'Old nodes pin the root key.', 'fact')])
    for await (const e of client.sendMessageStream(userMessage('How do I rotate a federation trust root safely?', { swarmd: { contributions: 2, wait: 150, ttl: 300, tags: ['trust'] } }))) events.push(e.payload)
    const cids = await answers
    const cases = events.map((p) => p?.$case)
    expect(cases[0]).toBe('task')
    const taskId = events[0].value.id as string
    const artifacts = events.filter((p) => p.$case === 'artifactUpdate').map((p) => p.value.artifact)
    expect(artifacts.slice(0, 2).map((x: any) => x.artifactId).sort()).toEqual([...cids].sort())
    const contribution = artifacts.find((x: any) => x.artifactId === cids[0])
    expect(contribution.parts[0].content).toEqual({ $case: 'text', value: 'Cross-sign the new root with the old one.' })
    expect(contribution.parts[1].content.value).toMatchObject({ type: 'contribution', kind: 'recommendation', from: b.nodeId })
    const summary = artifacts[artifacts.length - 1]
    expect(summary.name).toBe('summary')
    expect(summary.parts[1].content.value).toMatchObject({ type: 'summary', status: 'final' })
    expect(summary.parts[1].content.value.contributors.sort()).toEqual([b.nodeId, c.nodeId].sort())
    const last = events[events.length - 1]
    expect(last.$case).toBe('statusUpdate')
    expect(last.value.status.state).toBe(TaskState.TASK_STATE_COMPLETED)
    const qid = summary.parts[1].content.value.questionId as string
    done.add(qid)
    // tasks/get: the stored task with every artifact; the question was closed after the summary
    const task = await client.getTask({ tenant: '', id: taskId, historyLength: undefined })
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED)
    expect(task.artifacts).toHaveLength(3)
    expect((await a.json(['show', qid])).state).toBe('resolved')
  })

  it('turns a clarification request into input-required and carries the reply into the channel', async () => {
    const [a, b, c] = daemons
    const client = await a2aClient(await a2aUrl(a), await a2aToken(a))
    const first: any[] = []
    const asking = answerWhenSeen(b, done, 'Which federation: the closed one or the open one?', 'clarification-request')
    for await (const e of client.sendMessageStream(userMessage('Should we rotate now?', { swarmd: { contributions: 2, wait: 150 } }))) first.push(e.payload)
    const requestId = await asking
    const end = first[first.length - 1]
    expect(end.value.status.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED)
    const taskId = first[0].value.id as string
    const contextId = first[0].value.contextId as string
    const qid = first.find((p) => p.$case === 'artifactUpdate').value.artifact.metadata.swarmd.questionId as string
    done.add(qid)
    // the reply: a clarification in the channel; the task follows on to c's answer and the summary
    const second: any[] = []
    const answering = (async () => {
      await eventually(async () => (await a.json(['show', qid])).contributions.some((x: any) => x.kind === 'clarification'), { what: 'the clarification is in the channel', timeoutMs: 60_000 })
      return (await c.json(['answer', qid, 'Rotate after the closed federation signs off.', '--kind', 'recommendation'])).id
    })()
    for await (const e of client.sendMessageStream(userMessage('The closed one.', undefined, taskId, contextId))) second.push(e.payload)
    await answering
    expect(second[second.length - 1].value.status.state).toBe(TaskState.TASK_STATE_COMPLETED)
    const shown = await a.json(['show', qid])
    const clar = shown.contributions.find((x: any) => x.kind === 'clarification')
    expect(clar).toMatchObject({ text: 'The closed one.', 'in-reply-to': requestId })
    expect(clar.sender['node/id']).toBe(a.nodeId)
  })

  it('cancel withdraws the question; v0.3 method names work on the same endpoint', async () => {
    const [a] = daemons
    const url = await a2aUrl(a)
    const client = await a2aClient(url, await a2aToken(a))
    const stream = client.sendMessageStream(userMessage('A question to withdraw', { swarmd: { wait: 120 } }))
    const first = await stream.next()
    const taskId = (first.value as any).payload.value.id as string
    let qid: string | undefined
    for await (const e of stream) {
      const p: any = e.payload
      if (p.$case === 'statusUpdate' && p.value.status.state === TaskState.TASK_STATE_WORKING) {
        qid = p.value.status.message.parts[1].content.value.questionId
        const canceled = await client.cancelTask({ tenant: '', id: taskId, metadata: {} })
        expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED)
      }
      if (p.$case === 'statusUpdate' && p.value.status.state === TaskState.TASK_STATE_CANCELED) break
    }
    expect(qid).toMatch(/^question:/)
    done.add(qid as string)
    expect((await a.json(['show', qid as string])).state).toBe('withdrawn')

    // v0.3: message/send (blocking) then tasks/get, with the names the 0.3 spec uses
    const auth = { Authorization: `Bearer ${await a2aToken(a)}` }
    const sent = await rpc(url, { jsonrpc: '2.0', id: 7, method: 'message/send', params: { message: { kind: 'message', messageId: 'legacy-1', role: 'user', parts: [{ kind: 'text', text: 'A legacy question' }], metadata: { swarmd: { wait: 1 } } } } }, auth)
    expect(sent.json.error).toBeUndefined()
    expect(sent.json.result.kind).toBe('task')
    expect(sent.json.result.status.state).toBe('completed')
    const got = await rpc(url, { jsonrpc: '2.0', id: 8, method: 'tasks/get', params: { id: sent.json.result.id } }, auth)
    expect(got.json.result.id).toBe(sent.json.result.id)
    expect(got.json.result.artifacts.some((x: any) => x.name === 'summary')).toBe(true)
  })

  it('a data part with a task type runs the task on a capable peer; the card lists the swarm\'s task types', async () => {
    const [a, b] = daemons
    const url = await a2aUrl(a)
    await eventually(async () => (await a.json(['capabilities'])).peers.some((p: any) => p.taskTypes.includes('file-analysis')), { what: 'a sees b\'s advert', timeoutMs: 60_000 })
    const card = await (await fetch(`${url}/.well-known/agent-card.json`)).json()
    expect(card.skills.map((s: any) => s.id)).toContain('task:file-analysis')
    const client = await a2aClient(url, await a2aToken(a))
    const res: any = await client.sendMessage(dataMessage({ taskType: 'file-analysis', data: { path: 'hello.txt' } }))
    expect(res.status.state).toBe(TaskState.TASK_STATE_COMPLETED)
    const result = res.artifacts[0]
    expect(result.name).toBe('task-result')
    expect(result.metadata.swarmd.executedBy).toBe(b.peerId)
    expect(result.parts[1].content.value).toMatchObject({ length: 12, lines: 2, type: 'text' })
    // a refused task fails with the swarm's code
    const bad: any = await client.sendMessage(dataMessage({ taskType: 'file-analysis', data: { path: '/etc/passwd' } }))
    expect(bad.status.state).toBe(TaskState.TASK_STATE_FAILED)
    expect(bad.status.message.parts[1].content.value.error.code).toMatch(/^[a-z-]+$/)
  })
})
