// The daemon: config → identity → lock → store → net → services → control socket, started in
// that order and stopped in reverse. Ready means: libp2p listening, services started, the
// socket accepting and the `api` file written.

import { writeFile, rm } from 'node:fs/promises'
import { homePaths, type HomePaths } from '../config/paths.ts'
import { loadConfig } from '../config/load.ts'
import type { SwarmConfig } from '../config/schema.ts'
import { homeExists } from '../config/home.ts'
import { loadIdentity, nodeIdFromPeerId, type Identity } from '../identity/index.ts'
import { openDb, type SwarmDb } from '../store/db.ts'
import { createSwarmNode, fastMsgId, type SwarmLibp2p } from '../net/node.ts'
import { RefusedCopies } from '../net/refused-copies.ts'
import { TopicRouter } from '../net/topics.ts'
import { OwnPace } from '../net/own-pace.ts'
import { paceOutboundStreams, type StreamPace } from '../net/stream-pace.ts'
import { PeerDirectory } from '../net/directory.ts'
import { AuditLog } from '../store/audit.ts'
import { ControlServer } from '../control/server.ts'
import { SwarmError } from '../errors.ts'
import { acquireHomeLock, type HomeLock } from './lock.ts'
import { createLogger, type Logger, type LogLevel } from '../kernel/logger.ts'
import { SwarmEvents } from '../kernel/events.ts'
import { Counters } from '../kernel/counters.ts'
import { registerCoreMethods } from './core-methods.ts'
import { createServices } from './services.ts'
import type { MetricsHandle } from './metrics.ts'
import { topics as topicNames } from '../constants.ts'
import { PeerGuard, type GuardedNode } from '../net/peer-guard.ts'
import { gateInboundStreams } from '../net/stream-gate.ts'
import { PeerHosts } from '../net/host-key.ts'
import { Admission } from '../federation/admission.ts'
import { Membership } from '../federation/membership.ts'
import { checkHomeOwnership, socketStillPrivate } from '../control/owner.ts'
import { GATED_PROTOCOLS } from './gated-protocols.ts'
import { BULK_PROTOCOLS } from '../net/gated-protocols.ts'
import type { SwarmComponents, SwarmService } from '../kernel/components.ts'
import { LinkKeeper } from '../net/links.ts'

export interface DaemonFlags {
  listen?: string[]
  bootstrap?: string[]
  web?: string
  metrics?: string
  logLevel?: LogLevel
}

export interface DaemonOptions {
  home: string
  flags?: DaemonFlags
  env?: NodeJS.ProcessEnv
  /** Also log to stderr (foreground daemons). */
  logToStderr?: boolean
  /** Readable lines instead of JSON on stderr (a terminal). */
  prettyStderr?: boolean
}

function flagsToConfig (flags: DaemonFlags): Record<string, unknown> {
  const out: Record<string, any> = {}
  if (flags.listen !== undefined && flags.listen.length > 0) out.listen = flags.listen
  if (flags.bootstrap !== undefined && flags.bootstrap.length > 0) out.bootstrap = flags.bootstrap
  if (flags.web !== undefined) out.web = { listen: flags.web }
  if (flags.metrics !== undefined) out.metrics = { listen: flags.metrics }
  if (flags.logLevel !== undefined) out.log = { level: flags.logLevel }
  return out
}

export class Daemon {
  readonly paths: HomePaths
  readonly config: SwarmConfig
  readonly identity: Identity
  readonly log: Logger
  readonly events = new SwarmEvents()
  readonly counters = new Counters()
  private readonly lock: HomeLock
  private db?: SwarmDb
  private libp2p?: SwarmLibp2p
  private control?: ControlServer
  private topics?: TopicRouter
  private metrics?: MetricsHandle
  private guard?: PeerGuard
  private links?: LinkKeeper
  private streamPace?: StreamPace
  private peerHosts?: PeerHosts
  private env: NodeJS.ProcessEnv = process.env
  /** Where /metrics is served, when configured. */
  metricsUrl?: string
  private readonly services: SwarmService[] = []
  private stopping?: Promise<void>
  private readonly stopped = Promise.withResolvers<void>()
  readonly startedAt = Date.now()

