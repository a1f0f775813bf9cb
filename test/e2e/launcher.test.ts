// bin/swarm as a user runs it: a sh launcher that hands over to the pinned Node 24 in one exec
// (no second JavaScript runtime), the daemon flags on `daemon`, one clear line when no usable
// runtime exists, and the same file still running as `node bin/swarm` (tests, npm start).

import { spawn, spawnSync } from 'node:child_process'
import { chmod, copyFile, mkdir, readFile, readlink, symlink, utimes, writeFile } from 'node:fs/promises'
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, NODE, ROOT, cleanupHomes, eventually, harnessEnv, tempHome } from '../helpers/daemons.ts'
import { inputsScript } from '../../scripts/build-dist.ts'

const PINNED = realpathSync(join(ROOT, 'node_modules', '.bin', 'node'))
const VERSION = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version as string

/** A directory holding a fake `node` that records being started, for PATH. */
async function fakeNodeDir (): Promise<{ dir: string, marker: string }> {
  const dir = await tempHome('swarm-fake-node-')
  const marker = join(dir, 'started')
  await writeFile(join(dir, 'node'), `#!/bin/sh\necho started >> '${marker}'\nexit 42\n`)
  await chmod(join(dir, 'node'), 0o755)
  return { dir, marker }
}

/** A copy of the launcher in a tree with no node_modules (what a broken or partial install looks like). */
async function bareTree (): Promise<string> {
  const root = await tempHome('swarm-bare-')
  await mkdir(join(root, 'bin'))
  await copyFile(BIN, join(root, 'bin', 'swarm'))
  await chmod(join(root, 'bin', 'swarm'), 0o755)
  await copyFile(join(ROOT, 'package.json'), join(root, 'package.json'))
  return root
}

/**
 * A bare tree with the pinned runtime, one source (src/cli/main.ts, printing `sources`) and a
 * fresh bundle of it (printing `bundle`) behind the real cli.mjs entry.
 */
