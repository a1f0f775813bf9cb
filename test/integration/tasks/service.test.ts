// Two real libp2p nodes over loopback TCP in one process, each with the real TaskService: the
// executor's refusals with their stable codes, busy, cancellation, adverts and withdrawal.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaults } from '../../../src/config/load.ts'
import { inputHash, verifyReceiptSignature } from '../../../src/tasks/receipts.ts'
import { homePaths } from '../../../src/config/paths.ts'
import { identityFromSeed, newSeed, type Identity } from '../../../src/identity/index.ts'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { AuditLog } from '../../../src/store/audit.ts'
import { createSwarmNode, type SwarmLibp2p } from '../../../src/net/node.ts'
import { TopicRouter } from '../../../src/net/topics.ts'
import { PeerDirectory } from '../../../src/net/directory.ts'
import { SwarmEvents } from '../../../src/kernel/events.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'
import { buildTaskRequest, createSigner, EnvelopeValidator } from '../../../src/envelope/index.ts'
import { ReputationBook } from '../../../src/reputation/index.ts'
import { TaskService, type TaskServiceInit } from '../../../src/tasks/service.ts'
import { sendTask } from '../../../src/tasks/protocol.ts'

interface Node { identity: Identity, libp2p: SwarmLibp2p, db: SwarmDb, tasks: TaskService, topics: TopicRouter, directory: PeerDirectory, audit: AuditLog, events: SwarmEvents, counters: Counters, stopped: boolean }

let dir: string
const nodes: Node[] = []

