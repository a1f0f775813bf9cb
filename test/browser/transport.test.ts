// The browser bridge end to end in real headless Chromium: a Node libp2p node (the daemon's
// transports, with the persisted webrtc-direct certificate) serves the bundle; pages join it
// over webrtc-direct, exchange gossipsub messages with it, and reach each other directly over
// WebRTC with the Node node relaying only the signalling.
// Run: scripts/in-netns.sh node_modules/.bin/vitest run test/browser
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebBundle } from '../../scripts/build-web.ts'
import { loadOrCreateWebRTCCertificate, WEBRTC_CERT_FILE } from '../../src/net/webrtc-cert.ts'
import { contentMsgId } from '../../src/web/node.ts'
import { findChromium, launchChromium } from '../helpers/chromium.ts'
import type { ChromiumSession } from '../helpers/chromium.ts'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'

const TOPIC = 'swarm/web-test/v1'
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts')
const RUNS = Number(process.env.SWARM_BROWSER_RUNS ?? 10)

async function startDaemonNode (home: string) {
  const certificate = await loadOrCreateWebRTCCertificate(join(home, WEBRTC_CERT_FILE))
  return createLibp2p({
    addresses: {
      listen: ['/ip4/127.0.0.1/udp/0/webrtc-direct', '/ip4/127.0.0.1/tcp/0/ws', '/ip4/127.0.0.1/tcp/0']
    },
    transports: [
      tcp(),
      webSockets(),
      webRTCDirect({ certificate, rtcConfiguration: { iceServers: [] } })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      relay: circuitRelayServer({ reservations: { maxReservations: 64 } }),
      pubsub: gossipsub({ globalSignaturePolicy: StrictNoSign, fastMsgIdFn: contentMsgId, allowPublishToZeroTopicPeers: true })
    }
  })
}
type DaemonNode = Awaited<ReturnType<typeof startDaemonNode>>

const certhashOf = (addr: string): string | undefined => addr.match(/\/certhash\/([^/]+)/)?.[1]