  private constructor (paths: HomePaths, config: SwarmConfig, identity: Identity, lock: HomeLock, log: Logger) {
    this.paths = paths
    this.config = config
    this.identity = identity
    this.lock = lock
    this.log = log
  }

  /** Starts a daemon on `home`; resolves once it is ready, or throws a SwarmError saying why. */
  static async start (opts: DaemonOptions): Promise<Daemon> {
    const paths = homePaths(opts.home)
    if (!(await homeExists(paths))) throw new SwarmError('no-home', `no swarmd home at ${paths.home}; create it with: swarm init --home ${paths.home}`)
    const config = await loadConfig({ file: paths.config, env: opts.env ?? process.env, flags: flagsToConfig(opts.flags ?? {}) })
    const identity = await loadIdentity(paths.key, config.node.federation)
    const log = createLogger({ level: config.log.level, file: paths.log, maxBytes: config.log.maxBytes, files: config.log.files, stderr: opts.logToStderr, pretty: opts.prettyStderr, libp2p: config.log.libp2p })
    const lock = await acquireHomeLock(paths, (err) => { log.error('home lock compromised', { err: err.message }) })
    const daemon = new Daemon(paths, config, identity, lock, log)
    daemon.env = opts.env ?? process.env
    try {
      await daemon.startParts()
    } catch (err) {
      await daemon.stop().catch(() => {})
      throw err
    }
    return daemon
  }

