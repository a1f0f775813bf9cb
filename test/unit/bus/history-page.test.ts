// A history page is bounded by the bytes of the frame it travels in (JSON, UTF-8), not by the
// length of its texts: a page of envelopes written in CJK (three UTF-8 bytes a character), with
// quotes escaped, stays under the page budget and so under the reader's frame limit, and the
// pages still hand over every envelope in order.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { ChannelStore, HISTORY_PAGE, HISTORY_PAGE_BYTES, pageBytes } from '../../../src/bus/repository.ts'
import { openDb } from '../../../src/store/db.ts'
import { MAX_FRAME_BYTES } from '../../../src/constants.ts'

let dir: string | undefined
afterEach(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

it('pages stay under their byte budget in UTF-8 JSON, and together hold every envelope in order', async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-history-page-'))
  const db = await openDb(join(dir, 'db'))
  try {
    const store = new ChannelStore(db.bucket('questions'), db.bucket('channel'))
    const qid = 'question:01J0000000000000000000000Q'
    // ~60 K characters each, every one three bytes in UTF-8, with quotes to escape
    const wire = (i: number): string => JSON.stringify({ id: `contribution:${i}`, text: '漢"字'.repeat(15_000) })
    const n = 60
    for (let i = 1; i <= n; i++) await store.putEntry(qid, { seq: i, id: `contribution:${i}`, type: 'swarm/contribution', envelope: {} as any, wire: wire(i), at: i })
    expect(pageBytes(wire(1))).toBeGreaterThan(wire(1).length * 2)
    const got: string[] = []
    let after = 0
    for (let pages = 0; pages < n; pages++) {
      const page = await store.page(qid, after, HISTORY_PAGE)
      const frame = Buffer.byteLength(JSON.stringify({ envelopes: page.envelopes, next: page.next }))
      expect(frame).toBeLessThanOrEqual(HISTORY_PAGE_BYTES + 64)
      expect(frame).toBeLessThan(MAX_FRAME_BYTES)
      got.push(...page.envelopes)
      if (page.next === null) break
      after = page.next
    }
    expect(got).toEqual(Array.from({ length: n }, (_, i) => wire(i + 1)))
    // the cursor pages by id obey the same budget
    const byId = await store.pageAfterId(qid, undefined, HISTORY_PAGE)
    expect(Buffer.byteLength(JSON.stringify(byId))).toBeLessThanOrEqual(HISTORY_PAGE_BYTES + 64)
  } finally {
    await db.close()
  }
})
