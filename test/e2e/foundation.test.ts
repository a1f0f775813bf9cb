import { afterAll, describe, expect, it } from 'vitest'
import { stat, writeFile, readFile, chmod, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { BIN, NODE, ROOT, cleanupHomes, createDaemon, harnessEnv, startDaemons, stopAll, swarm, tempHome, eventually, alive, type TestDaemon } from '../helpers/daemons.ts'

describe('foundation: three daemons driven through the CLI', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('init, detach, connect, peers, stats, socket mode, refusal, stop', async () => {
    daemons.push(...await startDaemons([{}, {}, {}], 'none'))
    const [a, b, c] = daemons

    // the socket is owner-only
    const st = await stat(join(a.home, 'swarm.sock'))
    expect(st.isSocket()).toBe(true)
    expect(st.mode & 0o777).toBe(0o600)

    const id = await a.json(['id'])
    expect(id.nodeId).toMatch(/^node:did:key:z6Mk/)
    expect(id.pubkey).toMatch(/^ed25519:[0-9a-f]{64}$/)
    expect(id.federation).toBe('fed:test')
    expect(id.addresses.length).toBeGreaterThan(0)
    for (const addr of id.addresses) expect(addr.endsWith(`/p2p/${id.peerId as string}`)).toBe(true)

    const con = await b.json(['connect', a.tcpAddr])
    expect(con.peerId).toBe(a.peerId)
    await c.json(['connect', a.tcpAddr])
    await c.json(['connect', b.tcpAddr])

    const peers = await eventually(async () => {
      const p = await a.json(['peers'])
      return p.length === 2 ? p : undefined
    }, { what: 'a sees two peers' })
    expect(peers.map((p: any) => p.peerId).sort()).toEqual([b.peerId, c.peerId].sort())
    expect(peers.find((p: any) => p.peerId === b.peerId).nodeId).toBe(b.nodeId)

    const stats = await c.json(['stats'])
    expect(stats).toMatchObject({ nodeId: c.nodeId, peerId: c.peerId, peers: { connected: 2 } })
    expect(typeof stats.uptimeSec).toBe('number')
    expect(Array.isArray(stats.capabilities)).toBe(true)
    expect(Array.isArray(stats.topics)).toBe(true)

    const ping = await a.json(['ping', b.peerId])
    expect(ping.rttMs[0]).toBeGreaterThanOrEqual(0)

    const status = await a.json(['status'])
    expect(status).toMatchObject({ running: true, pid: a.pid, nodeId: a.nodeId, peerId: a.peerId })

    // a second daemon on the same home is refused, naming the running pid
    const second = await a.cli(['daemon', '--detach'])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`already running (pid ${a.pid})`)

    const stopped = await a.json(['stop'])
    expect(stopped).toEqual({ stopped: true, pid: a.pid })
    expect(alive(a.pid)).toBe(false)
    const after = await a.cli(['status', '--json'])
    expect(after.code).toBe(3)
    expect(after.json).toEqual({ running: false })
  })
})

