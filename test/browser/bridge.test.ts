// Issue 9 end to end: real `bin/swarm` daemons (one serving the page with `--web 127.0.0.1:0`)
// and real headless Chromium pages speaking the question bus. The page joins over
// webrtc-direct; questions and contributions cross page ↔ daemon both ways (through the serving
// daemon to a second one); two pages talk over a direct WebRTC connection.
// Run: scripts/in-netns.sh node_modules/.bin/vitest run --config vitest.browser.config.ts test/browser/bridge.test.ts
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEB_BUNDLE_TARGET_BYTES } from '../../scripts/build-web.ts'
import { findChromium, launchChromium } from '../helpers/chromium.ts'
import { cleanupHomes, createDaemon, eventually, stopAll } from '../helpers/daemons.ts'
import type { ChromiumSession } from '../helpers/chromium.ts'
import type { TestDaemon } from '../helpers/daemons.ts'
import type { Page } from 'playwright-core'

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts')
const certhashOf = (addr: string): string | undefined => /\/certhash\/([^/]+)/.exec(addr)?.[1]

interface PagePeer { page: Page, peerId: string, nodeId: string }

describe.skipIf(findChromium() == null)('browser bridge: pages and bin/swarm daemons (real Chromium)', () => {
  let web: TestDaemon // serves the page
  let other: TestDaemon // reached only through `web`
  let url: string
  let chromium: ChromiumSession
  let a: PagePeer
  let b: PagePeer

  beforeAll(async () => {
    web = await createDaemon({ ws: true, webrtcDirect: true, flags: ['--web', '127.0.0.1:0'] })
    other = await createDaemon({})
    await Promise.all([web.start(), other.start()])
    await other.json(['connect', web.tcpAddr])
    url = (await web.json(['stats'])).web.url
    chromium = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await chromium?.close()
    await stopAll([web, other].filter(Boolean))
    await cleanupHomes()
  }, 60_000)

  async function openPage (): Promise<PagePeer> {
    const page = await chromium.openPage(url)
    return { page, ...await page.evaluate(() => ({ peerId: window.swarm.peerId, nodeId: window.swarm.nodeId })) }
  }

  it('serves the page, the bundle and /api/bootstrap, and reports its URL in swarm stats', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const boot = await (await fetch(`${url}api/bootstrap`)).json()
    expect(boot.addrs[0]).toMatch(new RegExp(`/webrtc-direct/certhash/uEi[^/]+/p2p/${web.peerId}$`))
    expect(boot.addrs.some((x: string) => x.includes('/ws/'))).toBe(true)
    expect(boot).toMatchObject({ peerId: web.peerId, nodeId: web.nodeId, federation: 'fed:test' })
    expect(boot.topics.questions).toContain('swarm/1/fed/fed:test/questions')
    const html = await (await fetch(url)).text()
    expect(html).toContain('window.SWARM_BOOTSTRAP=')
    const js = await fetch(`${url}swarm.js`, { headers: { 'accept-encoding': 'identity' } })
    expect(js.status).toBe(200)
    const bytes = (await js.arrayBuffer()).byteLength
    console.log(`web bundle: ${bytes} bytes (target ${WEB_BUNDLE_TARGET_BYTES})`)
    expect(bytes).toBeLessThanOrEqual(WEB_BUNDLE_TARGET_BYTES)
  })

  it('the page joins the serving daemon over webrtc-direct, as a node with its own did:key', async () => {
    a = await openPage()
    expect(a.nodeId).toMatch(/^node:did:key:z6Mk/)
    const conns = await a.page.evaluate(() => window.swarm.connections())
    expect(conns.find((c) => c.peer === web.peerId)?.remoteAddr).toContain('/webrtc-direct/')
    const peers = await eventually(async () => {
      const list = await web.json(['peers'])
      return list.find((p: any) => p.peerId === a.peerId)
    }, { what: 'the page among the daemon\'s peers' })
    expect(peers.nodeId).toBe(a.nodeId) // one key: the daemon derives the same node id from the peer id
  }, 60_000)

  it('a question asked in the page reaches daemons, and a daemon\'s contribution shows up in the page', async () => {
    const id = await a.page.evaluate(() => window.swarm.ask('How do I rotate a federation trust root safely?', {
      scope: 'federation-local', urgency: 'high', ttl: 600, tags: ['pki', 'rotation'], followUps: true, lang: 'en'
    }))
    expect(id).toMatch(/^question:[0-9A-HJKMNP-TV-Z]{26}$/)
    // `other` is connected only to `web`: the question crossed two hops
    const seen = await eventually(async () => (await other.json(['questions'])).find((q: any) => q.id === id), { what: 'the question at the second daemon' })
    expect(seen).toMatchObject({ urgency: 'high', from: a.nodeId, scope: 'federation-local' })
    expect((await web.json(['questions'])).some((q: any) => q.id === id)).toBe(true)

    const answered = await other.json(['answer', id, 'Cross-sign the new root with the old one and keep an overlap window.', '--kind', 'recommendation', '--confidence', '0.8', '--source', 'doc:rotation'])
    const got = await eventually(async () => (await a.page.evaluate((q) => window.swarm.contributions(q), id)).find((c) => c.id === answered.id),
      { what: 'the daemon\'s contribution in the page', timeoutMs: 30_000 })
    expect(got).toMatchObject({ kind: 'recommendation', confidence: 0.8, sources: ['doc:rotation'], 'question/id': id })
    expect(got.sender['node/id']).toBe(other.nodeId)
    // the asker's view at the daemon that relayed it has it too
    const show = await web.json(['show', id])
    expect(show.contributions.some((c: any) => c.id === answered.id)).toBe(true)
  }, 90_000)

  it('a question asked by a daemon is answered from the page', async () => {
    const asked = await web.json(['ask', 'What is six times seven?', '--ttl', '600', '--tag', 'arithmetic'])
    await eventually(async () => (await a.page.evaluate(() => window.swarm.questions())).some((q) => q.id === asked.id), { what: 'the daemon\'s question in the page' })
    const cid = await a.page.evaluate((q) => window.swarm.answer(q, '42', { kind: 'fact', confidence: 0.9, sources: ['arithmetic'] }), asked.id)
    expect(cid).toMatch(/^contribution:/)
    const show = await eventually(async () => {
      const s = await web.json(['show', asked.id])
      return s.contributions.some((c: any) => c.id === cid) ? s : undefined
    }, { what: 'the page\'s contribution at the asking daemon' })
    const c = show.contributions.find((x: any) => x.id === cid)
    expect(c).toMatchObject({ kind: 'fact', text: '42', confidence: 0.9, origin: 'human-live' })
    expect(c.sender['node/id']).toBe(a.nodeId)
    expect(show.state).toBe('answered')
  }, 90_000)

  it('a private question from the page is sealed to its recipient: it answers, the serving daemon only relays', async () => {
    const text = 'Private: which of our staging keys leaked last week?'
    const id = await a.page.evaluate(([t, to]) => window.swarm.ask(t, { to: [to], ttl: 600 }), [text, other.nodeId] as const)
    expect(id).toMatch(/^question:/)
    // `other` hears it only through `web`, which cannot open it
    const seen = await eventually(async () => (await other.json(['questions'])).find((q: any) => q.id === id), { what: 'the private question at its recipient' })
    expect(seen).toMatchObject({ scope: 'private', from: a.nodeId })
    const answered = await other.json(['answer', id, 'The one on the CI runner; rotate it.', '--kind', 'fact', '--confidence', '0.7'])
    const got = await eventually(async () => (await a.page.evaluate((q) => window.swarm.contributions(q), id)).find((c) => c.id === answered.id),
      { what: 'the recipient\'s sealed contribution in the page', timeoutMs: 30_000 })
    expect(got).toMatchObject({ kind: 'fact', text: 'The one on the CI runner; rotate it.', 'question/id': id })
    expect(got.sender['node/id']).toBe(other.nodeId)
    // the relaying daemon knows neither the text nor the answer
    const listed = JSON.stringify(await web.json(['questions', '--all']))
    expect(listed).not.toContain(text)
    expect(listed).not.toContain('CI runner')
  }, 90_000)

  it('two pages talk directly over WebRTC, the daemon relaying only the signalling', async () => {
    b = await openPage()
    const target = await eventually(async () => (await a.page.evaluate(() => window.swarm.addrs())).find((x) => x.includes('/p2p-circuit/webrtc/')),
      { what: 'page a\'s relayed WebRTC address', timeoutMs: 30_000 })
    const info = await b.page.evaluate((addr) => window.swarm.dial(addr, { requireDirect: true, attempts: 5, timeoutMs: 6000 }), target)
    console.log(`page ↔ page: direct=${String(info.direct)} attempts=${info.attempts} failures=${JSON.stringify(info.failures)}`)
    expect(info.direct).toBe(true)
    expect(info.multiplexer).toBe('/webrtc')

    const id = await a.page.evaluate(() => window.swarm.ask('Can two browsers answer each other?', { ttl: 600, urgency: 'low' }))
    await eventually(async () => (await b.page.evaluate(() => window.swarm.questions())).some((q) => q.id === id), { what: 'page a\'s question at page b' })
    const cid = await b.page.evaluate((q) => window.swarm.answer(q, 'Yes: over a direct RTCPeerConnection.', { kind: 'partial-answer', confidence: 0.7 }), id)
    await eventually(async () => (await a.page.evaluate((q) => window.swarm.contributions(q), id)).some((c) => c.id === cid), { what: 'page b\'s answer at page a' })
    // what joins them now is the direct connection alone
    const between = await b.page.evaluate((peer) => window.swarm.connections().filter((c) => c.peer === peer), a.peerId)
    console.log('page b → page a connections', JSON.stringify(between))
    expect(between.length).toBeGreaterThan(0)
    expect(between.every((c) => c.direct)).toBe(true)
  }, 120_000)

  it('keeps a screenshot of the page as a test artifact', async () => {
    const first = (await a.page.evaluate(() => window.swarm.questions())).find((q) => q.text.startsWith('How do I rotate'))
    // the list redraws every second, so select through the DOM rather than a pointer click
    await a.page.evaluate((id) => { document.querySelector<HTMLElement>(`#questions li[data-id="${id}"]`)?.click() }, first!.id)
    await mkdir(ARTIFACTS, { recursive: true })
    try {
      await a.page.waitForSelector('#channel .contribution', { timeout: 10_000 })
    } catch (err) {
      await a.page.screenshot({ path: join(ARTIFACTS, 'browser-page-failed.png'), fullPage: true })
      throw new Error(`${(err as Error).message}\n${chromium.logs(a.page).join('\n')}`)
    }
    await a.page.screenshot({ path: join(ARTIFACTS, 'browser-page.png'), fullPage: true })
    expect(await a.page.textContent('#status')).toContain('connected')
  }, 30_000)

  it('keeps the webrtc-direct certhash across a daemon restart (a bookmarked page keeps working)', async () => {
    const before = certhashOf(web.addresses.find((x) => x.includes('/webrtc-direct/'))!)
    await web.stop()
    await web.start()
    const after = certhashOf(web.addresses.find((x) => x.includes('/webrtc-direct/'))!)
    expect(before).toMatch(/^uEi/)
    expect(after).toBe(before)
    url = (await web.json(['stats'])).web.url
    const c = await openPage() // and a page joins the restarted daemon
    expect((await c.page.evaluate(() => window.swarm.connections())).some((x) => x.remoteAddr.includes(`/certhash/${before!}`))).toBe(true)
  }, 90_000)
})
