// file-analysis against a path that a hostile local process keeps swapping between a directory
// inside the safe prefix and a symlink to a directory outside it (the check-then-open race of
// issue 14 item 5): whatever the timing, the outside file is never read, and the honest file
// still is.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
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
    // data/real is, in turn, the real directory and the symlink out, renamed as fast as it goes:
    // a realpath taken while it is the directory names a path the open may find to be the link
    const loop = `
import os, sys
d = sys.argv[1]
j = lambda n: os.path.join(d, n)
while True:
    os.rename(j('real'), j('hold')); os.rename(j('evil'), j('real'))
    os.rename(j('real'), j('evil')); os.rename(j('hold'), j('real'))
`
    swapper = spawn('python3', ['-c', loop, data], { stdio: 'ignore' })
    // the race is on once the swapper has moved the directory aside at least once
    while (!existsSync(join(data, 'hold'))) await new Promise((resolve) => setTimeout(resolve, 1))
  })

  afterAll(async () => {
    swapper?.kill('SIGKILL')
    await rm(root, { recursive: true, force: true })
  })

  it('never reads the outside file; honest reads still work', async () => {
    const outcomes = new Map<string, number>()
    // batches in parallel, so the checks and opens of many reads interleave with the renames
    for (let i = 0; i < 40; i++) {
      const batch = await Promise.all(Array.from({ length: 50 }, async () => await analyzeFile('real/secret.txt', [data])
        .then((a) => a.sha256 === sha('inside') ? 'inside' : a.sha256 === sha('OUTSIDE') ? 'LEAKED' : 'other', (e) => String(e.code))))
      for (const r of batch) outcomes.set(r, (outcomes.get(r) ?? 0) + 1)
    }
    expect(outcomes.get('LEAKED')).toBeUndefined()
    expect(outcomes.get('other')).toBeUndefined()
    for (const k of outcomes.keys()) expect(['inside', 'path-refused', 'not-found']).toContain(k)
    expect(await analyzeFile('honest.txt', [data])).toMatchObject({ sha256: sha('honest'), length: 6 })
  })
})
