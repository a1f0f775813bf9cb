// Where the prebuilt browser bundle lives and how the daemon reads it. Building it is a build
// step (`npm run build:web`, also run by `npm ci` through prepare, and by the test runner's
// global setup): the daemon never loads esbuild or the build script at run time.

import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { PACKAGE_ROOT } from '../root.ts'
import { SwarmError } from '../errors.ts'

export const WEB_OUTDIR = join(PACKAGE_ROOT, 'dist', 'web')
export const WEB_BUNDLE_NAME = 'swarm.js'
/** Beside the bundle: its inputs, so a later check can tell whether it is stale. */
export const WEB_META_NAME = 'swarm.meta.json'

/** True when the bundle is missing, or any file it was built from changed since. */
export async function isWebBundleStale (outdir = WEB_OUTDIR): Promise<boolean> {
  let built: number
  let inputs: string[]
  try {
    built = (await stat(join(outdir, WEB_BUNDLE_NAME))).mtimeMs
    inputs = JSON.parse(await readFile(join(outdir, WEB_META_NAME), 'utf8')).inputs
  } catch {
    return true
  }
  for (const input of inputs) {
    try {
      if ((await stat(resolve(PACKAGE_ROOT, input))).mtimeMs > built) return true
    } catch {
      return true // an input is gone: something moved
    }
  }
  return false
}

/** The prebuilt bundle's bytes; a missing one is a `web-bundle-missing` error naming the fix. */
export async function readWebBundle (outdir = WEB_OUTDIR): Promise<{ file: string, body: Buffer }> {
  const file = join(outdir, WEB_BUNDLE_NAME)
  try {
    return { file, body: await readFile(file) }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    throw new SwarmError('web-bundle-missing', `${file} is missing: build it with \`npm run build:web\``)
  }
}