  private async startParts (): Promise<void> {
    const { paths, config, identity, log } = this
    checkHomeOwnership(paths.home)
    this.db = await openDb(paths.db)
    const webrtcCertificate = config.listen.some((a) => a.includes('/webrtc-direct')) ? await loadWebRTCCertificate(paths, log) : undefined
    if (config.metrics.listen !== null) {
      const { createMetrics } = await import('./metrics.ts')
      this.metrics = await createMetrics(this.counters, log.child('metrics'))
    }
    const guard = this.guard = new PeerGuard({
      graylistThreshold: config.rateLimit.graylist.threshold,
      disconnectAfterSec: config.rateLimit.graylist.disconnectAfterSec,
      banSec: config.rateLimit.graylist.banSec
    })
    const fed = identity.federation
    // topics known now get gossipsub topic scores; the rest (channels) count through the guard
    const scoredTopics = new Set([
      ...[fed, ...config.bus.federations].map((f) => topicNames.questions(f)),
      topicNames.capabilities(fed), topicNames.reflections(fed), topicNames.federation(fed),
      topicNames.globalQuestions(), topicNames.privateInbox()
    ])
    // a copy refused before judgement must not make the next copy of that message a duplicate
    const refusedCopies = new RefusedCopies(fastMsgId)
    this.libp2p = await createSwarmNode({
      privateKey: identity.privateKey,
      refusedCopies,
      listen: config.listen,
      announce: config.announce,
      bootstrap: config.bootstrap,
      mdns: config.mdns,
      iceServers: config.iceServers as RTCIceServer[],
      webrtcCertificate,
      browserPeers: config.web.listen !== null,
      metrics: this.metrics?.libp2pMetrics,
      nat: {
        reachability: config.nat.reachability,
        reserveRelay: config.nat.relay.reserve,
        relayServer: config.nat.relay.server,
        maxReservations: config.nat.relay.maxReservations,
        holePunch: config.nat.holePunch,
        upnp: config.nat.upnp,
        dht: config.discovery.dht,
        scopes: [...new Set([fed, ...config.bus.federations, ...(config.bus.global ? ['global'] : [])])],
        peersPerScope: config.discovery.peersPerFederation,
        onReachRefused: (reason) => { this.counters.inc('streams.refused', `/swarm/reach/1.0.0 ${reason}`) }
      },
      scoring: {
        topics: [...scoredTopics],
        graylistThreshold: config.rateLimit.graylist.threshold,
        appSpecificScore: (peerId) => guard.appScore(peerId),
        isBanned: (peerId) => guard.isBanned(peerId)
      }
    })
    this.topics = new TopicRouter(this.libp2p.services.pubsub, this.counters, log.child('topics'))
    this.topics.setRefusedCopies(refusedCopies)
    const membership = new Membership({ federation: fed, config: config.federation, clockSkewSec: config.bus.clockSkewSec, bucket: this.db.bucket('federation'), paths })
    const admission = new Admission({ membership, rateLimit: config.rateLimit })
    this.topics.setAdmission(admission)
    // a lapsed or revoked member's routine traffic (heartbeats) must not get it banned: not-member
    // weighs a tenth of an invalid message, so only a flood of it graylists
    this.topics.onReject((reason, topic, from) => { if (!scoredTopics.has(topic)) guard.penalize(from.toString(), reason === 'not-member' ? 0.1 : 1) })
    // floods: each peer gets at most a quarter of a scope's rate for what it relays, and its own
    // messages a lane apart at the per-sender rate (an honest relay's share of a flood does not hold
    // up its own next question); a mostly-refused peer loses score; equivocation bans the signing
    // key's own peer, never the relay (src/net/flood-gate.ts)
    // and each host (all its peers together: identities are free) at the same pace (src/net/host-key.ts)
    const hosts = this.peerHosts = new PeerHosts(this.libp2p)
    this.topics.setTraffic(guard.floodGate({ ratePerSec: config.rateLimit.perScope.ratePerSec / 4, burst: Math.max(1, config.rateLimit.perScope.burst / 4) }, config.rateLimit.perSender, (peer) => hosts.of(peer)))
    this.topics.onEquivocation((pubkey) => { guard.banKey(pubkey, 'equivocation') })
    // this node's own messages keep under the per-sender rate its peers enforce (src/net/own-pace.ts)
    const ownPace = new OwnPace(config.rateLimit.perSender)
    this.topics.setOwnPace(ownPace)
    // a relay is not charged for another node's excess while it passes on no more of that node
    // than its own per-sender bucket could have let through (half again, for timing)
    this.topics.setRelayBudget({ ratePerSec: config.rateLimit.perSender.ratePerSec * 1.5, burst: config.rateLimit.perSender.burst * 1.5 })
    // every part's direct streams pass the admission (hello stays open: it is how members are learned)
    const streamLimits = gateInboundStreams(this.libp2p, {
      protocols: GATED_PROTOCOLS,
      judge: (protocol, peer, host) => admission.judgeStream(protocol, nodeIdFromPeerId(peer), peer.toString(), host),
      onRefused: (protocol, _peer, v) => {
        this.counters.inc('envelopes.rejected', v.reason)
        this.counters.inc('streams.refused', `${protocol} ${v.reason}`)
      }
    })
    // and this node's own streams to each peer keep under the same rate there (src/net/stream-pace.ts)
    const streamPace = this.streamPace = paceOutboundStreams(this.libp2p, { protocols: GATED_PROTOCOLS, bulk: BULK_PROTOCOLS, perPeer: config.rateLimit.perSender })
    this.control = new ControlServer({
      socketPath: paths.socket,
      log: log.child('control'),
      authorize: socketStillPrivate(paths.socket),
      onRequest: (method, ok, ms) => {
        this.counters.inc('control.requests', ok ? method : `${method}:error`)
        this.metrics?.observeControl(method, ms)
      }
    })
    const components: SwarmComponents = {
      paths, config, identity, db: this.db, libp2p: this.libp2p, topics: this.topics, control: this.control,
      events: this.events, counters: this.counters, log,
      audit: new AuditLog(this.db.bucket('audit')), directory: new PeerDirectory(),
      membership, admission, guard
    }
    // the peers the operator links with are redialled when their link drops (src/net/links.ts)
    const links = this.links = new LinkKeeper(this.libp2p, { counters: this.counters })
    let reputationStats: (() => unknown) | undefined
    registerCoreMethods(components, {
      startedAt: this.startedAt,
      requestStop: () => { void this.stop() },
      services: () => this.services,
      links,
      limits: () => ({ streams: streamLimits(), reputation: reputationStats?.() ?? null, ownPace: ownPace.stats(), streamPace: streamPace.stats() })
    })
    if (this.env.SWARM_TEST_HOOKS === '1') {
      const { registerTestHooks } = await import('../federation/test-hooks.ts')
      registerTestHooks(components)
      const { registerGcHook } = await import('./gc-hook.ts')
      registerGcHook(components)
    }
    const { all, web, a2a, reputation } = createServices(components)
    reputationStats = () => reputation.stats()
    this.services.push(...all)
    this.watchPeers(this.libp2p)
    await this.libp2p.start()
    links.start()
    guard.start(this.libp2p as unknown as GuardedNode, this.counters, log.child('guard'))
    this.topics.start()
    for (const svc of this.services) await svc.start()
    await this.control.start()
    if (this.metrics !== undefined && config.metrics.listen !== null) {
      this.metrics.gauge('peers_connected', 'connected peers', () => new Set(this.node.getConnections().map((x) => x.remotePeer.toString())).size)
      this.metrics.gauge('state', 'service numbers from swarm stats (questions by state, tasks, …)', () => flattenNumbers(Object.fromEntries([...this.services].map((svc) => [svc.name, svc.stats?.() ?? {}]))))
      this.metrics.gauge('limits', 'kept links, stream, directory and reputation bounds (as in swarm stats)', () => flattenNumbers({ links: links.stats(), streams: streamLimits(), directory: { entries: components.directory.size, evicted: components.directory.evicted } }))
      this.metricsUrl = await this.metrics.listen(config.metrics.listen)
      log.info('metrics served', { url: this.metricsUrl })
    }
    await writeFile(paths.api, JSON.stringify({
      pid: process.pid,
      socket: paths.socket,
      nodeId: identity.nodeId,
      peerId: identity.peerId.toString(),
      addresses: this.libp2p.getMultiaddrs().map((a) => a.toString()),
      metrics: this.metricsUrl ?? null,
      web: web.url ?? null,
      a2a: a2a.url ?? null
    }, null, 2) + '\n', { mode: 0o600 })
    log.info('daemon ready', { nodeId: identity.nodeId, peerId: identity.peerId.toString(), addresses: this.libp2p.getMultiaddrs().map((a) => a.toString()) })
  }

