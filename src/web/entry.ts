// The page's bundle entry: starts the browser node, joins the daemon, and exposes `window.swarm`
// for the page (and the tests). The daemon hands the addresses to dial in `window.SWARM_BOOTSTRAP`
// or at GET /api/bootstrap.
import { createBrowserNode } from './node.ts'
import { dialWithRetry, isDirect } from './redial.ts'
import type { BrowserNode } from './node.ts'

export interface Bootstrap {
  /** Daemon multiaddrs, best first (webrtc-direct with certhash, then websockets). */
  addrs: string[]
  /** A topic to join at start. @default 'swarm/web-test/v1' */
  topic?: string
  iceServers?: RTCIceServer[]
  allowLoopback?: boolean
}

export interface DialInfo { remoteAddr: string, direct: boolean, multiplexer?: string, attempts: number, failures: string[] }

export interface SwarmPage {
  ready: Promise<void>
  peerId: string
  node?: BrowserNode
  /** ms since navigation start: node started, first daemon connection. */
  timings: { started?: number, connected?: number }
  peers(): string[]
  connections(): Array<{ peer: string, remoteAddr: string, direct: boolean, multiplexer?: string }>
  addrs(): string[]
  subscribe(topic: string): void
  subscribers(topic: string): string[]
  publish(topic: string, text: string): Promise<number>
  messages(topic: string): string[]
  dial(addr: string, options?: { requireDirect?: boolean, attempts?: number, timeoutMs?: number }): Promise<DialInfo>
}

declare global {
  interface Window { SWARM_BOOTSTRAP?: Bootstrap, swarm: SwarmPage }
}

const DEFAULT_TOPIC = 'swarm/web-test/v1'
const received = new Map<string, string[]>()
const decoder = new TextDecoder()
const encoder = new TextEncoder()

const swarm: SwarmPage = {
  ready: Promise.resolve(),
  peerId: '',
  timings: {},
  peers: () => swarm.node?.getPeers().map(p => p.toString()) ?? [],
  connections: () => swarm.node?.getConnections().map(c => ({ peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direct: isDirect(c), multiplexer: c.multiplexer })) ?? [],
  addrs: () => swarm.node?.getMultiaddrs().map(a => a.toString()) ?? [],
  subscribe: topic => { need().services.pubsub.subscribe(topic) },
  subscribers: topic => need().services.pubsub.getSubscribers(topic).map(p => p.toString()),
  publish: async (topic, text) => (await need().services.pubsub.publish(topic, encoder.encode(text))).recipients.length,
  messages: topic => received.get(topic) ?? [],
  dial: async (addr, options = {}) => {
    const { connection, attempts, failures } = await dialWithRetry(need(), addr, options)
    return { remoteAddr: connection.remoteAddr.toString(), direct: isDirect(connection), multiplexer: connection.multiplexer, attempts, failures }
  }
}
window.swarm = swarm
swarm.ready = start()
swarm.ready.catch(err => { console.error('swarm: start failed', err) })

function need (): BrowserNode {
  if (swarm.node == null) throw new Error('swarm node not started yet')
  return swarm.node
}

async function start (): Promise<void> {
  const boot = window.SWARM_BOOTSTRAP ?? await (await fetch('/api/bootstrap')).json() as Bootstrap
  const node = await createBrowserNode({
    keyName: await claimKeySlot(),
    iceServers: boot.iceServers,
    allowLoopback: boot.allowLoopback
  })
  swarm.node = node
  swarm.peerId = node.peerId.toString()
  swarm.timings.started = performance.now()
  node.services.pubsub.addEventListener('message', evt => {
    const list = received.get(evt.detail.topic) ?? []
    list.push(decoder.decode(evt.detail.data))
    received.set(evt.detail.topic, list)
  })
  node.services.pubsub.subscribe(boot.topic ?? DEFAULT_TOPIC)
  // the first address that answers wins; the rest are fallbacks (e.g. websockets)
  let lastError: unknown
  for (const addr of boot.addrs) {
    try {
      // short and few: a blocked UDP path should fall back to websockets within seconds
      await dialWithRetry(node, addr, { attempts: 2, timeoutMs: 5_000 })
      swarm.timings.connected = performance.now()
      return
    } catch (err) {
      lastError = err
    }
  }
  throw new Error(`could not reach any daemon address: ${String((lastError as Error)?.message ?? lastError)}`)
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
