import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { TaskRecords } from '../../../src/tasks/records.ts'

let dir: string
let db: SwarmDb

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-records-'))
  db = await openDb(join(dir, 'db'))
})

afterEach(async () => {
  await db.close().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

describe('TaskRecords', () => {
  it('lists unfinished (memory) and finished (stored) tasks newest first', async () => {
    const r = new TaskRecords(db.bucket('tasks'))
    const a = r.create({ correlationId: 'task:a', direction: 'out', type: 'python-computation', state: 'delegating' })
    const b = r.create({ correlationId: 'task:b', direction: 'in', type: 'file-analysis', state: 'queued', peerId: 'P' })
    r.update(b, { state: 'running' })
    const c = r.create({ correlationId: 'task:c', direction: 'in', type: 'echo', state: 'queued' })
    r.update(a, { state: 'succeeded', attempts: 1, durationMs: 5 })
    r.update(c, { state: 'refused', error: { code: 'busy', message: 'busy' } })
    const list = await r.list()
    expect(list.map((t) => [t.correlationId, t.state])).toEqual([['task:c', 'refused'], ['task:b', 'running'], ['task:a', 'succeeded']])
    expect((await r.list({ direction: 'in', limit: 1 })).map((t) => t.correlationId)).toEqual(['task:c'])
    expect((await db.bucket('tasks').values().all()).length).toBe(2)
  })

  it('marks records a crash left unfinished as interrupted', async () => {
    await db.bucket('tasks').put('000000000000001.000000', { correlationId: 'task:x', direction: 'in', type: 'echo', state: 'running', createdAt: 'a', updatedAt: 'a' })
    const r = new TaskRecords(db.bucket('tasks'))
    expect(await r.recover()).toBe(1)
    expect((await r.list())[0]).toMatchObject({ state: 'failed', error: { code: 'interrupted' } })
  })

  it('keeps the newest 1000', async () => {
    const r = new TaskRecords(db.bucket('tasks'))
    for (let i = 0; i < 1150; i++) r.update(r.create({ correlationId: `task:${i}`, direction: 'in', type: 'echo', state: 'queued' }), { state: 'succeeded' })
    await r.flush()
    const all = await db.bucket('tasks').keys().all()
    expect(all.length).toBeLessThanOrEqual(1100)
    expect((await r.list({ limit: 1 }))[0].correlationId).toBe('task:1149')
  })
})
