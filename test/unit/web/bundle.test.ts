// The daemon's side of the browser bundle: it reads a prebuilt file, says how to build a missing
// one, and can tell a stale one (without esbuild or any build script).

import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PACKAGE_ROOT } from '../../../src/root.ts'
import { isWebBundleStale, readWebBundle, WEB_BUNDLE_NAME, WEB_META_NAME } from '../../../src/web/bundle.ts'

const dirs: string[] = []
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
async function temp (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'swarm-web-bundle-'))
  dirs.push(d)
  return d
}

describe('web bundle (daemon side)', () => {
  it('a missing bundle is web-bundle-missing, naming npm run build:web', async () => {
    const dir = await temp()
    await expect(readWebBundle(dir)).rejects.toMatchObject({ code: 'web-bundle-missing', message: expect.stringContaining('npm run build:web') })
    expect(await isWebBundleStale(dir)).toBe(true)
  })

  it('reads a present bundle; stale once an input is newer', async () => {
    const dir = await temp()
    const input = join(dir, 'input.ts')
    await writeFile(input, 'export {}\n')
    await writeFile(join(dir, WEB_BUNDLE_NAME), 'console.log(1)\n')
    await writeFile(join(dir, WEB_META_NAME), JSON.stringify({ inputs: [relative(PACKAGE_ROOT, input)] }))
    const old = new Date(Date.now() - 60_000)
    await utimes(input, old, old)
    expect((await readWebBundle(dir)).body.toString()).toBe('console.log(1)\n')
    expect(await isWebBundleStale(dir)).toBe(false)
    const later = new Date(Date.now() + 60_000)
    await utimes(input, later, later)
    expect(await isWebBundleStale(dir)).toBe(true)
  })
})
