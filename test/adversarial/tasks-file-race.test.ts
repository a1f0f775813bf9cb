// file-analysis against a path that a hostile local process keeps swapping between a directory
// inside the safe prefix and a symlink to a directory outside it (the check-then-open race of
// issue 14 item 5): whatever the timing, the outside file is never read, and the honest file
// still is.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { analyzeFile } from '../../src/tasks/executors/file-analysis.ts'

const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

describe('file-analysis under a symlink-swapping race', () => {
  let root: string
  let data: string
  let swapper: ChildProcess | undefined

  beforeAll(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'swarmd-race-')))
    data = join(root, 'data')
    await mkdir(join(data, 'real'), { recursive: true })
    await mkdir(join(root, 'outside'))
    await writeFile(join(data, 'real', 'secret.txt'), 'inside')
    await writeFile(join(data, 'honest.txt'), 'honest')
    await writeFile(join(root, 'outside', 'secret.txt'), 'OUTSIDE')
    await symlink(join(root, 'outside'), join(data, 'evil'))
    // data/swap is, in turn, the real directory and the symlink out, renamed as fast as it goes
    const loop = `
import os, sys
d = sys.argv[1]
j = lambda n: os.path.join(d, n)
while True:
    os.rename(j('real'), j('swap')); os.rename(j('swap'), j('real'))
    os.rename(j('evil'), j('swap')); os.rename(j('swap'), j('evil'))
`
    swapper = spawn('python3', ['-c', loop, data], { stdio: 'ignore' })
  })

  afterAll(async () => {
    swapper?.kill('SIGKILL')
    await rm(root, { recursive: true, force: true })
  })

  it('never reads the outside file; honest reads still work', async () => {
    const outcomes = new Map<string, number>()
    for (let i = 0; i < 400; i++) {
      const r = await analyzeFile('swap/secret.txt', [data]).then((a) => a.sha256 === sha('inside') ? 'inside' : a.sha256 === sha('OUTSIDE') ? 'LEAKED' : 'other', (e) => String(e.code))
      outcomes.set(r, (outcomes.get(r) ?? 0) + 1)
    }
    expect(outcomes.get('LEAKED')).toBeUndefined()
    expect(outcomes.get('other')).toBeUndefined()
    for (const k of outcomes.keys()) expect(['inside', 'path-refused', 'not-found']).toContain(k)
    expect(await analyzeFile('honest.txt', [data])).toMatchObject({ sha256: sha('honest'), length: 6 })
  })
})