async function startNode (tasks: Record<string, unknown>, init: TaskServiceInit = {}, membership?: { closed: () => boolean, whyNot: (nodeId: string) => string | undefined }): Promise<Node> {
  const home = join(dir, `home-${nodes.length}`)
  await mkdir(home, { recursive: true })
  const config = defaults()
  config.node.federation = 'fed:it'
  Object.assign(config.tasks, { advertIntervalSec: 1 }, tasks)
  const identity = await identityFromSeed(newSeed(), config.node.federation)
  const db = await openDb(join(home, 'db'))
  const libp2p = await createSwarmNode({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
  const counters = new Counters()
  const topics = new TopicRouter(libp2p.services.pubsub, counters, silentLogger)
  const directory = new PeerDirectory()
  const audit = new AuditLog(db.bucket('audit'))
  const events = new SwarmEvents()
  const service = new TaskService({
    paths: homePaths(home), config, identity, db, libp2p, topics, control: { register: () => {} }, events, counters, log: silentLogger, audit, directory,
    reputation: new ReputationBook(db.bucket('reputation'), config.reputation.default),
    ...(membership === undefined ? {} : { membership: membership as any })
  }, init)
  await libp2p.start()
  topics.start()
  await service.start()
  const node = { identity, libp2p, db, tasks: service, topics, directory, audit, events, counters, stopped: false }
  nodes.push(node)
  return node
}

async function stopNode (n: Node): Promise<void> {
  if (n.stopped) return
  n.stopped = true
  await n.tasks.stop()
  n.topics.stop()
  await n.libp2p.stop()
  await n.db.close()
}

async function until<T> (fn: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const responses = new EnvelopeValidator({ maxBytes: 4 * 1024 * 1024 })
async function rawTask (from: Node, to: Node, bytes: Uint8Array): Promise<any> {
  const res = await sendTask(from.libp2p, to.libp2p.peerId, bytes, { timeoutMs: 10_000 })
  const v = responses.validateSync(res, { expectType: 'swarm/task-response' })
  if (!v.ok) throw new Error(`bad response: ${v.reason}`)
  return v.envelope
}

describe('TaskService between two in-process nodes', () => {
  let caller: Node
  let executor: Node
  const started: string[] = []
  let aborted = 0

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarm-it-tasks-'))
    executor = await startNode({ maxConcurrent: 1, maxQueued: 0 }, {
      executors: {
        echo: async (data) => ({ echo: data }),
        // waits until cancelled or 20 s
        hold: async (data, { signal }) => {
          started.push(String(data.n))
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, 20_000)
            signal.addEventListener('abort', () => { clearTimeout(t); aborted++; reject(Object.assign(new Error('aborted'), { code: 'aborted' })) }, { once: true })
          })
          return {}
        }
      }
    })
    caller = await startNode({})
    await caller.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
    await until(() => caller.directory.byPeer(executor.libp2p.peerId.toString()))
  })

  afterAll(async () => {
    for (const n of nodes) await stopNode(n).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  it('delegates by advert and audits both sides under one correlation id', async () => {
    const r = await caller.tasks.run({ type: 'echo', data: { x: 1 } })
    expect(r).toMatchObject({ success: true, attempts: 1, executedBy: executor.libp2p.peerId.toString(), result: { echo: { x: 1 } } })
    const cid = r.correlationId
    const mine = (await caller.audit.list({ correlationId: cid })).map((e) => e.kind)
    const theirs = (await executor.audit.list({ correlationId: cid })).map((e) => e.kind)
    expect(mine).toEqual(['task.delegated', 'task.receipt', 'task.done'])
    expect(theirs).toEqual(['task.received', 'task.run'])
    // the executor's signed receipt binds this task and this outcome, and stays verifiable in the log
    const kept = (await caller.audit.list({ correlationId: cid, kind: 'task.receipt' }))[0].detail as any
    expect(kept.receipt).toMatchObject({ 'correlation-id': cid, 'task/type': 'echo', isolation: 'none', 'executed-by': executor.identity.nodeId, 'input-hash': inputHash('echo', { x: 1 }) })
    expect(verifyReceiptSignature(kept.receipt, kept.pubkey)).toBe(true)
    expect(verifyReceiptSignature({ ...kept.receipt, isolation: 'bwrap' }, kept.pubkey)).toBe(false)
    expect(r.success && r.receipt?.['output-hash']).toBe(kept.receipt['output-hash'])
    expect(await caller.audit.verify()).toMatchObject({ intact: true })
  })

  it('refuses malformed, forged and expired requests with stable codes', async () => {
    const garbage = await rawTask(caller, executor, new TextEncoder().encode('{"type":"swarm/task-request"}'))
    expect(garbage).toMatchObject({ success: false, error: { code: 'bad-request' } })
    expect(garbage['correlation-id']).toMatch(/^unverified:task:/)

    // signed by a key that is not the stream's peer
    const stranger = createSigner(newSeed(), 'fed:it')
    const forged = buildTaskRequest(stranger, { correlationId: 'task:forged', taskType: 'echo', data: {}, deadline: Date.now() + 10_000 })
    expect(await rawTask(caller, executor, new TextEncoder().encode(JSON.stringify(forged)))).toMatchObject({ success: false, 'correlation-id': 'task:forged', error: { code: 'bad-request' } })

    const expired = buildTaskRequest(caller.identity, { correlationId: 'task:expired', taskType: 'echo', data: {}, deadline: Date.now() - 5_000 })
    expect(await rawTask(caller, executor, new TextEncoder().encode(JSON.stringify(expired)))).toMatchObject({ success: false, error: { code: 'expired' } })

    const other = createSigner(caller.identity.seed, 'fed:elsewhere')
    const foreign = buildTaskRequest(other, { correlationId: 'task:foreign', taskType: 'echo', data: {}, deadline: Date.now() + 10_000 })
    expect(await rawTask(caller, executor, new TextEncoder().encode(JSON.stringify(foreign)))).toMatchObject({ success: false, error: { code: 'not-accepted' } })

    const noCode = buildTaskRequest(caller.identity, { correlationId: 'task:nocode', taskType: 'python-computation', data: {}, deadline: Date.now() + 10_000 })
    // python is not accepted here: that verdict comes before the data check
    expect(await rawTask(caller, executor, new TextEncoder().encode(JSON.stringify(noCode)))).toMatchObject({ success: false, error: { code: 'not-accepted' } })

    const refused = await executor.audit.list({ kind: 'task.refused' })
    expect(refused.map((e) => (e.detail as any).code)).toEqual(['bad-request', 'bad-request', 'expired', 'not-accepted', 'not-accepted'])
    // a refused request writes one entry, not a task.received beside it
    expect((await executor.audit.list({ correlationId: 'task:expired' })).map((e) => e.kind)).toEqual(['task.refused'])

    // a peer's garbage past its allowance is refused as ever but no longer written to the audit log
    for (let i = 0; i < 30; i++) expect(await rawTask(caller, executor, new TextEncoder().encode('{"type":"swarm/task-request"}'))).toMatchObject({ error: { code: 'bad-request' } })
    expect((await executor.audit.list({ kind: 'task.refused' })).length).toBeLessThanOrEqual(21)
    expect(executor.counters.get('tasks.audit-suppressed', 'bad-request')).toBeGreaterThanOrEqual(14)
    // honest work from the same peer still runs and is audited
    const ok = await caller.tasks.run({ type: 'echo', data: { after: 'garbage' }, peer: executor.libp2p.peerId.toString() })
    expect(ok.success).toBe(true)
    expect((await executor.audit.list({ correlationId: ok.correlationId })).map((e) => e.kind)).toEqual(['task.received', 'task.run'])
  })

  it('a full node refuses busy; a cancelled caller stops the task on the executor', async () => {
    const ac = new AbortController()
    const first = caller.tasks.run({ type: 'hold', data: { n: 1 } }, ac.signal)
    await until(() => started.includes('1'))
    // the executor advertises its load; the caller sees it
    await until(() => caller.directory.byPeer(executor.libp2p.peerId.toString())?.running === 1)
    const busy = await caller.tasks.run({ type: 'hold', data: { n: 2 }, peer: executor.libp2p.peerId.toString() })
    expect(busy).toMatchObject({ success: false, attempts: 1, error: { code: 'busy' } })
    // unpinned: the only peer is busy, which is retryable, and there is no other
    const busy2 = await caller.tasks.run({ type: 'hold', data: { n: 3 } })
    expect(busy2).toMatchObject({ success: false, attempts: 1, error: { code: 'busy' } })

    ac.abort()
    expect(await first).toMatchObject({ success: false, error: { code: 'aborted' } })
    await until(() => aborted === 1)
    const list = await executor.tasks['records'].list({ direction: 'in', limit: 10 })
    expect(list.find((t) => t.type === 'hold' && t.state === 'failed')?.error?.code).toBe('aborted')
  })

  it('re-reads config.json when it changes and advertises the new capabilities', async () => {
    expect(caller.tasks.capabilities().taskTypes).toEqual([])
    const shared = join(dir, 'shared')
    await mkdir(shared, { recursive: true })
    await writeFile(join(dir, 'home-1', 'config.json'), JSON.stringify({ node: { federation: 'fed:it' }, tasks: { accept: ['file-analysis'], safePrefixes: [shared] } }))
    await until(() => caller.tasks.capabilities().taskTypes.includes('file-analysis'))
    expect(caller.tasks.capabilities().capabilities).toContain('file-management')
    await until(() => executor.directory.byPeer(caller.libp2p.peerId.toString())?.taskTypes.includes('file-analysis'))
  })

  it('no capable peer, then a withdrawn advert on stop', async () => {
    const r = await caller.tasks.run({ type: 'file-analysis', data: { path: 'x' } })
    expect(r).toMatchObject({ success: false, attempts: 0, error: { code: 'no-capable-peer' } })
    const u = await caller.tasks.run({ type: 'frobnicate', data: {} })
    expect(u).toMatchObject({ success: false, error: { code: 'unsupported-task' } })

    await stopNode(executor)
    await until(() => caller.directory.byPeer(executor.libp2p.peerId.toString()) === undefined)
    const after = await caller.tasks.run({ type: 'echo', data: {} })
    expect(after).toMatchObject({ success: false, error: { code: 'unsupported-task' } })
  })
})

