// Task delegation between real daemons, driven through the CLI: capability adverts, selection
// by load, retry after a peer dies mid-task, cancellation, executor limits and refusals, and
// the audit log that records all of it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN, NODE, ROOT, cleanupHomes, harnessEnv, eventually, startDaemons, stopAll, tempHome, type CliResult, type TestDaemon } from '../helpers/daemons.ts'
import { reply, startChatServer, type ChatServer } from '../unit/synthesis/chat-server.ts'

const HELLO = 'hello\nworld\n'

/** `swarm task run …` as a child we can interrupt (SIGINT), like a user pressing Ctrl-C. */
function runInterruptible (d: TestDaemon, args: string[]): { child: ReturnType<typeof spawn>, done: Promise<CliResult> } {
  const child = spawn(NODE, [BIN, '--home', d.home, ...args], { cwd: ROOT, env: harnessEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => {
      let json: any
      try { json = JSON.parse(stdout) } catch {}
      resolve({ code: code ?? 1, stdout, stderr, json, lines: [] })
    })
  })
  return { child, done }
}

describe('tasks: delegation between real daemons', () => {
  let daemons: TestDaemon[] = []
  let a: TestDaemon, b: TestDaemon, c: TestDaemon
  let chat: ChatServer
  let shared: string
  const ids = { python: '', unsupportedPinned: '', notAccepted: '', refusedPath: '', loop: '', killed: '' }

  beforeAll(async () => {
    chat = await startChatServer((_call, res) => { reply(res, 'Here:\n```python\nprint("hi")\n```\n') })
    shared = join(await tempHome('swarm-tasks-share-'), 'shared')
    await mkdir(shared)
    await writeFile(join(shared, 'hello.txt'), HELLO)
    await symlink('/etc/passwd', join(shared, 'escape'))
    const executor = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      tasks: { accept: ['python-computation', 'file-analysis', 'code-generation'], safePrefixes: [shared], advertIntervalSec: 2 },
      ...extra
    })
    daemons = await startDaemons([
      // a: no Python (the interpreter does not exist) and accepts nothing: it can only delegate
      { config: { tasks: { python: '/nonexistent/python3', advertIntervalSec: 2 } } },
      { config: executor() },
      { config: executor({ answerers: [{ kind: 'openai', baseUrl: chat.baseUrl, model: 'test-model' }] }) }
    ], 'full')
    ;[a, b, c] = daemons
    // open federation: python is taken only from tasks.allowFrom (here a), re-read without a restart
    for (const d of [b, c]) await d.json(['config', 'set', 'tasks.allowFrom', JSON.stringify([a.nodeId])])
    await eventually(() => [b, c].every((d) => readFileSync(join(d.home, 'daemon.log'), 'utf8').includes('task settings reloaded')),
      { what: 'b and c reload tasks.allowFrom', timeoutMs: 20_000 })
    await eventually(async () => {
      const caps = await a.json(['capabilities'])
      const peers = caps.peers.filter((p: any) => p.taskTypes.includes('python-computation'))
      return peers.length === 2 && caps.peers.some((p: any) => p.taskTypes.includes('code-generation'))
    }, { what: 'a sees the adverts of b and c', timeoutMs: 30_000 })
  })

  afterAll(async () => {
    await stopAll(daemons)
    await cleanupHomes()
    await chat?.close()
  })

  it('advertises capabilities: local and peers\'', async () => {
    const capsA = await a.json(['capabilities'])
    expect(capsA.local.capabilities).not.toContain('python-execution')
    expect(capsA.local.taskTypes).toEqual([])
    const pb = capsA.peers.find((p: any) => p.peerId === b.peerId)
    expect(pb).toMatchObject({ nodeId: b.nodeId, federation: 'fed:test', queueLength: 0, running: 0 })
    expect(pb.capabilities).toEqual(expect.arrayContaining(['python-execution', 'file-management']))
    expect(pb.capabilities).not.toContain('code-generation')
    expect(Date.parse(pb.expiresAt)).toBeGreaterThan(Date.now())
    const pc = capsA.peers.find((p: any) => p.peerId === c.peerId)
    expect(pc.capabilities).toEqual(expect.arrayContaining(['python-execution', 'file-management', 'code-generation']))
    expect(pc.taskTypes).toEqual(expect.arrayContaining(['python-computation', 'file-analysis', 'code-generation']))

    const capsB = await b.json(['capabilities'])
    expect(capsB.local.capabilities).toEqual(expect.arrayContaining(['python-execution', 'file-management']))
    const stats = await b.json(['stats'])
    expect(stats.capabilities).toEqual(capsB.local.capabilities)
    expect(stats.tasks).toMatchObject({ running: 0, queued: 0 })
  })

  it('a node without Python delegates print(6*7) and gets 42', async () => {
    const r = await a.cli(['task', 'run', 'python-computation', '--code', 'print(6*7)', '--json'])
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({ success: true, attempts: 1, result: { stdout: '42\n', stderr: '', exitCode: 0 } })
    expect([b.peerId, c.peerId]).toContain(r.json.executedBy)
    expect(r.json.correlationId).toMatch(/^task:[0-9A-Z]{26}$/)
    ids.python = r.json.correlationId

    const out = await a.json(['task', 'list'])
    expect(out.find((t: any) => t.correlationId === ids.python)).toMatchObject({ direction: 'out', state: 'succeeded', type: 'python-computation', peerId: r.json.executedBy, attempts: 1 })
    const executor = r.json.executedBy === b.peerId ? b : c
    const inList = await executor.json(['task', 'list'])
    expect(inList.find((t: any) => t.correlationId === ids.python)).toMatchObject({ direction: 'in', state: 'succeeded', peerId: a.peerId })

    // human output: the program's stdout
    const human = await a.cli(['task', 'run', 'python-computation', '--code', 'print(6*7)'])
    expect(human.code).toBe(0)
    expect(human.stdout.split('\n')[0]).toBe('42')
  })

  it('code generation goes to the peer with an endpoint', async () => {
    const r = await a.cli(['task', 'run', 'code-generation', '--prompt', 'print hi', '--language', 'python', '--json'])
    expect(r.json).toMatchObject({ success: true, executedBy: c.peerId, result: { code: 'print("hi")', provider: 'test-model' } })
    // the endpoint's URL never reaches the remote caller
    expect(r.stdout).not.toContain(chat.baseUrl)
  })

  it('unsupported and not-accepted task types are refused', async () => {
    const u = await a.cli(['task', 'run', 'frobnicate', '--data', '{}', '--json'])
    expect(u.code).toBe(1)
    expect(u.json).toMatchObject({ success: false, error: { code: 'unsupported-task' } })

    // pinned: the peer itself refuses (and records it)
    const up = await a.cli(['task', 'run', 'frobnicate', '--data', '{}', '--peer', b.peerId, '--json'])
    expect(up.code).toBe(1)
    expect(up.json).toMatchObject({ success: false, attempts: 1, error: { code: 'unsupported-task' } })
    ids.unsupportedPinned = up.json.correlationId

    // a accepts nothing: remote execution is opt-in
    const na = await b.cli(['task', 'run', 'python-computation', '--code', 'print(1)', '--peer', a.peerId, '--json'])
    expect(na.code).toBe(1)
    expect(na.json).toMatchObject({ success: false, error: { code: 'not-accepted' } })
    ids.notAccepted = na.json.correlationId

    // pinning this very node is a usage error (exit 2)
    const none = await a.cli(['task', 'run', 'python-computation', '--code', 'print(1)', '--peer', a.peerId, '--json'])
    expect(none.code).toBe(2)
  })

  it('file analysis stays inside the safe prefixes', async () => {
    const ok = await a.cli(['task', 'run', 'file-analysis', '--path', 'hello.txt', '--json'])
    expect(ok.json).toMatchObject({ success: true, result: { length: HELLO.length, lines: 2, type: 'text', sha256: createHash('sha256').update(HELLO).digest('hex') } })

    const up = await a.cli(['task', 'run', 'file-analysis', '--path', '../../etc/passwd', '--json'])
    expect(up.code).toBe(1)
    expect(up.json).toMatchObject({ success: false, attempts: 1, error: { code: 'path-refused' } })
    ids.refusedPath = up.json.correlationId

    const link = await a.cli(['task', 'run', 'file-analysis', '--path', 'escape', '--json'])
    expect(link.json).toMatchObject({ success: false, error: { code: 'path-refused' } })
    const abs = await a.cli(['task', 'run', 'file-analysis', '--path', '/etc/passwd', '--json'])
    expect(abs.json).toMatchObject({ success: false, error: { code: 'path-refused' } })
  })

  it('an infinite loop hits the time limit', async () => {
    // on c: the next test reads b's load from its adverts, and must not mistake this task's for
    // the one it starts there (it also waits for c's advert of the loop's end)
    const r = await a.cli(['task', 'run', 'python-computation', '--code', 'while True: pass', '--timeout', '2', '--peer', c.peerId, '--json'])
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({ success: false, attempts: 1, error: { code: 'timeout' } })
    ids.loop = r.json.correlationId
  })

  it('the less loaded peer is chosen; a cancelled task is killed on its peer', async () => {
    // keep b busy with a long task pinned to it
    const long = runInterruptible(a, ['task', 'run', 'python-computation', '--code', 'import time; time.sleep(60)', '--peer', b.peerId, '--json'])
    await eventually(async () => {
      const caps = await a.json(['capabilities'])
      const load = (id: string): number | undefined => caps.peers.find((p: any) => p.peerId === id)?.running
      return load(b.peerId) === 1 && load(c.peerId) === 0
    }, { what: 'b advertises one running task, c none' })
    for (let i = 0; i < 2; i++) {
      const r = await a.cli(['task', 'run', 'python-computation', '--code', 'print(1)', '--json'])
      expect(r.json).toMatchObject({ success: true, executedBy: c.peerId })
    }
    // Ctrl-C on the caller: the stream is reset and b kills the child process
    long.child.kill('SIGINT')
    const res = await long.done
    expect(res.code).not.toBe(0)
    const cancelled = await eventually(async () => {
      const list = await b.json(['task', 'list', '--direction', 'in'])
      return list.find((t: any) => t.type === 'python-computation' && t.state === 'failed' && t.error?.code === 'aborted')
    }, { what: 'b records the cancelled task' })
    expect(cancelled.peerId).toBe(a.peerId)
    await eventually(async () => (await b.json(['stats'])).tasks.running === 0, { what: 'b is idle again' })
  })

  it('a peer killed mid-task leads to a retry elsewhere', async () => {
    const run = a.cli(['task', 'run', 'python-computation', '--code', 'import time; time.sleep(4); print("done")', '--json'])
    const cid: string = await eventually(async () => {
      const out = await a.json(['task', 'list', '--direction', 'out', '--limit', '5'])
      return out.find((t: any) => t.state === 'delegating' && t.type === 'python-computation')?.correlationId
    }, { what: 'a delegates', intervalMs: 100 })
    const victim: TestDaemon = await eventually(async () => {
      for (const d of [b, c]) {
        const list = await d.json(['task', 'list', '--direction', 'in', '--limit', '5'])
        if (list.some((t: any) => t.correlationId === cid && t.state === 'running')) return d
      }
      return undefined
    }, { what: 'the chosen peer runs it', intervalMs: 100 })
    await victim.kill()
    const survivor = victim === b ? c : b
    const r = await run
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({ success: true, correlationId: cid, attempts: 2, executedBy: survivor.peerId, result: { stdout: 'done\n' } })
    ids.killed = cid
  })

  it('the audit log records all of it and verifies', async () => {
    const audit = await a.json(['audit', '--limit', '1000'])
    expect(audit).toMatchObject({ intact: true })
    expect(audit.entries).toBe(audit.log.length)
    const of = (id: string, kind: string): any[] => audit.log.filter((e: any) => e.correlationId === id && e.kind === kind)
    expect(of(ids.python, 'task.delegated')).toHaveLength(1)
    expect(of(ids.python, 'task.done')[0].detail).toMatchObject({ success: true, attempts: 1 })
    expect(of(ids.killed, 'task.delegated')).toHaveLength(2)
    // the failed attempt has its own entry; the successful one is the task.done entry
    expect(of(ids.killed, 'task.attempt').map((e: any) => e.detail)).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed', code: 'stream-failed' })])
    expect(of(ids.killed, 'task.done')[0].detail).toMatchObject({ success: true, attempts: 2 })
    expect(of(ids.refusedPath, 'task.done')[0].detail).toMatchObject({ success: false, code: 'path-refused' })
    expect(of(ids.loop, 'task.done')[0].detail).toMatchObject({ success: false, code: 'timeout' })
    // a refused b's task and recorded it
    expect(of(ids.notAccepted, 'task.refused')[0].detail).toMatchObject({ code: 'not-accepted' })
    for (const e of audit.log) expect(typeof e.correlationId).toBe('string')

    const survivor = (await b.cli(['status', '--json'])).code === 0 ? b : c
    const sa = await survivor.json(['audit', '--limit', '1000'])
    expect(sa.intact).toBe(true)
    expect(sa.log.filter((e: any) => e.correlationId === ids.killed).map((e: any) => e.kind)).toEqual(['task.received', 'task.run'])
    if (survivor === b) expect(sa.log.find((e: any) => e.correlationId === ids.unsupportedPinned && e.kind === 'task.refused').detail.code).toBe('unsupported-task')
    const kinds = new Set(sa.log.map((e: any) => e.kind))
    expect(kinds.has('task.received') && kinds.has('task.run')).toBe(true)

    const human = await survivor.cli(['audit'])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('chain intact')
  })
})