  private watchPeers (libp2p: SwarmLibp2p): void {
    libp2p.addEventListener('peer:connect', (evt) => {
      const peerId = evt.detail.toString()
      this.events.emit('peer:joined', { peerId, nodeId: nodeIdFromPeerId(peerId) ?? null })
    })
    libp2p.addEventListener('peer:disconnect', (evt) => {
      const peerId = evt.detail.toString()
      this.events.emit('peer:left', { peerId, nodeId: nodeIdFromPeerId(peerId) ?? null })
    })
  }

  get node (): SwarmLibp2p {
    if (this.libp2p === undefined) throw new Error('daemon not started')
    return this.libp2p
  }

  /** Resolves when the daemon has stopped (by `stop()`, `swarm stop` or a signal). */
  get done (): Promise<void> { return this.stopped.promise }

  /** Graceful stop in reverse start order; idempotent. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('daemon stopping')
      const step = async (what: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
        try { await fn() } catch (err) { this.log.warn(`stop: ${what} failed`, { err: (err as Error).message }) }
      }
      await step('control', async () => await this.control?.stop())
      await step('metrics', async () => await this.metrics?.stop())
      for (const svc of [...this.services].reverse()) await step(svc.name, async () => await svc.stop())
      await step('topics', () => this.topics?.stop())
      await step('stream pace', () => this.streamPace?.stop())
      await step('guard', () => this.guard?.stop())
      await step('links', () => this.links?.stop())
      await step('libp2p', async () => await this.libp2p?.stop())
      await step('peer hosts', () => this.peerHosts?.stop())
      await step('db', async () => await this.db?.close())
      await step('api', async () => await rm(this.paths.api, { force: true }))
      await step('lock', async () => await this.lock.release())
      this.log.info('daemon stopped')
      await step('log', async () => await this.log.close?.())
      this.stopped.resolve()
    })()
    await this.stopping
  }
}

async function loadWebRTCCertificate (paths: HomePaths, log: Logger): Promise<any> {
  try {
    const mod = await import('../net/webrtc-cert.ts')
    return await mod.loadOrCreateWebRTCCertificate(paths.webrtcCert)
  } catch (err: any) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') return undefined
    log.warn('webrtc-direct certificate not persisted', { err: err.message })
    return undefined
  }
}

/** `{a: {b: 1, c: {d: 2}}}` → `{"a.b": 1, "a.c.d": 2}` (numbers only). */
export function flattenNumbers (value: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof value === 'number' && Number.isFinite(value)) out[prefix] = value
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenNumbers(v, prefix === '' ? k : `${prefix}.${k}`, out)
  }
  return out
}
