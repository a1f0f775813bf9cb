// Issue 16, as a new user met it: three daemons in a line B – A – C, a page on B and a page on C,
// so the two pages are four hops apart and the middle daemon is a member of nothing. A question
// asked in the page on B is answered by daemon C (twice) and by the page on C; every member
// (both pages, B and C) ends with the same set of envelopes, carried on the scope's topic by the
// daemon in the middle. Then the middle daemon is killed (-9) and restarted mid-channel, and what
// is said after it comes back still reaches every member.
// Run: scripts/in-netns.sh node_modules/.bin/vitest run --config vitest.browser.config.ts test/browser/far-members.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChromium, launchChromium } from '../helpers/chromium.ts'
import { cleanupHomes, createDaemon, eventually, stopAll } from '../helpers/daemons.ts'
import type { ChromiumSession } from '../helpers/chromium.ts'
import type { TestDaemon } from '../helpers/daemons.ts'
import type { Page } from 'playwright-core'

async function open (chromium: ChromiumSession, d: TestDaemon): Promise<Page> {
  return await chromium.openPage((await d.json(['stats'])).web.url)
}

const idsInPage = async (page: Page, qid: string): Promise<string[]> =>
  (await page.evaluate((q) => window.swarm.contributions(q), qid)).map((c) => c.id).sort()
const idsAtDaemon = async (d: TestDaemon, qid: string): Promise<string[]> =>
  ((await d.json(['show', qid])).contributions as Array<{ id: string }>).map((c) => c.id).sort()

describe.skipIf(findChromium() == null)('far members: pages four hops apart through a daemon that is in no channel', () => {
  let b: TestDaemon
  let a: TestDaemon
  let c: TestDaemon
  let chromium: ChromiumSession
  let pb: Page
  let pc: Page

  beforeAll(async () => {
    b = await createDaemon({ ws: true, webrtcDirect: true, flags: ['--web', '127.0.0.1:0'] })
    a = await createDaemon({})
    c = await createDaemon({ ws: true, webrtcDirect: true, flags: ['--web', '127.0.0.1:0'] })
    await Promise.all([b.start(), a.start(), c.start()])
    await b.json(['connect', a.tcpAddr])
    await c.json(['connect', a.tcpAddr])
    chromium = await launchChromium()
    pb = await open(chromium, b)
    pc = await open(chromium, c)
    // each page is a peer of its daemon before anything is asked
    for (const [page, d] of [[pb, b], [pc, c]] as const) {
      const peerId = await page.evaluate(() => window.swarm.peerId)
      await eventually(async () => (await d.json(['peers'])).some((p: any) => p.peerId === peerId), { what: 'the page among its daemon\'s peers', timeoutMs: 30_000 })
    }
  }, 120_000)

  afterAll(async () => {
    await chromium?.close()
    await stopAll([b, a, c].filter(Boolean))
    await cleanupHomes()
  }, 60_000)

  it('a page asks; the far daemon and the far page answer; every member ends with the same envelopes', async () => {
    const qid = await pb.evaluate(() => window.swarm.ask('Which gossipsub mesh degree suits a 50-node federation?', { scope: 'federation-local', ttl: 600 }))
    await eventually(async () => (await c.json(['questions'])).some((q: any) => q.id === qid), { what: 'the question at the far daemon' })
    const first = await c.json(['answer', qid, 'D=6 with D_low=4 and D_high=12 is the default and fits.', '--kind', 'recommendation', '--confidence', '0.7'])
    const second = await c.json(['answer', qid, 'Lower D to 4 if bandwidth matters more than latency.', '--kind', 'hypothesis', '--confidence', '0.5'])
    await eventually(async () => (await pc.evaluate(() => window.swarm.questions())).some((q) => q.id === qid), { what: 'the question at the far page', timeoutMs: 30_000 })
    const fromPage = await pc.evaluate((q) => window.swarm.answer(q, 'We run D=6 at 40 nodes without trouble.', { kind: 'partial-answer', confidence: 0.6 }), qid)
    const want = [first.id, second.id, fromPage].sort()

    // the asker's page holds every contribution, however far its author
    await eventually(async () => JSON.stringify(await idsInPage(pb, qid)) === JSON.stringify(want), { what: 'all three contributions in the asking page', timeoutMs: 30_000 })
    // and so does every other member: no silent gap anywhere
    for (const d of [b, c]) await eventually(async () => JSON.stringify(await idsAtDaemon(d, qid)) === JSON.stringify(want), { what: `all contributions at ${d.nodeId}`, timeoutMs: 30_000 })
    await eventually(async () => JSON.stringify(await idsInPage(pc, qid)) === JSON.stringify(want), { what: 'all contributions at the far page', timeoutMs: 30_000 })
    // the middle daemon relayed the channel on the scope's topic without joining it
    expect((await a.json(['show', qid]).catch(() => ({ joined: false }))).joined ?? false).toBe(false)

    // the relay in the middle dies hard and comes back mid-channel: what is said next still arrives
    await a.kill()
    await a.start()
    await b.json(['connect', a.tcpAddr])
    await c.json(['connect', a.tcpAddr])
    const late = await c.json(['answer', qid, 'After the restart: measure before tuning.', '--kind', 'recommendation', '--confidence', '0.6'])
    const all = [...want, late.id].sort()
    await eventually(async () => JSON.stringify(await idsInPage(pb, qid)) === JSON.stringify(all), { what: 'the contribution made after the relay restarted, in the asking page', timeoutMs: 45_000 })
    await eventually(async () => JSON.stringify(await idsAtDaemon(b, qid)) === JSON.stringify(all), { what: 'the same at the serving daemon', timeoutMs: 30_000 })
  }, 170_000)
})
