// The install keeps working when npm enforces its install-script allow-list: package.json's
// "allowScripts" covers every dependency whose install script the project needs (node — the
// pinned runtime —, classic-level, esbuild), so `npm ci --strict-allow-scripts` goes ahead; and
// the check is real: drop one entry and the same command refuses (ESTRICTALLOWSCRIPTS).
// Offline from npm's cache, and --dry-run (no 400 packages unpacked per test run).

import { execFile } from 'node:child_process'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, cleanupHomes, tempHome } from '../helpers/daemons.ts'

async function npm (args: string[], cwd: string): Promise<{ code: number, out: string }> {
  return await new Promise((resolve) => {
    execFile('npm', args, { cwd, timeout: 240_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_loglevel: 'error' } }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof (err as any).code === 'number' ? (err as any).code : 1, out: stdout + stderr })
    })
  })
}

async function project (edit?: (pkg: any) => void): Promise<string> {
  const dir = await tempHome('swarm-npm-')
  for (const f of ['package-lock.json', '.npmrc']) await copyFile(join(ROOT, f), join(dir, f))
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
  edit?.(pkg)
  await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2))
  return dir
}

afterAll(async () => { await cleanupHomes() })

describe('install under an enforced script allow-list', () => {
  it('every dependency with an install script is declared in allowScripts', async () => {
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8'))
    const withScripts = Object.entries(lock.packages as Record<string, any>)
      .filter(([, v]) => v.hasInstallScript === true)
      .map(([k]) => k.replace(/^.*node_modules\//, ''))
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    expect(withScripts).toContain('node')
    for (const name of withScripts) expect(pkg.allowScripts[name]).toBe(true)
    // npm's own reading of the installed tree agrees
    const ls = await npm(['install-scripts', 'ls', '--json'], ROOT)
    expect(ls.code).toBe(0)
    expect(JSON.parse(ls.out.slice(ls.out.indexOf('{'))).allowScripts).toEqual([])
  })

  it('npm ci --strict-allow-scripts goes ahead; without the node entry it refuses', async () => {
    const ok = await npm(['ci', '--strict-allow-scripts', '--offline', '--dry-run'], await project())
    expect(ok.out).not.toContain('ESTRICTALLOWSCRIPTS')
    expect(ok.code).toBe(0)
    const refused = await npm(['ci', '--strict-allow-scripts', '--offline', '--dry-run'], await project((pkg) => { delete pkg.allowScripts.node }))
    expect(refused.code).not.toBe(0)
    expect(refused.out).toContain('--strict-allow-scripts')
    expect(refused.out).toMatch(/node@24\.[\d.]+ \(/)
  }, 240_000)
})
