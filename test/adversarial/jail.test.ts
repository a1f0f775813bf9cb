// Hostile python tasks against a real daemon (issue 14): a peer the executor allows sends code
// that tries to read the node key and config.json (absolute path, `..`, /proc/self), reach a
// listener on 127.0.0.1, fork-bomb, leave a setsid daemon behind, fill the disk, allocate past
// the memory limit, sleep past the deadline and write outside its scratch directory. Each must
// fail, the executor must stay healthy, nothing of the task may survive it, and an honest task
// still runs in the same run. A stranger's task is refused `not-allowed`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:net'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { alive, cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { verifyReceiptSignature } from '../../src/tasks/receipts.ts'
import { JAIL_UID } from '../../src/tasks/constants.ts'

/** Marks this file's jail runs: every attack first writes it into its jail's scratch /tmp, which
 *  each process of the task shares, wherever it is reparented. */
const RUN = randomUUID()
const MARKER = '/tmp/.jail-test-run'
const MARK = `open('${MARKER}', 'w').write('${RUN}')\n`

function parentOf (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // pid (comm) STATE PPID …: comm may hold spaces and parentheses
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch { return undefined }
}

function under (pid: number, ancestor: number): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf(p), hops++) {
    if (p === ancestor) return true
  }
  return false
}

