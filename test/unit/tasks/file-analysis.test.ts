import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtemp, mkdir, writeFile, symlink, rm, realpath } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { analyzeFile, isUnder } from '../../../src/tasks/executors/file-analysis.ts'

let root: string
let data: string
let data2: string

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'swarmd-fa-')))
  data = join(root, 'data')
  data2 = join(root, 'data2')
  await mkdir(join(data, 'sub'), { recursive: true })
  await mkdir(data2)
  await writeFile(join(data, 'notes.txt'), 'one\ntwo\nthree')
  await writeFile(join(data, 'empty.txt'), '')
  await writeFile(join(data, 'utf8.md'), 'zażółć\ngęślą\n')
  await writeFile(join(data, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]))
  await writeFile(join(data, 'blob.bin'), Buffer.from([1, 2, 3, 0, 0xff, 10]))
  await writeFile(join(data2, 'secret.txt'), 'secret')
  await writeFile(join(root, 'outside.txt'), 'outside')
  await symlink(join(root, 'outside.txt'), join(data, 'escape.txt'))
  await symlink(join(data, 'notes.txt'), join(data, 'inside-link.txt'))
  await symlink(root, join(data, 'sub', 'up'))
  await symlink(data, join(root, 'data-link'))
  execFileSync('mkfifo', [join(data, 'fifo')])
})

afterAll(async () => { await rm(root, { recursive: true, force: true }) })

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex')

describe('analyzeFile', () => {
  it('describes a text file', async () => {
    expect(await analyzeFile(join(data, 'notes.txt'), [data])).toEqual({
      path: join(data, 'notes.txt'), length: 13, lines: 3, type: 'text', extension: 'txt', mime: 'text/plain', sha256: sha('one\ntwo\nthree')
    })
  })

  it('counts lines, with and without a final newline, and handles empty files', async () => {
    expect((await analyzeFile(join(data, 'utf8.md'), [data])).lines).toBe(2)
    expect(await analyzeFile(join(data, 'empty.txt'), [data])).toMatchObject({ length: 0, lines: 0, type: 'text', sha256: sha('') })
  })

  it('detects binary files and guesses mime from magic bytes', async () => {
    expect(await analyzeFile(join(data, 'image.png'), [data])).toMatchObject({ type: 'binary', mime: 'image/png', lines: null, extension: 'png' })
    expect(await analyzeFile(join(data, 'blob.bin'), [data])).toMatchObject({ type: 'binary', mime: 'application/octet-stream', length: 6 })
  })

  it('resolves a relative path against the first prefix', async () => {
    expect((await analyzeFile('notes.txt', [data])).path).toBe(join(data, 'notes.txt'))
    expect((await analyzeFile('./sub/../notes.txt', [data])).path).toBe(join(data, 'notes.txt'))
  })

  it('follows a symlink that stays inside and reports the real path', async () => {
    expect((await analyzeFile(join(data, 'inside-link.txt'), [data])).path).toBe(join(data, 'notes.txt'))
  })

  it('accepts prefixes given through a symlink', async () => {
    expect((await analyzeFile(join(root, 'data-link', 'notes.txt'), [join(root, 'data-link')])).path).toBe(join(data, 'notes.txt'))
    expect((await analyzeFile(join(data, 'notes.txt'), [join(root, 'data-link')])).path).toBe(join(data, 'notes.txt'))
  })

  it.each([
    ['../../etc/passwd', 'dot-dot out of the prefix'],
    ['/etc/passwd', 'an absolute path elsewhere'],
    ['escape.txt', 'a symlink pointing out'],
    ['sub/up/outside.txt', 'a symlinked directory pointing out'],
    ['../data2/secret.txt', 'a sibling sharing the prefix string']
  ])('refuses %s (%s)', async (p) => {
    await expect(analyzeFile(p, [data])).rejects.toMatchObject({ code: 'path-refused' })
  })

  it('refuses a sibling directory whose name extends the prefix', async () => {
    await expect(analyzeFile(join(data2, 'secret.txt'), [data])).rejects.toMatchObject({ code: 'path-refused' })
    expect(await analyzeFile(join(data2, 'secret.txt'), [data, data2])).toMatchObject({ length: 6 })
  })

  it('refuses everything when no prefix is configured or none exists', async () => {
    await expect(analyzeFile(join(data, 'notes.txt'), [])).rejects.toMatchObject({ code: 'path-refused' })
    await expect(analyzeFile(join(data, 'notes.txt'), [join(root, 'missing')])).rejects.toMatchObject({ code: 'path-refused' })
  })

  it('does not reveal whether a file outside exists', async () => {
    await expect(analyzeFile(join(root, 'no-such-file'), [data])).rejects.toMatchObject({ code: 'path-refused' })
  })

  it('does not reveal through a dangling symlink whether a place outside exists', async () => {
    await symlink(join(root, 'nowhere', 'x'), join(data, 'dangling'))
    await symlink(join(root, 'nowhere'), join(data, 'dangling-dir'))
    await expect(analyzeFile('dangling', [data])).rejects.toMatchObject({ code: 'path-refused' })
    await expect(analyzeFile('dangling-dir/x', [data])).rejects.toMatchObject({ code: 'path-refused' })
    await expect(analyzeFile('missing-dir/x', [data])).rejects.toMatchObject({ code: 'not-found' })
  })

  it('says not-found for a missing file inside', async () => {
    await expect(analyzeFile('missing.txt', [data])).rejects.toMatchObject({ code: 'not-found' })
    await expect(analyzeFile('notes.txt/child', [data])).rejects.toMatchObject({ code: 'not-found' })
  })

  it('says not-a-file for directories and FIFOs (without blocking)', async () => {
    await expect(analyzeFile('sub', [data])).rejects.toMatchObject({ code: 'not-a-file' })
    await expect(analyzeFile(data, [data])).rejects.toMatchObject({ code: 'not-a-file' })
    await expect(analyzeFile('fifo', [data])).rejects.toMatchObject({ code: 'not-a-file' })
  })

  it('refuses files over maxBytes', async () => {
    await expect(analyzeFile('notes.txt', [data], { maxBytes: 5 })).rejects.toMatchObject({ code: 'too-large' })
  })

  it('honours an aborted signal', async () => {
    await expect(analyzeFile('notes.txt', [data], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' })
  })

  it('hashes a multi-chunk file correctly', async () => {
    const big = Buffer.alloc(300_000, 'a\n')
    await writeFile(join(data, 'big.txt'), big)
    expect(await analyzeFile('big.txt', [data])).toMatchObject({ length: 300_000, lines: 150_000, sha256: sha(big) })
  })
})

describe('isUnder', () => {
  it('matches on segment boundaries only', () => {
    expect(isUnder('/srv/data', '/srv/data')).toBe(true)
    expect(isUnder('/srv/data/x', '/srv/data')).toBe(true)
    expect(isUnder('/srv/data2', '/srv/data')).toBe(false)
    expect(isUnder('/srv/data2/x', '/srv/data')).toBe(false)
    expect(isUnder('/anything', '/')).toBe(true)
  })
})
