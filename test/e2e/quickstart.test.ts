// The README quickstart on a fresh home, as a newcomer runs it: `swarm init`, `swarm id` before
// anything runs, `swarm start` in the foreground (the page's URL printed), a shared reflection,
// and a default node answering a peer's question from it.

import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BIN, cleanupHomes, createDaemon, eventually, harnessEnv, NODE, ROOT, stopAll, swarm, tempHome, type TestDaemon } from '../helpers/daemons.ts'
import { daemonArgv, DEFAULT_WEB_LISTEN } from '../../src/cli/run-daemon.ts'

/**
 * Resolves when `child` has exited, killing it after `ms`. Taken before `swarm stop`: the stop
 * returns once the daemon is gone, so an 'exit' listener added after it missed the event and
 * always waited the full `ms`.
 */
async function exitOf (child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); resolve() }, ms)
    child.once('exit', () => { clearTimeout(t); resolve() })
  })
}

describe('quickstart: a newcomer\'s first hour', () => {
  const daemons: TestDaemon[] = []
  let fg: ChildProcess | undefined
  let home = ''
  afterAll(async () => {
    if (fg?.pid !== undefined && fg.exitCode === null) {
      const exited = exitOf(fg, 10_000)
      await swarm(['--home', home, 'stop'], { timeoutMs: 30_000 }).catch(() => {})
      await exited
    }
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('swarm id works on a fresh home before the daemon runs', async () => {
    home = join(await tempHome(), 'home')
    const init = await swarm(['--home', home, 'init', '--json'])
    expect(init.code).toBe(0)
    const id = await swarm(['--home', home, 'id', '--json'])
    expect(id.code).toBe(0)
    expect(id.json).toEqual({ nodeId: init.json.nodeId, peerId: init.json.peerId, pubkey: init.json.pubkey, federation: 'fed:default', addresses: [], running: false })
    const human = await swarm(['--home', home, 'id'])
    expect(human.stdout).toContain(init.json.nodeId)
    expect(human.stdout).toContain('not running')
    // no home at all: one clear line
    const none = await swarm(['--home', join(home, '..', 'nothing'), 'id'])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('swarm init')
  })

  it('swarm start runs the default node in the foreground and prints the page URL', async () => {
    fg = spawn(NODE, [BIN, '--home', home, 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--web', '127.0.0.1:0'], { cwd: ROOT, env: harnessEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    fg.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c })
    fg.stderr?.setEncoding('utf8').on('data', (c: string) => { err += c })
    await eventually(() => out.includes('web page: http://127.0.0.1:'), { what: 'the ready line and the page URL', timeoutMs: 60_000 })
    expect(out).toContain('swarmd ready')
    // stderr is a pipe here, not a terminal: JSON lines
    const first = err.split('\n').find((l) => l.trim() !== '')
    expect(() => JSON.parse(first ?? '')).not.toThrow()
    const id = await swarm(['--home', home, 'id', '--json'])
    expect(id.json.running).toBe(true)
    expect(id.json.addresses.length).toBeGreaterThan(0)
    // --web alone means the page on loopback
    expect(daemonArgv({ web: true })).toEqual(['--web', DEFAULT_WEB_LISTEN])
    expect(DEFAULT_WEB_LISTEN.startsWith('127.0.0.1:')).toBe(true)
  })

  it('a default node answers a peer\'s question from a shared reflection (and not from a local one)', async () => {
    const peer = await createDaemon({ federation: 'fed:default' })
    daemons.push(peer)
    await peer.start()
    const id = (await swarm(['--home', home, 'id', '--json'])).json
    const tcp = id.addresses.find((a: string) => a.includes('/tcp/') && !a.includes('/ws'))
    expect((await peer.cli(['connect', tcp, '--json'])).code).toBe(0)
    const cfg = (await swarm(['--home', home, 'config', 'show', '--json'])).json
    expect(cfg.answerers).toEqual([{ kind: 'reflections' }])

    const local = (await swarm(['--home', home, 'reflect', 'add', '--description', 'capybara ledger: the admin password lives in vault path ops/root', '--outcome', 'success', '--json'])).json
    const shared = (await swarm(['--home', home, 'reflect', 'add', '--description', 'capybara ledger: reconcile nightly, after the backup finishes', '--outcome', 'success', '--recommendation', 'alert when it drifts', '--share', '--json'])).json
    expect(local.visibility).toBe('local')
    expect(shared).toMatchObject({ shared: true, visibility: 'shared' })

    const q = await peer.json(['ask', 'How should the capybara ledger be reconciled?'])
    const mine = await eventually(async () => {
      const s = await peer.json(['show', q.id])
      const l = s.contributions.filter((c: any) => c.sender['node/id'] === id.nodeId)
      return l.some((c: any) => c.sources.includes(shared.id)) ? l : undefined
    }, { what: 'the default node answers from its shared reflection', timeoutMs: 60_000 })
    expect(mine).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'fact', text: 'capybara ledger: reconcile nightly, after the backup finishes', sources: [shared.id] }),
      expect.objectContaining({ kind: 'recommendation', text: 'alert when it drifts' })
    ]))
    expect(mine.some((c: any) => c.sources.includes(local.id))).toBe(false)
    expect(JSON.stringify(mine)).not.toContain('vault path')
  })

  it('on a terminal the foreground daemon prints readable lines, daemon.log stays JSON', async () => {
    // `script` gives the daemon a pseudo-terminal, as a user's shell would
    const tty = await createDaemon({ federation: 'fed:default', config: { log: { level: 'info' } } })
    const cmd = [NODE, BIN, '--home', tty.home, 'start', '--listen', '/ip4/127.0.0.1/tcp/0'].map((a) => `'${a}'`).join(' ')
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env: harnessEnv(), stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c })
    try {
      await eventually(() => out.includes('swarmd ready') && /\d\d:\d\d:\d\d\.\d{3} .*INFO.* \[/.test(out), { what: 'readable lines on the terminal', timeoutMs: 60_000 })
      expect(out).not.toContain('{"level"')
    } finally {
      const exited = exitOf(child, 15_000)
      await swarm(['--home', tty.home, 'stop'], { timeoutMs: 30_000 }).catch(() => {})
      await exited
    }
    const log = (await readFile(join(tty.home, 'daemon.log'), 'utf8')).trim().split('\n')
    expect(log.length).toBeGreaterThan(0)
    for (const line of log) expect(() => JSON.parse(line)).not.toThrow()
  })
})
