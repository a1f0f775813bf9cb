// In-process question buses on real libp2p nodes over loopback TCP (no spawned daemons): the
// real QuestionBus with a real TopicRouter, store and identity, and the components it uses.

import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaults } from '../../src/config/load.ts'
import type { SwarmConfig } from '../../src/config/schema.ts'
import { identityFromSeed, newSeed, type Identity } from '../../src/identity/index.ts'
import { openDb, type SwarmDb } from '../../src/store/db.ts'
import { createSwarmNode, type SwarmLibp2p } from '../../src/net/node.ts'
import { TopicRouter } from '../../src/net/topics.ts'
import { PeerDirectory } from '../../src/net/directory.ts'
import { SwarmEvents } from '../../src/kernel/events.ts'
import { Counters } from '../../src/kernel/counters.ts'
import { silentLogger } from '../../src/kernel/logger.ts'
import { QuestionBus, type BusComponents } from '../../src/bus/index.ts'

export interface BusNode {
  home: string
  identity: Identity
  config: SwarmConfig
  libp2p: SwarmLibp2p
  db: SwarmDb
  topics: TopicRouter
  counters: Counters
  events: SwarmEvents
  directory: PeerDirectory
  bus: QuestionBus
  stop: () => Promise<void>
}

export interface BusNodeInit {
  federation?: string
  /** Adjusts the config before the node starts. */
  configure?: (c: SwarmConfig) => void
  /** Reuse a home (a restart): the same seed and store. */
  home?: string
  seed?: Uint8Array
  /** Closed-federation membership for pushed and paged envelopes (the daemon passes its Admission). */
  admission?: BusComponents['admission']
}

// one temporary root per test file, made once even when nodes start in parallel
let root: Promise<string> | undefined
const live = new Set<BusNode>()

export async function busHome (): Promise<string> {
  root ??= mkdtemp(join(tmpdir(), 'swarm-bus-it-'))
  const home = join(await root, `home-${Math.random().toString(36).slice(2)}`)
  await mkdir(home, { recursive: true })
  return home
}

export async function startBusNode (init: BusNodeInit = {}): Promise<BusNode & { seed: Uint8Array }> {
  const home = init.home ?? await busHome()
  const config = defaults()
  config.node.federation = init.federation ?? 'fed:it'
  config.presence.heartbeatSec = 0.5
  init.configure?.(config)
  const seed = init.seed ?? newSeed()
  const identity = await identityFromSeed(seed, config.node.federation)
  const db = await openDb(join(home, 'db'))
  const libp2p = await createSwarmNode({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
  const counters = new Counters()
  const topics = new TopicRouter(libp2p.services.pubsub, counters, silentLogger)
  const events = new SwarmEvents()
  const directory = new PeerDirectory()
  const bus = new QuestionBus({ config, identity, db, libp2p, topics, control: { register: () => {} }, events, counters, log: silentLogger, directory, admission: init.admission })
  await libp2p.start()
  topics.start()
  await bus.start()
  let stopped = false
  const node: BusNode & { seed: Uint8Array } = {
    home, identity, config, libp2p, db, topics, counters, events, directory, bus, seed,
    stop: async () => {
      if (stopped) return
      stopped = true
      live.delete(node)
      await bus.stop()
      topics.stop()
      await libp2p.stop()
      await db.close()
    }
  }
  live.add(node)
  return node
}

/** Dials b from a (loopback TCP). */
export async function connect (a: { libp2p: SwarmLibp2p }, b: { libp2p: SwarmLibp2p }): Promise<void> {
  await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
}

export async function stopBusNodes (): Promise<void> {
  for (const n of [...live]) await n.stop().catch(() => {})
  if (root !== undefined) await rm(await root, { recursive: true, force: true }).catch(() => {})
  root = undefined
}

/** Polls until `fn` returns something truthy (no timing asserted: a generous deadline only). */
export async function until<T> (fn: () => Promise<T | undefined | false> | T | undefined | false, o: { what: string, timeoutMs?: number } = { what: 'condition' }): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000)
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v as T
    } catch (err) { last = err }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${o.what}${last instanceof Error ? `: ${last.message}` : ''}`)
}
