// The page's bundle entry: starts the browser node, joins the daemon that served the page, runs
// the question bus client and exposes `window.swarm` (swarm-api.ts); the page's app (app.ts)
// draws on top of it when the page has a mount point. The daemon hands the addresses to dial in
// `window.SWARM_BOOTSTRAP` (inlined in the page) or at GET /api/bootstrap.
import { mountApp } from './app.ts'
import { BusClient, kept } from './bus-client.ts'
import { PageHistory, type ResumeReport } from './page-history.ts'
import { PageStore } from './page-store.ts'
import { loadOrCreateBrowserKey } from './keystore.ts'
import { createBrowserNode } from './node.ts'
import { dialWithRetry } from './redial.ts'
import { createSwarmApi, subscribeRaw } from './swarm-api.ts'
import type { Bootstrap } from './swarm-api.ts'

export type { Bootstrap, DialInfo, SwarmPage } from './swarm-api.ts'

const DEFAULT_TOPIC = 'swarm/web-test/v1'
const received = new Map<string, string[]>()
const decoder = new TextDecoder()

const swarm = createSwarmApi(received)
window.swarm = swarm
let busReady!: () => void
swarm.busReady = new Promise<void>((resolve) => { busReady = resolve })
swarm.ready = start().finally(() => { busReady() })
swarm.ready.catch(err => { console.error('swarm: start failed', err) })
mountApp(swarm)

async function start (): Promise<void> {
  const boot = window.SWARM_BOOTSTRAP ?? await (await fetch('/api/bootstrap')).json() as Bootstrap
  swarm.bootstrap = boot
  // one Ed25519 key (IndexedDB) is both the libp2p peer id and the envelope signer (did:key)
  const privateKey = await loadOrCreateBrowserKey({ name: await claimKeySlot() })
  const node = await createBrowserNode({ privateKey, iceServers: boot.iceServers, allowLoopback: boot.allowLoopback })
  swarm.node = node
  swarm.peerId = node.peerId.toString()
  swarm.timings.started = performance.now()
  const raw = boot.topic ?? (boot.federation == null ? DEFAULT_TOPIC : undefined)
  if (raw != null) {
    node.services.pubsub.addEventListener('message', evt => {
      if (evt.detail.topic !== raw && !received.has(evt.detail.topic)) return
      const list = received.get(evt.detail.topic) ?? []
      list.push(decoder.decode(evt.detail.data))
      received.set(evt.detail.topic, list)
    })
    received.set(raw, [])
    subscribeRaw(node, raw)
  }
  if (boot.federation != null) {
    const bus = new BusClient({
      node,
      privateKey,
      federation: boot.federation,
      questionTopics: boot.topics?.questions ?? [],
      heartbeatSec: boot.heartbeatSec,
      clockSkewSec: boot.clockSkewSec,
      defaultTtlSec: boot.defaultTtlSec
    })
    bus.addEventListener('question', () => { swarm.timings.firstQuestion ??= bus.firstQuestionAt })
    await bus.start()
    swarm.bus = bus
    swarm.nodeId = bus.nodeId
    swarm.federation = bus.federation
    const history = new PageHistory(bus, node)
    await history.start()
    swarm.history = history
    await keepChannels(bus)
  }
  busReady()
  // the first address that answers wins; the rest are fallbacks (e.g. websockets)
  let lastError: unknown
  for (const addr of boot.addrs) {
    try {
      // short and few: a blocked UDP path should fall back to websockets within seconds
      const { connection } = await dialWithRetry(node, addr, { attempts: 2, timeoutMs: 5_000 })
      swarm.timings.connected = performance.now()
      if (swarm.bus != null && swarm.history != null) swarm.backfilled = backfill(swarm.bus, swarm.history, connection.remotePeer)
      return
    } catch (err) {
      lastError = err
    }
  }
  throw new Error(`could not reach any daemon address: ${String((lastError as Error)?.message ?? lastError)}`)
}

/** Shows the channels kept in IndexedDB at once (before any peer answers), and keeps each change. */
async function keepChannels (bus: BusClient): Promise<void> {
  const store = await PageStore.open(bus.nodeId).catch((err) => { console.warn('swarm: no channel store', err); return undefined })
  if (store == null) return
  for (const k of await store.load()) bus.restoreKept(k)
  swarm.restored = [...bus.questions.values()].map((v) => ({ id: v.id, items: v.channel.entries.map((e) => e.id) }))
  swarm.timings.restored = performance.now()
  bus.addEventListener('change', (e) => {
    const id = (e as CustomEvent<{ questionId: string }>).detail.questionId
    const view = bus.questions.get(id)
    if (view != null) store.save(id, () => kept(view))
  })
  addEventListener('pagehide', () => { void store.flush() })
}

/** The open questions of the page's topics, then every channel it holds, resumed from its cursor, from the daemon it joined. */
async function backfill (bus: BusClient, history: PageHistory, peer: Parameters<PageHistory['resume']>[1]): Promise<ResumeReport[]> {
  try {
    await history.openQuestions(peer)
  } catch (err) {
    console.warn('swarm: open questions not fetched', err)
  }
  const reports: ResumeReport[] = []
  for (const id of [...bus.questions.keys()]) {
    try {
      reports.push(await history.resume(id, peer))
    } catch (err) {
      console.warn('swarm: history not fetched', id, err)
    }
  }
  swarm.timings.backfilled = performance.now()
  return reports
}

/**
 * Tabs of one browser share IndexedDB; each holds a Web Lock on its key slot so two open tabs
 * are two peers instead of one peer id connecting twice.
 */
async function claimKeySlot (): Promise<string> {
  const locks = navigator.locks
  if (locks == null) return 'node'
  for (let slot = 0; slot < 64; slot++) {
    const name = slot === 0 ? 'node' : `node-${slot}`
    const got = await new Promise<boolean>(resolve => {
      locks.request(`swarmd-key:${name}`, { ifAvailable: true }, lock => {
        resolve(lock != null)
        return lock == null ? undefined : new Promise<void>(() => {}) // hold for the page's life
      }).catch(() => { resolve(false) })
    })
    if (got) return name
  }
  return `node-${Date.now()}`
}
