// History by envelope id (a cursor page after an id, or the envelopes of a set of ids) is served
// from an id → seq map instead of a scan of the channel: it answers exactly what the scan did,
// for held and unknown ids alike, with entries put before and after the map was built.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, expect, it } from 'vitest'
import { ChannelStore } from '../../../src/bus/repository.ts'
import { openDb } from '../../../src/store/db.ts'

const dirs: string[] = []
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

const qid = 'question:01J0000000000000000000000Q'
const idOf = (i: number): string => `contribution:01J00000000000000000${String(i).padStart(6, '0')}`
const wireOf = (i: number): string => JSON.stringify({ id: idOf(i), n: i })

/** What a scan in arrival order answers. */
function reference (held: number[], after: string | undefined, limit: number, ids: string[]): { page: { envelopes: string[], next: string | null }, byIds: string[] } {
  const at = after === undefined ? -1 : held.findIndex((i) => idOf(i) === after)
  const rest = held.slice(at + 1)
  const taken = rest.slice(0, limit)
  const page = { envelopes: taken.map(wireOf), next: rest.length > limit ? idOf(taken[taken.length - 1]) : null }
  const want = new Set(ids)
  return { page, byIds: held.filter((i) => want.has(idOf(i))).map(wireOf) }
}

it('pages after an id and lookups by ids answer what a scan of the channel answers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-history-ids-'))
  dirs.push(dir)
  const db = await openDb(join(dir, 'db'))
  try {
    let run = 0
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 20 }),
      fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 6 }), fc.integer({ min: 1, max: 12 }),
      async (first, later, asked, limit) => {
        // every other run maps the channel (as a large one is); the rest scan (as a small one is)
        const store = new ChannelStore(db.bucket('questions'), db.bucket('channel'), run % 2 === 0 ? { idIndexMin: 1 } : {})
        run++
        const q = `${qid}${run}`
        const put = async (i: number): Promise<void> => { await store.putEntry(q, { seq: i + 1, id: idOf(i), type: 'swarm/contribution', envelope: {} as any, wire: wireOf(i), at: i }) }
        const held: number[] = []
        for (let i = 0; i < first; i++) { await put(i); held.push(i) }
        const check = async (): Promise<void> => {
          const ids = asked.map(idOf)
          for (const after of [undefined, ...ids]) {
            const want = reference(held, after, limit, ids)
            expect(await store.pageAfterId(q, after, limit)).toEqual(want.page)
          }
          expect(await store.byIds(q, ids)).toEqual(reference(held, undefined, limit, ids).byIds)
        }
        await check() // builds the map
        for (let i = first; i < first + later; i++) { await put(i); held.push(i) }
        if (held.length > 0) await put(held[0]) // a verdict rewritten under its seq
        await check() // the map kept up to date by putEntry
      }
    ), { numRuns: 30 })
  } finally {
    await db.close()
  }
})
