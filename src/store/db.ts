// LevelDB under the home's db/, opened once by the daemon and handed to the parts as typed
// buckets. One sublevel prefix per bucket, listed here and never reused, so parts cannot step
// on each other's keys. A storage version key is checked at open: a future layout refuses to
// run on old code instead of misreading it.

import { Level } from 'level'
import { SwarmError } from '../errors.ts'

export const STORAGE_VERSION = 1

/** Bucket name → sublevel prefix. Append only; a retired prefix stays here, commented. */
export const BUCKETS = {
  meta: 'm',
  questions: 'q', // question id → question record (state, role, envelope)
  channel: 'c', // `${questionId}!${seq}` → envelope JSON text, per response channel
  reflections: 'r', // reflection id → reflection record
  reflectionIndex: 'ri', // token postings for search
  reflectionArrivals: 'ra', // imported reflections in arrival order (eviction)
  audit: 'a', // hash-chained audit log
  tasks: 't', // correlation id → task record
  consensus: 'k', // proposal id → proposal, votes and result
  reputation: 'p', // node id → reputation record
  adverts: 'v', // node id → latest capability advert
  federation: 'f' // membership, revocations, roots
} as const

export type BucketName = keyof typeof BUCKETS

/** A JSON-valued sublevel (get resolves undefined for a missing key, as in level 10). */
export type Bucket = ReturnType<Level<string, any>['sublevel']>

export interface SwarmDb {
  readonly level: Level<string, any>
  bucket: (name: BucketName) => Bucket
  close: () => Promise<void>
}

export async function openDb (location: string): Promise<SwarmDb> {
  const level = new Level<string, any>(location, { valueEncoding: 'json' })
  try {
    await level.open()
  } catch (err: any) {
    const cause = err?.cause?.message ?? err?.message
    throw new SwarmError('db-open-failed', `cannot open the database at ${location}: ${cause}`, { cause: err })
  }
  const meta = level.sublevel<string, any>(BUCKETS.meta, { valueEncoding: 'json' })
  const version = await meta.get('storage-version')
  if (version === undefined) {
    // classic-level honours `sync` though abstract-level's option type does not list it
    await meta.put('storage-version', STORAGE_VERSION, { sync: true } as object)
  } else if (version !== STORAGE_VERSION) {
    await level.close()
    throw new SwarmError('storage-version', `the database at ${location} has storage version ${String(version)}; this swarmd reads version ${STORAGE_VERSION}`)
  }
  const cache = new Map<string, any>()
  return {
    level,
    bucket (name) {
      let b = cache.get(name)
      if (b === undefined) {
        b = level.sublevel<string, any>(BUCKETS[name], { valueEncoding: 'json' })
        cache.set(name, b)
      }
      return b
    },
    close: async () => { await level.close() }
  }
}
