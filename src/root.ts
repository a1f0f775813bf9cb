// The package root (where package.json, config/ and bin/ live), found upward from this module.
// Resolved by walking rather than a fixed `../..` so it holds both for the sources and for the
// single-file bundle in dist/.

import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'swarmd') return dir
      } catch {}
    }
    if (dirname(dir) === dir) throw new Error(`swarmd: cannot find the package root above ${start}`)
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))