describe('foundation: bad input gets one clear message', () => {
  afterAll(async () => { await cleanupHomes() })

  it('unknown command and unknown flag exit 2', async () => {
    const home = await tempHome()
    const r1 = await swarm(['--home', home, 'frobnicate'])
    expect(r1.code).toBe(2)
    expect(r1.stderr).toContain('unknown command')
    const r2 = await swarm(['--home', home, 'id', '--bogus'])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain('unknown option')
  })

  it('a command needing the daemon exits 3 and says how to start it', async () => {
    const home = await tempHome()
    const r = await swarm(['--home', home, 'peers'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('swarm daemon --detach')
    expect(r.stderr).not.toContain('    at ')
  })

  it('init twice fails clearly unless --force; --json prints the ids', async () => {
    const home = join(await tempHome(), 'h')
    const first = await swarm(['--home', home, 'init', '--federation', 'fed:x', '--json'])
    expect(first.code).toBe(0)
    expect(Object.keys(first.json).sort()).toEqual(['federation', 'home', 'nodeId', 'peerId', 'pubkey'])
    expect((await stat(join(home, 'key'))).mode & 0o777).toBe(0o600)
    const again = await swarm(['--home', home, 'init'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('--force')
    const forced = await swarm(['--home', home, 'init', '--force', '--json'])
    expect(forced.code).toBe(0)
    expect(forced.json.nodeId).not.toBe(first.json.nodeId)
  })

  it('SWARM_HOME selects the home when --home is absent', async () => {
    const home = join(await tempHome(), 'h')
    const r = await swarm(['init', '--json'], { env: { SWARM_HOME: home } })
    expect(r.json.home).toBe(home)
  })

  it('corrupt config.json names the parse problem; a bad value names the key', async () => {
    const d = await createDaemon()
    await writeFile(join(d.home, 'config.json'), '{"node": {"federation": "fed:x",}}')
    const r = await d.cli(['daemon', '--detach'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('config.json is not valid JSON')
    expect(r.stderr).not.toContain('    at ')
    await writeFile(join(d.home, 'config.json'), JSON.stringify({ tasks: { maxAttempts: 'many' } }))
    const r2 = await d.cli(['config', 'show'])
    expect(r2.code).toBe(1)
    expect(r2.stderr).toContain('tasks.maxAttempts')
    await writeFile(join(d.home, 'config.json'), JSON.stringify({ tasks: { acept: [] } }))
    const r3 = await d.cli(['config', 'show'])
    expect(r3.stderr).toContain('unknown key tasks.acept')
  })

  it('config set validates and writes; env overrides the file', async () => {
    const d = await createDaemon()
    const ok = await d.json(['config', 'set', 'tasks.accept', '["python-computation"]'])
    expect(ok).toEqual({ key: 'tasks.accept', value: ['python-computation'] })
    const bad = await d.cli(['config', 'set', 'tasks.maxAttempts', '"x"'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('tasks.maxAttempts')
    const shown = await d.json(['config', 'show'], { env: { SWARM_PRESENCE__HEARTBEAT_SEC: '3' } })
    expect(shown.tasks.accept).toEqual(['python-computation'])
    expect(shown.presence.heartbeatSec).toBe(3)
    const unknown = await d.cli(['config', 'show'], { env: { SWARM_NOPE: '1' } })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('SWARM_NOPE')
  })

  it('a key file that does not match its node id is refused', async () => {
    const d = await createDaemon()
    const key = JSON.parse(await readFile(join(d.home, 'key'), 'utf8'))
    key.nodeId = 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE'
    await writeFile(join(d.home, 'key'), JSON.stringify(key), { mode: 0o600 })
    const r = await d.cli(['daemon', '--detach'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('does not match its node id')
  })

  it('an unwritable home is reported plainly', async () => {
    const parent = await tempHome()
    const file = join(parent, 'not-a-dir')
    await writeFile(file, 'x')
    const r = await swarm(['--home', join(file, 'home'), 'init'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/cannot write home/)
    expect(r.stderr).not.toContain('    at ')
  })

  it('a stale socket and lock left by a killed daemon are recovered', async () => {
    const d = await createDaemon()
    await d.start()
    await d.kill()
    // the socket file and the lock directory are still there
    await stat(join(d.home, 'swarm.sock'))
    const st = await d.cli(['status', '--json'])
    expect(st.code).toBe(3)
    await d.start()
    expect((await d.json(['status'])).running).toBe(true)
    await d.stop()
  })

  it('start (what npm start runs) creates a missing home and runs the daemon in the foreground', async () => {
    const home = join(await tempHome(), 'fresh')
    const child = spawn(NODE, [BIN, '--home', home, 'start', '--listen', '/ip4/127.0.0.1/tcp/0'], { cwd: ROOT, env: harnessEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      await eventually(() => out.includes('swarmd ready'), { what: 'foreground daemon ready' })
      expect(out).toContain(`created home ${home}`)
      const st = await swarm(['--home', home, 'status', '--json'])
      expect(st.json.running).toBe(true)
      // first SIGTERM stops gracefully
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('bin/swarm started by an older system Node re-runs itself with the pinned runtime', async () => {
    const { spawnSync } = await import('node:child_process')
    const path = (process.env.PATH ?? '').split(':').filter((p) => !p.includes('node_modules')).join(':')
    const sys = spawnSync('node', ['--version'], { env: { PATH: path }, encoding: 'utf8' })
    if (sys.status !== 0) return // no system node at all: nothing to check
    const home = join(await tempHome(), 'h')
    const r = spawnSync('node', [BIN, '--home', home, 'init', '--json'], { env: { PATH: path }, encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout).home).toBe(home)
    if (Number(sys.stdout.slice(1).split('.')[0]) < 24) {
      // without the pinned runtime, one clear line says what to install
      const r2 = spawnSync('node', [BIN, 'id'], { env: { PATH: path, SWARM_REEXEC: '1' }, encoding: 'utf8' })
      expect(r2.status).toBe(1)
      expect(r2.stderr.trim().split('\n')).toHaveLength(1)
      expect(r2.stderr).toMatch(/needs Node\.js 24 or newer .*npm ci/)
    }
  })

  it('the home key must be private', async () => {
    const d = await createDaemon()
    await chmod(join(d.home, 'key'), 0o644)
    const r = await d.cli(['daemon', '--detach'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('chmod 600')
    await mkdir(join(d.home, 'x'), { recursive: true })
  })
})
