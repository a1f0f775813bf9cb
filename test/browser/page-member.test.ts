// The page as a full member with its own view (issues 16 item 3, 19, 22 item 5), in real Chromium
// against a real `bin/swarm` daemon serving it and an in-process bus node (the real QuestionBus on
// real libp2p, cheaper to start than a second daemon) behind it: a page that loads after a question was asked shows it with
// its contributions and summary (sources linked to the contributions they cite); a reload shows
// the kept channel at once and resumes it from its cursor with exactly what it missed; the asker
// closes with accept; an attachment is downloaded and verified chunk by chunk; appointed shadow,
// the page takes over when the asker goes quiet and closes as secretary. A hostile peer with
// its own key, speaking the wire directly, serves a corrupted chunk (refused `bad-hash`, the
// honest holder finishes), forged questions and history (none taken, honest ones are), and reads
// the page's history as any member may.
// Run: scripts/in-netns.sh node_modules/.bin/vitest run --config vitest.browser.config.ts test/browser/page-member.test.ts
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { lpStream } from '@libp2p/utils'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chunkRange, rawCid, rootOf } from '../../src/blobs/cid.ts'
import { CHUNK_BYTES, PROTOCOL_BLOB } from '../../src/blobs/constants.ts'
import { PROTOCOL_OPEN_QUESTIONS } from '../../src/bus/core/open-questions.ts'
import { buildContribution, buildQuestion, createSigner } from '../../src/envelope/index.ts'
import { identityFromSeed } from '../../src/identity/index.ts'
import { findChromium, launchChromium } from '../helpers/chromium.ts'
import type { ChromiumSession } from '../helpers/chromium.ts'
import { startBusNode, stopBusNodes, type BusNode } from '../helpers/bus-nodes.ts'
import { cleanupHomes, createDaemon, eventually, stopAll } from '../helpers/daemons.ts'
import { multiaddr } from '@multiformats/multiaddr'
import type { TestDaemon } from '../helpers/daemons.ts'
import type { Page } from 'playwright-core'

const HISTORY = '/swarm/history/2.0.0'
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const enc = new TextEncoder()