async function bundledTree (): Promise<{ root: string, source: string }> {
  const root = await bareTree()
  await mkdir(join(root, 'node_modules', '.bin'), { recursive: true })
  await symlink(PINNED, join(root, 'node_modules', '.bin', 'node'))
  await mkdir(join(root, 'src', 'cli'), { recursive: true })
  await mkdir(join(root, 'dist', 'swarm'), { recursive: true })
  const source = join(root, 'src', 'cli', 'main.ts')
  await writeFile(source, 'export async function main () { process.stdout.write(\'sources\\n\') }\n')
  await utimes(source, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
  await writeFile(join(root, 'dist', 'swarm', 'main.mjs'), 'export async function main () { process.stdout.write(\'bundle\\n\') }\n')
  await writeFile(join(root, 'dist', 'swarm', 'inputs.sh'), inputsScript(['src/cli/main.ts']))
  await copyFile(join(ROOT, 'dist', 'swarm', 'cli.mjs'), join(root, 'dist', 'swarm', 'cli.mjs'))
  return { root, source }
}

afterAll(async () => { await cleanupHomes() })

describe('launcher', () => {
  it('runs the pinned runtime directly, never a node from PATH', async () => {
    const fake = await fakeNodeDir()
    const r = spawnSync(BIN, ['--version'], { env: { PATH: `${fake.dir}:/usr/bin:/bin` }, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe(VERSION)
    await expect(readFile(fake.marker, 'utf8')).rejects.toThrow()
    const help = spawnSync(BIN, ['--help'], { env: { PATH: `${fake.dir}:/usr/bin:/bin` }, encoding: 'utf8' })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Usage: swarm')
  })

  it('the daemon is the launcher\'s own process: one exec into the pinned Node with the daemon flags', async () => {
    const home = join(await tempHome(), 'h')
    expect(spawnSync(BIN, ['--home', home, 'init', '--json'], { encoding: 'utf8' }).status).toBe(0)
    await writeFile(join(home, 'config.json'), JSON.stringify({ listen: ['/ip4/127.0.0.1/tcp/0'] }))
    const child = spawn(BIN, ['--home', home, 'daemon'], { env: harnessEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      await eventually(() => out.includes('swarmd ready'), { what: 'daemon ready', timeoutMs: 60_000 })
      // The pid we spawned is the daemon itself: sh exec'd node, no parent runtime in between.
      expect(await readlink(`/proc/${child.pid!}/exe`)).toBe(PINNED)
      const cmdline = (await readFile(`/proc/${child.pid!}/cmdline`, 'utf8')).split('\0')
      expect(cmdline).not.toContain('--optimize-for-size')
      expect(cmdline).toContain('--max-semi-space-size=1')
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('found through a symlink (npm link, a bin directory): resolves its own tree', async () => {
    const dir = await tempHome('swarm-link-')
    await symlink(BIN, join(dir, 'swarm'))
    const r = spawnSync(join(dir, 'swarm'), ['--version'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe(VERSION)
  })

  it('without the pinned runtime and without any node: one line that says what to do', async () => {
    const root = await bareTree()
    const empty = await tempHome('swarm-empty-path-')
    // /bin/sh itself must be reachable: run it by absolute path with a PATH holding no node.
    const r = spawnSync('/bin/sh', [join(root, 'bin', 'swarm'), 'id'], { env: { PATH: empty }, encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^swarm: needs Node\.js 24 or newer \(none found\); run 'npm ci' in .* to install the pinned runtime/)
  })

  it('without the pinned runtime, an older node on PATH: the same one line, naming its version', async () => {
    const sys = spawnSync('/usr/bin/node', ['--version'], { encoding: 'utf8' })
    if (sys.status !== 0 || Number(sys.stdout.slice(1).split('.')[0]) >= 24) return // no older node here
    const root = await bareTree()
    const r = spawnSync(join(root, 'bin', 'swarm'), ['id'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^swarm: needs Node\.js 24 or newer \(this is v\d+/)
    expect(r.stderr).toContain("run 'npm ci'")
  })

  it('still runs as `node bin/swarm` (the file is JavaScript too)', async () => {
    const r = spawnSync(NODE, [BIN, '--version'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe(VERSION)
    const usage = spawnSync(NODE, [BIN, 'no-such-command'], { encoding: 'utf8' })
    expect(usage.status).toBe(2)
  })

  it('runs the bundle only while it is newer than every source it was built from', async () => {
    const { root, source } = await bundledTree()
    // the sh part decides (test -nt), and so does the JavaScript when run as `node bin/swarm`
    const bin = join(root, 'bin', 'swarm')
    const run = (): string[] => [spawnSync(bin, ['id'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }), spawnSync(PINNED, [bin, 'id'], { encoding: 'utf8' })].map((r) => r.stdout.trim())
    expect(run()).toEqual(['bundle', 'bundle'])
    await utimes(source, new Date(), new Date(Date.now() + 60_000))
    expect(run()).toEqual(['sources', 'sources'])
    // an input that is gone (a file deleted since the build) makes the bundle stale too
    await utimes(source, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    await writeFile(join(root, 'dist', 'swarm', 'inputs.sh'), inputsScript(['src/cli/main.ts', 'src/gone.ts']))
    expect(run()).toEqual(['sources', 'sources'])
  })

  it('`--help` alone from the bundle is the text it printed at build time: the same the sources print', async () => {
    // the real tree: the bundle's help.txt (npm ci builds it) against the sources' own rendering
    expect((await readFile(join(ROOT, 'dist', 'swarm', 'help.txt'), 'utf8'))).toContain('Usage: swarm')
    const sources = spawnSync(BIN, ['--help'], { encoding: 'utf8', env: { ...process.env, SWARM_NO_BUNDLE: '1' } })
    expect(sources.status).toBe(0)
    for (const flag of ['--help', '-h']) {
      const r = spawnSync(BIN, [flag], { encoding: 'utf8' })
      expect(r.status).toBe(0)
      expect(r.stdout).toBe(sources.stdout)
    }
    // the stored text serves `--help` alone: anything more (a command's help) runs the CLI
    const { root, source } = await bundledTree()
    await writeFile(join(root, 'dist', 'swarm', 'help.txt'), 'stored help\n')
    const bin = join(root, 'bin', 'swarm')
    const out = (args: string[]): string => spawnSync(bin, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).stdout
    expect(out(['--help'])).toBe('stored help\n')
    expect(out(['-h'])).toBe('stored help\n')
    expect(out(['ask', '--help'])).toBe('bundle\n')
    // a stale bundle's stored help is not used either: the sources run
    await utimes(source, new Date(), new Date(Date.now() + 60_000))
    expect(out(['--help'])).toBe('sources\n')
  })
})