async function until<T> (what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>swarmd</title>
<style>body{font:16px sans-serif;margin:2em}code{font-size:13px}</style>
<h1>swarmd browser peer</h1><p id="status">starting…</p><pre id="detail"></pre>
<script type="module" src="/swarm.js"></script>
<script type="module">
  const show = () => {
    document.getElementById('status').textContent = 'connected as ' + swarm.peerId
    document.getElementById('detail').textContent = JSON.stringify({ connections: swarm.connections(), messages: swarm.messages('${TOPIC}') }, null, 2)
  }
  const wait = () => window.swarm ? swarm.ready.then(() => { show(); setInterval(show, 250) }, e => { document.getElementById('status').textContent = 'failed: ' + e.message }) : setTimeout(wait, 20)
  wait()
</script>`

describe.skipIf(findChromium() == null)('browser transport (real Chromium)', () => {
  let home: string
  let node: DaemonNode
  let server: Server
  let base: string
  let chromium: ChromiumSession
  let firstCerthash: string | undefined
  const bootstrap = { addrs: [] as string[], topic: TOPIC, allowLoopback: true }

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'swarm-browser-'))
    const { file } = await buildWebBundle({ outdir: join(home, 'web') })
    const bundle = await readFile(file)

    // first start: remember the certhash, then restart on the same home
    const first = await startDaemonNode(home)
    firstCerthash = first.getMultiaddrs().map(a => certhashOf(a.toString())).find(Boolean)
    await first.stop()
    node = await startDaemonNode(home)

    const addrs = node.getMultiaddrs().map(a => a.toString())
    bootstrap.addrs = [...addrs.filter(a => a.includes('/webrtc-direct/')), ...addrs.filter(a => a.includes('/ws/'))]

    server = createServer((req, res) => {
      if (req.url === '/swarm.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      else if (req.url === '/api/bootstrap') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(bootstrap))
      else if (req.url === '/' || req.url?.startsWith('/?')) res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE)
      else res.writeHead(404).end()
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    chromium = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await chromium?.close()
    await node?.stop()
    server?.close()
    if (home != null) await rm(home, { recursive: true, force: true })
  }, 30_000)

  async function openPeer (): Promise<{ page: Page, peerId: string }> {
    const page = await chromium.openPage(base)
    return { page, peerId: await page.evaluate(() => window.swarm.peerId) }
  }

  it('keeps the webrtc-direct certhash across daemon restarts', () => {
    const now = node.getMultiaddrs().map(a => certhashOf(a.toString())).find(Boolean)
    expect(firstCerthash).toMatch(/^uEi/)
    expect(now).toBe(firstCerthash)
  })

  let a: { page: Page, peerId: string }

  it('joins the Node node over webrtc-direct', async () => {
    a = await openPeer()
    const conns = await until('a connection from the page', () => {
      const c = node.getConnections().filter(c => c.remotePeer.toString() === a.peerId)
      return c.length > 0 ? c : undefined
    })
    expect(conns.map(c => c.remoteAddr.toString()).join(' ')).toContain('/webrtc-direct')
  }, 30_000)

  it('carries gossipsub both ways between page and Node node', async () => {
    node.services.pubsub.subscribe(TOPIC)
    // a publish in the instant a peer subscribes can be dropped: wait until both see each other
    await until('node sees the page subscribed', () => node.services.pubsub.getSubscribers(TOPIC).some(p => p.toString() === a.peerId))
    await until('page sees the node subscribed', () => a.page.evaluate(([t, id]) => window.swarm.subscribers(t).includes(id), [TOPIC, node.peerId.toString()] as const))

    const atNode: string[] = []
    node.services.pubsub.addEventListener('message', evt => { if (evt.detail.topic === TOPIC) atNode.push(new TextDecoder().decode(evt.detail.data)) })
    await a.page.evaluate(t => window.swarm.publish(t, 'hello from the page'), TOPIC)
    await until('page → node message', () => atNode.includes('hello from the page'), 10_000)

    await node.services.pubsub.publish(TOPIC, new TextEncoder().encode('hello from the node'))
    await until('node → page message', () => a.page.evaluate(t => window.swarm.messages(t).includes('hello from the node'), TOPIC), 10_000)
  }, 30_000)

  it('connects two pages directly over WebRTC, the Node node relaying only signalling', async () => {
    const b = await openPeer()
    // a's relayed WebRTC address appears once its reservation on the Node node is made
    const target = await until('a /p2p-circuit/webrtc address on page a', async () =>
      (await a.page.evaluate(() => window.swarm.addrs())).find(x => x.includes('/p2p-circuit/webrtc/')), 20_000)
    expect(target).toContain(`/p2p/${node.peerId.toString()}/p2p-circuit/webrtc/p2p/${a.peerId}`)

    const info = await b.page.evaluate(addr => window.swarm.dial(addr, { requireDirect: true, attempts: 5 }), target)
    console.log(`browser↔browser dial: ${info.remoteAddr} direct=${info.direct} attempts=${info.attempts} failures=${JSON.stringify(info.failures)}`)
    expect(info.direct).toBe(true)
    expect(info.remoteAddr).toMatch(/\/p2p-circuit\/webrtc\/p2p\//)
    // a relayed connection would be yamux over the relay's stream; WebRTC multiplexes data channels
    expect(info.multiplexer).toBe('/webrtc')
    // the other side sees a direct (unlimited, non-circuit) connection as well
    await until('page a sees a direct connection from b', () => a.page.evaluate(id => window.swarm.connections().some(c => c.peer === id && c.direct && c.multiplexer === '/webrtc'), b.peerId))
    // the relayed connection that carried the signalling is closed once WebRTC is up
    const bToA = await until('only direct connections between b and a', async () => {
      const conns = (await b.page.evaluate(() => window.swarm.connections())).filter(c => c.peer === a.peerId)
      return conns.length > 0 && conns.every(c => c.direct) ? conns : undefined
    })
    console.log('page b → a connections', JSON.stringify(bToA))

    // and gossip flows over it: b ↔ a on the shared topic
    await until('a sees b subscribed', () => a.page.evaluate(([t, id]) => window.swarm.subscribers(t).includes(id), [TOPIC, b.peerId] as const))
    await b.page.evaluate(t => window.swarm.publish(t, 'hello from page b'), TOPIC)
    await until('b → a message', () => a.page.evaluate(t => window.swarm.messages(t).includes('hello from page b'), TOPIC), 10_000)

    await mkdir(ARTIFACTS, { recursive: true })
    await a.page.waitForTimeout(300) // let the status line redraw
    await a.page.screenshot({ path: join(ARTIFACTS, 'browser-transport.png'), fullPage: true })
    await b.page.context().close()
  }, 90_000)

  it(`measures page load → connected (median of ${RUNS})`, async () => {
    const pageMs: number[] = []
    const wallMs: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now()
      const { page, peerId } = await openPeer()
      await until('connection at the node', () => node.getConnections().some(c => c.remotePeer.toString() === peerId), 10_000, 5)
      wallMs.push(performance.now() - started)
      pageMs.push(await page.evaluate(() => window.swarm.timings.connected ?? NaN))
      await page.context().close()
    }
    const report = { runs: RUNS, pageNavigationToConnectedMs: Math.round(median(pageMs)), gotoToConnectedAtNodeMs: Math.round(median(wallMs)), samplesMs: pageMs.map(Math.round) }
    console.log('browser timings', JSON.stringify(report))
    expect(pageMs.every(Number.isFinite)).toBe(true)
  }, 180_000)

  it('keeps its peer id across a reload (key in IndexedDB), and a second tab is another peer', async () => {
    const { page, peerId } = await openPeer()
    await page.reload()
    await page.waitForFunction(() => window.swarm?.peerId !== '' && window.swarm?.peerId != null)
    expect(await page.evaluate(() => window.swarm.peerId)).toBe(peerId)
    const tab = await page.context().newPage()
    await tab.goto(base)
    await tab.waitForFunction(() => window.swarm?.peerId !== '' && window.swarm?.peerId != null)
    expect(await tab.evaluate(() => window.swarm.peerId)).not.toBe(peerId)
    await page.context().close()
  }, 60_000)
})
