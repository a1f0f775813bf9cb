import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { runUntilKilled } from '../../helpers/crash.ts'
import { ChannelStore } from '../../../src/bus/repository.ts'
import { openDb } from '../../../src/store/db.ts'

const CHILD = resolve(import.meta.dirname, 'store-crash-child.ts')
let dir: string | undefined

afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

it('keeps every acknowledged question and channel entry of a grouped write through kill -9', async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-store-crash-'))
  const location = join(dir, 'db')
  const { printed, signal } = await runUntilKilled(CHILD, [location], 200)
  expect(signal).toBe('SIGKILL')
  expect(printed.length).toBeGreaterThanOrEqual(200)

  const db = await openDb(location)
  try {
    const store = new ChannelStore(db.bucket('questions'), db.bucket('channel'))
    const missing: string[] = []
    for (const line of printed) {
      const [kind, id] = line.split(' ')
      if (kind === 'q') {
        const rec = await store.getQuestion(id)
        // a public question is stored without a second copy of its envelope, which comes back from the wire
        if (rec?.envelope.id !== id || rec.envelope.type !== 'swarm/question') missing.push(line)
      } else if ((await store.entries(id)).length !== 1) missing.push(line)
    }
    expect(missing).toEqual([])
  } finally {
    await db.close()
  }
}, 60_000)