/** Whether the process sees this run's marker in its jail (root reads it through /proc/<pid>/root). */
function marked (pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/root${MARKER}`, 'utf8') === RUN } catch { return false }
}

/**
 * Host pids of the jail user that belong to this file's jail runs: below the executor daemon
 * (bwrap and all it started, while that tree holds) or, wherever one was reparented, seeing this
 * run's marker in its jail. Not the whole machine: other test files' jails (their tasks, and the
 * jail probe of every daemon that starts) run as the same uid at the same time.
 */
function jailProcesses (executorPid: number): { tree: number[], marked: number[] } {
  const out = { tree: [] as number[], marked: [] as number[] }
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    try {
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1]
      if (Number(uid) !== JAIL_UID) continue
    } catch { continue } // gone meanwhile
    if (under(pid, executorPid)) out.tree.push(pid)
    else if (marked(pid)) out.marked.push(pid)
  }
  return out
}

describe('a hostile peer\'s python runs in the jail', () => {
  let daemons: TestDaemon[] = []
  let executor: TestDaemon, hostile: TestDaemon, stranger: TestDaemon
  let listener: Server
  let listenerPort = 0
  let connections = 0

  /** `task run` from the allowed (but hostile) peer, pinned to the executor. */
  const attack = async (code: string, timeoutSec = 4): Promise<any> => {
    const r = await hostile.cli(['task', 'run', 'python-computation', '--code', MARK + code, '--peer', executor.peerId, '--timeout', String(timeoutSec), '--json'])
    expect(r.json, r.stderr).toBeDefined()
    return r.json
  }

  const nothingSurvives = async (): Promise<void> => {
    await eventually(() => { const p = jailProcesses(executor.pid); return p.tree.length + p.marked.length === 0 ? true : undefined }, { what: 'no jailed process left', timeoutMs: 10_000 })
  }

  beforeAll(async () => {
    listener = createServer((s) => { connections++; s.destroy() })
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    listenerPort = (listener.address() as { port: number }).port
    daemons = await startDaemons([
      { config: { tasks: { accept: ['python-computation'], advertIntervalSec: 1, timeoutSec: 10, memoryMb: 128 } } },
      { config: { tasks: { advertIntervalSec: 1 } } },
      { config: { tasks: { advertIntervalSec: 1 } } }
    ], 'full')
    ;[executor, hostile, stranger] = daemons
    // Open federation: python only from tasks.allowFrom. The hostile peer is allowed (the worst
    // case: a peer the operator trusted turns hostile); the stranger is not.
    await executor.json(['config', 'set', 'tasks.allowFrom', JSON.stringify([hostile.nodeId])])
    await eventually(() => readFileSync(join(executor.home, 'daemon.log'), 'utf8').includes('task settings reloaded') ? true : undefined,
      { what: 'the executor reloads tasks.allowFrom', timeoutMs: 20_000 })
  })

  afterAll(async () => {
    await stopAll(daemons)
    await cleanupHomes()
    await new Promise((resolve) => listener?.close(resolve))
  })

  it('advertises bwrap and runs an honest task jailed, with a verified receipt', async () => {
    const caps = await executor.json(['capabilities'])
    expect(caps.local).toMatchObject({ isolation: 'bwrap', taskTypes: ['python-computation'] })
    await eventually(async () => (await hostile.json(['capabilities'])).peers.find((p: any) => p.peerId === executor.peerId && p.isolation === 'bwrap'),
      { what: 'the hostile peer sees the bwrap advert' })
    const r = await hostile.cli(['task', 'run', 'python-computation', '--code', 'print(6*7)', '--require-isolation', 'bwrap', '--json'])
    expect(r.json).toMatchObject({ success: true, executedBy: executor.peerId, result: { stdout: '42\n', exitCode: 0 }, receipt: { isolation: 'bwrap', 'executed-by': executor.nodeId } })
    const audit = await hostile.json(['audit', '--limit', '1000'])
    const kept = audit.log.find((e: any) => e.kind === 'task.receipt' && e.correlationId === r.json.correlationId)
    expect(verifyReceiptSignature(kept.detail.receipt, kept.detail.pubkey)).toBe(true)
    // nobody offers a wasm jail: the requirement selects no peer
    const wasm = await hostile.cli(['task', 'run', 'python-computation', '--code', 'print(1)', '--require-isolation', 'wasm', '--json'])
    expect(wasm.json).toMatchObject({ success: false, error: { code: 'no-capable-peer' } })
  })

  it('cannot read the node key or config.json: absolute, .., /proc/self', async () => {
    const targets = [
      join(executor.home, 'key'), join(executor.home, 'config.json'),
      '../../../../../../..' + join(executor.home, 'key'),
      '/proc/self/root' + join(executor.home, 'key'),
      '/proc/1/root' + join(executor.home, 'config.json'),
      `/proc/${executor.pid}/root` + join(executor.home, 'key'),
      `/proc/${executor.pid}/environ`
    ]
    const code = `
import os
for t in ${JSON.stringify(targets)}:
    try:
        with open(t, 'rb') as f: print('LEAK', t, f.read()[:16])
    except Exception as e: print('blocked', type(e).__name__)
env = open('/proc/self/environ', 'rb').read().decode()
print('ENV', sorted(k.split('=')[0] for k in env.split('\\0') if k))
print('ROOT', sorted(os.listdir('/')))
`
    const r = await attack(code)
    expect(r.success, JSON.stringify(r)).toBe(true)
    const out: string = r.result.stdout
    expect(out).not.toContain('LEAK')
    expect(out.match(/blocked/g)).toHaveLength(targets.length)
    // nothing of the daemon's environment: only what the jail sets (bwrap adds PWD for --chdir)
    expect(out).toContain("ENV ['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']")
    // a minimal root: no /etc, /home, /root, /var, /work
    expect(out).toMatch(/ROOT \['dev', 'lib(64)?'.*'proc', 'tmp', 'usr'\]/)
    await nothingSurvives()
  })

  it('cannot connect to a listener on 127.0.0.1', async () => {
    const r = await attack(`
import socket
s = socket.socket(); s.settimeout(2)
print('connect', s.connect_ex(('127.0.0.1', ${listenerPort})))
`)
    expect(r.success).toBe(true)
    expect(r.result.stdout).toMatch(/^connect [1-9]\d*$/m)
    expect(connections).toBe(0)
  })

  it('a fork bomb is bounded and dies at the deadline', async () => {
    const r = await attack(`
import os
n = 0
while True:
    try:
        os.fork(); n += 1
    except OSError:
        pass
`, 3)
    expect(r).toMatchObject({ success: false, error: { code: 'timeout' } })
    await nothingSurvives()
  })

  it('a setsid daemon does not outlive its task', async () => {
    const r = await attack(`
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(120)
    os._exit(0)
print('parent done')
`)
    expect(r).toMatchObject({ success: true, result: { stdout: 'parent done\n' } })
    await nothingSurvives()
  })

  it('cannot fill the disk or write outside scratch', async () => {
    const outside = [join(executor.home, 'pwned'), '/pwned', '/usr/pwned', '/dev/pwned', '/dev/shm/pwned', '/proc/pwned']
    const r = await attack(`
n = 0
try:
    with open('/tmp/fill', 'wb') as f:
        while True:
            f.write(b'x' * (1 << 20)); n += 1
except OSError as e:
    print('fill stopped', n, e.errno)
for t in ${JSON.stringify(outside)}:
    try:
        open(t, 'w').write('x'); print('WROTE', t)
    except Exception as e: print('blocked', type(e).__name__)
`)
    expect(r.success, JSON.stringify(r)).toBe(true)
    const m = /fill stopped (\d+) (\d+)/.exec(r.result.stdout)
    expect(m).not.toBeNull()
    expect(Number(m?.[1])).toBeLessThanOrEqual(64)
    expect(r.result.stdout).not.toContain('WROTE')
    expect(existsSync(join(executor.home, 'pwned'))).toBe(false)
    expect(existsSync('/pwned')).toBe(false)
  })

  it('cannot allocate past the memory limit', async () => {
    const r = await attack('x = bytearray(512 * 1024 * 1024)\nprint("ALLOCATED")')
    expect(r.success).toBe(true)
    expect(r.result.stdout).not.toContain('ALLOCATED')
    expect(r.result.stderr).toContain('MemoryError')
    expect(r.result.exitCode).toBe(1)
  })

  it('sleeping past the deadline is killed', async () => {
    const running = attack('import time\ntime.sleep(60)', 2)
    // the survivor check is not blind: it sees this task's processes while they run, both ways
    await eventually(() => { const p = jailProcesses(executor.pid); return p.tree.length > 0 && p.tree.some(marked) ? true : undefined },
      { what: 'the running task seen below the executor and by its marker', timeoutMs: 10_000, intervalMs: 50 })
    const r = await running
    expect(r).toMatchObject({ success: false, error: { code: 'timeout' } })
    await nothingSurvives()
  })

  it('a stranger is refused not-allowed; the executor stays healthy and honest work still flows', async () => {
    const s = await stranger.cli(['task', 'run', 'python-computation', '--code', 'print(1)', '--peer', executor.peerId, '--json'])
    expect(s.json).toMatchObject({ success: false, error: { code: 'not-allowed' } })
    expect(alive(executor.pid)).toBe(true)
    expect((await executor.cli(['status', '--json'])).code).toBe(0)
    const r = await attack('print(sum(range(10)))')
    expect(r).toMatchObject({ success: true, result: { stdout: '45\n' } })
    await nothingSurvives()
  })
})
