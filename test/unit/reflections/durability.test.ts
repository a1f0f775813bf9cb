import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { runUntilKilled } from '../../helpers/crash.ts'
import { openDb } from '../../../src/store/db.ts'
import { ReflectionStore } from '../../../src/reflections/store.ts'

const CHILD = resolve(import.meta.dirname, 'crash-child.ts')
let dir: string | undefined

afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

it('keeps every reflection whose add answered, through kill -9', async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-crash-'))
  const location = join(dir, 'db')
  const { printed, signal } = await runUntilKilled(CHILD, [location, '100000'], 150)
  expect(signal).toBe('SIGKILL')
  expect(printed.length).toBeGreaterThanOrEqual(150)

  const db = await openDb(location)
  try {
    const store = new ReflectionStore(db)
    const found = await store.repository.getMany(printed)
    expect(found.filter(r => r === undefined)).toHaveLength(0)
    expect(await store.count()).toBeGreaterThanOrEqual(printed.length)
    const hits = await store.search('durable writes', { tags: ['crash'], limit: 200 })
    expect(hits.length).toBeGreaterThanOrEqual(printed.length)
  } finally {
    await db.close()
  }
}, 60_000)