describe('who may send python: members of a closed federation', () => {
  let executor: Node
  let member: Node
  let outsider: Node
  const members = new Set<string>()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarm-it-tasks-closed-'))
    // A closed federation as admission sees it: membership is the certificate book's verdict.
    executor = await startNode({ accept: ['python-computation'] }, {}, { closed: () => true, whyNot: (id) => members.has(id) ? undefined : 'no-certificate' })
    member = await startNode({})
    outsider = await startNode({})
    members.add(member.identity.nodeId)
    for (const n of [member, outsider]) {
      await n.libp2p.dial(executor.libp2p.getMultiaddrs()[0])
      await until(() => n.directory.byPeer(executor.libp2p.peerId.toString()))
    }
  })

  afterAll(async () => {
    for (const n of [executor, member, outsider]) if (n !== undefined) await stopNode(n).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  it('runs a member\'s python jailed (tasks.allowFrom is not needed) and refuses a non-member not-allowed', async () => {
    expect(executor.tasks.capabilities().isolation).toBe('bwrap')
    const denied = await outsider.tasks.run({ type: 'python-computation', data: { code: 'print(1)' } })
    expect(denied).toMatchObject({ success: false, attempts: 1, error: { code: 'not-allowed' } })
    expect(denied.success === false && denied.error.message).toContain('no-certificate')
    const ok = await member.tasks.run({ type: 'python-computation', data: { code: 'print(6*7)' } })
    expect(ok).toMatchObject({ success: true, result: { stdout: '42\n' }, receipt: { isolation: 'bwrap' } })
  })
})
