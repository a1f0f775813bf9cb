// What the daemon hands each service at construction (the libp2p "components" habit): a
// service picks the parts it uses, so it can be tested with stubs of just those. Services never
// look each other up: one that cooperates with another gets a narrow typed view of it at
// construction (src/daemon/services.ts wires them).

import type { HomePaths } from '../config/paths.ts'
import type { SwarmConfig } from '../config/schema.ts'
import type { Identity } from '../identity/index.ts'
import type { SwarmDb } from '../store/db.ts'
import type { SwarmLibp2p } from '../net/node.ts'
import type { TopicRouter } from '../net/topics.ts'
import type { PeerDirectory } from '../net/directory.ts'
import type { AuditLog } from '../store/audit.ts'
import type { MethodRegistry } from '../control/server.ts'
import type { SwarmEvents } from './events.ts'
import type { Counters } from './counters.ts'
import type { Logger } from './logger.ts'
import type { Admission } from '../federation/admission.ts'
import type { Membership } from '../federation/membership.ts'
import type { PeerGuard } from '../net/peer-guard.ts'

export interface SwarmComponents {
  paths: HomePaths
  config: SwarmConfig
  identity: Identity
  db: SwarmDb
  libp2p: SwarmLibp2p
  topics: TopicRouter
  control: MethodRegistry
  events: SwarmEvents
  counters: Counters
  log: Logger
  /** The one hash-chained audit log of this daemon (tasks, consensus, …). */
  audit: AuditLog
  /** Latest capability advert per known node (filled by the tasks service). */
  directory: PeerDirectory
  /** This node's federation view: mode, roots, certificates, revocations (the daemon makes it). */
  membership?: Membership
  /** Closed-federation membership and rate limits, consulted by the TopicRouter and the stream gate. */
  admission?: Admission
  /** Gossipsub score watcher: graylisted peers are hung up on and banned. */
  guard?: PeerGuard
}

export interface SwarmService {
  readonly name: string
  /** Registers handlers and protocols; nothing may happen before this. */
  start: () => Promise<void>
  /** Removes them again; must be safe to call after a failed start. */
  stop: () => Promise<void>
  /** Numbers merged into `swarm stats` under the service's name. */
  stats?: () => Record<string, unknown>
  /** Fields merged into `swarm status` (settings an operator should see at a glance). */
  status?: () => Record<string, unknown>
}