describe.skipIf(findChromium() == null)('the page as a member, with its own view (real Chromium)', () => {
  let web: TestDaemon // serves the page, asks Q1 with an attachment
  let other: BusNode // answers (and asks), reached by the page only through `web`
  let chromium: ChromiumSession
  let page: Page
  let url: string
  let dir: string
  let file: Uint8Array
  let root: string
  let q1: string
  let c1: string

  beforeAll(async () => {
    // one-second heartbeats: the takeover test waits three of them, not thirty seconds
    const config = { presence: { heartbeatSec: 1 } }
    web = await createDaemon({ ws: true, webrtcDirect: true, flags: ['--web', '127.0.0.1:0'], config })
    ;[other] = await Promise.all([startBusNode({ federation: 'fed:test', configure: (c) => { c.presence.heartbeatSec = 1 } }), web.start()])
    await other.libp2p.dial(multiaddr(web.tcpAddr))
    url = (await web.json(['stats'])).web.url
    // three chunks, so the manifest path and a resume at chunk 1 are both exercised
    dir = await mkdtemp(join(tmpdir(), 'swarm-page-'))
    file = randomBytes(2 * CHUNK_BYTES + 1234)
    await writeFile(join(dir, 'notes.bin'), file)
    const asked = await web.json(['ask', 'Which rotation window do we use for the trust root?', '--ttl', '900', '--attach', join(dir, 'notes.bin')])
    q1 = asked.id
    root = asked.envelope.attachments[0].cid
    await eventually(async () => (await other.bus.list()).some((q) => q.id === q1), { what: 'Q1 at the answering node' })
    c1 = (await other.bus.contribute(q1, { text: 'Overlap the old and new roots for a week.', kind: 'recommendation', confidence: 0.8 })).id
    await eventually(async () => (await web.json(['show', q1])).contributions.some((c: any) => c.id === c1), { what: 'c1 at the asker' })
    await web.json(['summarize', q1])
    chromium = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await chromium?.close()
    await stopBusNodes()
    await stopAll([web].filter(Boolean))
    await cleanupHomes()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  }, 60_000)

  const select = async (id: string): Promise<void> => {
    await page.evaluate((q) => { document.querySelector<HTMLElement>(`#questions li[data-id="${q}"]`)?.click() }, id)
  }

  it('a page loading after a question was asked shows it with its contributions, and its summary cites them', async () => {
    page = await chromium.openPage(url, { backfilled: true })
    expect((await page.evaluate(() => window.swarm.questions())).map((q) => q.id)).toContain(q1)
    expect((await page.evaluate((q) => window.swarm.contributions(q), q1)).map((c) => c.id)).toEqual([c1])
    await select(q1)
    await page.waitForSelector(`#channel .contribution[data-id="${c1}"]`)
    // the summary's source links to the contribution it cites: a click highlights it
    const cite = `#channel .summary a.cite[data-cite="${c1}"]`
    await page.waitForSelector(cite)
    await page.evaluate((sel) => { document.querySelector<HTMLElement>(sel)!.click() }, cite)
    expect(await page.getAttribute(`#channel .feed li[data-id="${c1}"]`, 'class')).toContain('cited')
    // the attachment is listed with its name, size and type
    const listed = await page.textContent(`#channel li.attachment[data-cid="${root}"]`)
    expect(listed).toContain('notes.bin')
    expect(listed).toContain('application/octet-stream')
  }, 60_000)

  it('a reload shows the kept channel at once, then resumes it from its cursor with exactly what it missed', async () => {
    const nodeId = await page.evaluate(() => window.swarm.nodeId)
    const before = await page.evaluate((q) => window.swarm.items(q), q1)
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 400))) // the kept copy is written 150 ms after a change
    await page.goto('about:blank')
    const c2 = (await other.bus.contribute(q1, { text: 'And publish the new root\'s fingerprint first.', kind: 'fact', confidence: 0.7 })).id
    await eventually(async () => (await web.json(['show', q1])).contributions.some((c: any) => c.id === c2), { what: 'c2 at the asker' })

    await page.goto(url)
    await page.waitForFunction(() => window.swarm?.busReady != null)
    await page.evaluate(async () => { await window.swarm.busReady })
    expect(await page.evaluate(() => window.swarm.nodeId)).toBe(nodeId) // the same page identity
    const restored = (await page.evaluate(() => window.swarm.restored)).find((r) => r.id === q1)
    expect(restored?.items).toEqual(before) // shown from IndexedDB before any peer answered
    await chromium.ready(page, { backfilled: true })
    const report = (await page.evaluate(async () => await window.swarm.backfilled)).find((r) => r.question === q1)
    expect(report?.after).not.toBeNull() // resumed after its cursor, not from the start
    expect(report?.fetched).toContain(c2)
    for (const id of before) expect(report?.fetched).not.toContain(id)
    const after = await page.evaluate((q) => window.swarm.items(q), q1)
    expect(after.slice(0, before.length)).toEqual(before)
    expect(new Set(after).size).toBe(after.length)
    expect((await page.evaluate((q) => window.swarm.contributions(q), q1)).map((c) => c.id)).toEqual([c1, c2])
  }, 60_000)

  it('the asker closes its question from the page, accepting a contribution', async () => {
    const q2 = await page.evaluate(() => window.swarm.ask('Is a week of overlap enough?', { ttl: 600 }))
    await eventually(async () => (await other.bus.list()).some((q) => q.id === q2), { what: 'Q2 at the answering node' })
    const c3 = (await other.bus.contribute(q2, { text: 'Yes, for clients that poll daily.', kind: 'fact', confidence: 0.9 })).id
    await eventually(async () => (await page.evaluate((q) => window.swarm.contributions(q), q2)).some((c) => c.id === c3), { what: 'c3 in the page' })
    await select(q2)
    await page.waitForSelector(`#channel input[name=accept][value="${c3}"]`)
    await page.check(`#channel input[name=accept][value="${c3}"]`)
    await page.click('#channel form.close-q button.close')
    const shown = await eventually(async () => { const s = await web.json(['show', q2]); return s.state === 'resolved' ? s : undefined }, { what: 'the close at the daemon' })
    expect(shown.close).toMatchObject({ resolution: 'accepted-answer', accepted: [c3] })
    expect((await page.evaluate(() => window.swarm.questions())).find((q) => q.id === q2)?.state).toBe('resolved')
  }, 60_000)

  it('downloads an attachment, verifying every chunk in the page', async () => {
    await select(q1)
    const button = `#channel li.attachment[data-cid="${root}"] button.download`
    await page.waitForSelector(button)
    await page.evaluate((sel) => { document.querySelector<HTMLElement>(sel)!.click() }, button)
    const status = `#channel li.attachment[data-cid="${root}"] .dl-status`
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.startsWith('verified') === true, status, { timeout: 30_000 })
    expect(await page.getAttribute(status, 'data-sha256')).toBe(sha(file))
  }, 60_000)

  describe('a hostile peer the page is connected to', () => {
    let hostile: Libp2p
    let hostileId: string

    beforeAll(async () => {
      const seed = new Uint8Array(randomBytes(32))
      const id = await identityFromSeed(seed, 'fed:test')
      hostile = await createLibp2p({
        privateKey: id.privateKey,
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
        transports: [webSockets()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify() }
      })
      hostileId = hostile.peerId.toString()
      const signer = createSigner(seed, 'fed:test')
      const alien = createSigner(new Uint8Array(randomBytes(32)), 'fed:elsewhere')
      const own = buildQuestion(signer, { text: 'A question from a stranger of the federation', scope: 'federation-local', ttlSec: 600 })
      const forged = { ...buildQuestion(signer, { text: 'original', scope: 'federation-local', ttlSec: 600 }) }
      forged.question = { ...forged.question, text: 'altered after signing' }
      const elsewhere = buildQuestion(alien, { text: 'Not for this federation', scope: 'federation-local', ttlSec: 600 })
      await hostile.handle(PROTOCOL_OPEN_QUESTIONS, async (stream) => {
        const lp = lpStream(stream)
        await lp.read()
        await lp.write(enc.encode(JSON.stringify({ questions: [JSON.stringify(forged), JSON.stringify(elsewhere), 'garbage', 42, JSON.stringify(own)] })))
        await stream.close()
      })
      const good = buildContribution(signer, { questionId: own.id, kind: 'fact', text: 'honest', confidence: 0.5 })
      const badSig = { ...buildContribution(signer, { questionId: own.id, kind: 'fact', text: 'x', confidence: 0.5 }), text: 'tampered' }
      const otherChannel = buildContribution(signer, { questionId: q1, kind: 'fact', text: 'wrong channel', confidence: 0.5 })
      await hostile.handle(HISTORY, async (stream) => {
        const lp = lpStream(stream)
        await lp.read()
        await lp.write(enc.encode(JSON.stringify({ question: null, envelopes: [JSON.stringify(badSig), JSON.stringify(otherChannel), '{', JSON.stringify(good)], next: null })))
        await stream.close()
      })
      // a holder that knows the manifest but corrupts chunk 1
      const chunks = [0, 1, 2].map((i) => { const { start, end } = chunkRange({ size: file.length, chunkBytes: CHUNK_BYTES }, i); return file.subarray(start, end) })
      const r = rootOf(file.length, chunks.map((c) => rawCid(c)))
      expect(r.cid).toBe(root)
      await hostile.handle(PROTOCOL_BLOB, async (stream) => {
        const lp = lpStream(stream, { maxDataLength: 4 * 1024 * 1024 })
        const req = JSON.parse(new TextDecoder().decode((await lp.read()).subarray()))
        await lp.write(enc.encode(JSON.stringify({ status: 'ok', size: file.length, chunks: 3 })))
        if (req.want === 'manifest') await lp.write(r.manifestBytes!)
        else {
          for (let i = req.from; i < 3; i++) {
            const c = Uint8Array.from(chunks[i])
            if (i === 1) c[100] ^= 0xff
            await lp.write(c)
          }
        }
        await stream.close().catch(() => {})
      })
      const addr = `${hostile.getMultiaddrs()[0].toString()}`
      await page.evaluate((a) => window.swarm.dial(a), addr)
    }, 30_000)

    afterAll(async () => { await hostile?.stop() })

    it('serves a corrupted chunk: refused as bad-hash, and the honest holder finishes the download', async () => {
      const got = await page.evaluate(([cid, h, w]) => window.swarm.download(cid, { holders: [h, w] }), [root, hostileId, web.peerId] as const)
      expect(got.sha256).toBe(sha(file))
      expect(got.size).toBe(file.length)
      expect(got.rejected).toEqual([{ peer: hostileId, reason: 'bad-hash' }])
      const alone = await page.evaluate(async ([cid, h]) => await window.swarm.download(cid, { holders: [h] }).then(() => 'ok', (e: Error) => e.message), [root, hostileId] as const)
      expect(alone).toMatch(/^bad-hash: chunk 1 /)
    }, 60_000)

    it('serves forged questions and history: the page takes only what verifies and belongs to it', async () => {
      const taken = await page.evaluate(async (h) => {
        const peer = window.swarm.node!.getConnections().find((c) => c.remotePeer.toString() === h)!.remotePeer
        const ids = await window.swarm.history!.openQuestions(peer)
        const report = ids.length === 1 ? await window.swarm.history!.resume(ids[0], peer) : undefined
        return { ids, fetched: report?.fetched ?? [] }
      }, hostileId)
      expect(taken.ids).toHaveLength(1) // only the signed question of this federation
      expect(taken.fetched).toHaveLength(1) // only the signed contribution of that channel
      // and honest traffic still flows: the daemon's contribution arrives as before
      const c4 = (await other.bus.contribute(q1, { text: 'Still listening.', kind: 'partial-answer', confidence: 0.4 })).id
      await eventually(async () => (await page.evaluate((q) => window.swarm.contributions(q), q1)).some((c) => c.id === c4), { what: 'an honest contribution after the hostile pages', timeoutMs: 30_000 })
    }, 60_000)

    it('reads the page\'s history as any member may, by cursor', async () => {
      const ask = async (req: object): Promise<any> => {
        const stream = await hostile.dialProtocol(hostile.getConnections().find((c) => c.remotePeer.toString() !== '')!.remotePeer, HISTORY)
        const lp = lpStream(stream, { maxDataLength: 4 * 1024 * 1024 })
        await lp.write(enc.encode(JSON.stringify(req)))
        const res = JSON.parse(new TextDecoder().decode((await lp.read()).subarray()))
        await stream.close()
        return res
      }
      const all = await ask({ question: q1 })
      expect(JSON.parse(all.question).id).toBe(q1)
      const ids = all.envelopes.map((w: string) => JSON.parse(w).id)
      expect(ids).toContain(c1)
      const rest = await ask({ question: q1, after: c1 })
      expect(rest.envelopes.map((w: string) => JSON.parse(w).id)).toEqual(ids.slice(ids.indexOf(c1) + 1))
      expect(await ask({ question: 'nonsense', after: 5 })).toEqual({ error: 'bad-request' })
    }, 30_000)
  })

  // last: it stops the asking node
  it('appointed shadow, the page takes over when the asker goes quiet, and closes as secretary', async () => {
    const me = await page.evaluate(() => window.swarm.nodeId)
    const q3 = (await other.bus.ask({ text: 'Who keeps this channel if I go?', ttlSec: 600, shadow: me })).id
    await eventually(async () => await page.evaluate((q) => window.swarm.bus!.questions.get(q)?.role === 'shadow', q3), { what: 'the page following as shadow' })
    // the serving daemon takes part, so it judges the claim and the close too
    await eventually(async () => (await web.json(['questions'])).some((q: any) => q.id === q3), { what: 'Q3 at the serving daemon' })
    await web.json(['answer', q3, 'The shadow does.', '--kind', 'fact', '--confidence', '0.6'])
    await other.stop()
    await eventually(async () => await page.evaluate((q) => window.swarm.bus!.questions.get(q)?.channel.secretary, q3) === me, { what: 'the page as secretary', timeoutMs: 30_000 })
    await eventually(async () => (await web.json(['show', q3])).secretary === me, { what: 'the daemon seeing the page as secretary' })
    await page.evaluate((q) => window.swarm.close(q), q3)
    const shown = await eventually(async () => { const s = await web.json(['show', q3]); return s.state === 'resolved' ? s : undefined }, { what: 'the secretary\'s close at the daemon' })
    expect(shown.close.sender['node/id']).toBe(me)
  }, 60_000)
})
