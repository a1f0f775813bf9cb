// The config schema: every key an operator may set, its type and its meaning. Objects are
// strict, so a misspelt key fails at load and names itself instead of being ignored.

import { z } from 'zod'

const multiaddr = z.string().regex(/^\//, 'a multiaddr starting with /')
const rate = z.strictObject({ ratePerSec: z.number().positive(), burst: z.number().int().positive() })
const scopes = z.array(z.enum(['private', 'federation-local', 'cross-federation', 'global']))
const urgencies = z.array(z.enum(['low', 'normal', 'high', 'critical']))

/** What each answerer serves; an empty or missing list means all. */
const serves = {
  scopes: scopes.optional(),
  tags: z.array(z.string()).optional(),
  urgencies: urgencies.optional()
}

export const answererSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('reflections'), limit: z.number().int().min(1).max(20).optional(), ...serves }),
  z.strictObject({
    kind: z.literal('command'),
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    timeoutSec: z.number().positive().optional(),
    outputBytes: z.number().int().positive().optional(),
    ...serves
  }),
  z.strictObject({
    kind: z.literal('openai'),
    baseUrl: z.string().url(),
    model: z.string().min(1),
    apiKeyEnv: z.string().optional(),
    timeoutSec: z.number().positive().optional(),
    ...serves
  })
])

export const consensusRuleSchema = z.strictObject({
  match: z.strictObject({
    risk: z.enum(['low', 'medium', 'high']).optional(),
    operation: z.enum(['create', 'modify', 'delete']).optional(),
    file: z.string().optional()
  }),
  vote: z.enum(['yes', 'no']),
  reason: z.string().optional()
})

export const configSchema = z.strictObject({
  node: z.strictObject({
    federation: z.string().regex(/^fed:[A-Za-z0-9._-]{1,64}$/, 'a federation id like fed:name'),
    models: z.array(z.string()),
    languages: z.array(z.string().min(2).max(16))
  }),
  listen: z.array(multiaddr),
  announce: z.array(multiaddr),
  bootstrap: z.array(multiaddr),
  mdns: z.boolean(),
  iceServers: z.array(z.strictObject({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })),
  bus: z.strictObject({
    global: z.boolean(),
    federations: z.array(z.string().regex(/^fed:[A-Za-z0-9._-]{1,64}$/, 'a federation id like fed:name')),
    clockSkewSec: z.number().min(0).max(3600),
    maxEnvelopeBytes: z.number().int().min(1024).max(1024 * 1024),
    defaultTtlSec: z.number().int().min(1).max(30 * 86400),
    /** How long a closed or expired question and its channel stay on disk (not while joined). */
    retentionSec: z.number().int().min(0).max(365 * 86400),
    /** Stored questions at most; the oldest finished ones go first (counted as bus.deleted cap). */
    maxQuestions: z.number().int().min(16).max(10_000_000),
    /** Envelopes one channel keeps at most; more are refused `channel-full` (counted). */
    maxChannelEnvelopes: z.number().int().min(16).max(1_000_000)
  }),
  presence: z.strictObject({ heartbeatSec: z.number().min(0.2).max(3600) }),
  secretary: z.strictObject({ volunteer: z.boolean() }),
  reputation: z.strictObject({ default: z.number().min(0).max(1) }),
  tasks: z.strictObject({
    accept: z.array(z.string()),
    safePrefixes: z.array(z.string()),
    maxAttempts: z.number().int().min(1).max(20),
    timeoutSec: z.number().positive().max(3600),
    memoryMb: z.number().int().min(16).max(65536),
    outputBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
    python: z.string().min(1),
    maxConcurrent: z.number().int().min(1).max(64),
    /** Tasks waiting for a free slot beyond maxConcurrent; more are refused `busy`. */
    maxQueued: z.number().int().min(0).max(1024),
    /** Capability adverts: re-published this often, and valid this long. */
    advertIntervalSec: z.number().min(0.2).max(3600),
    advertTtlSec: z.number().min(1).max(86400),
    /** Run remote python on the host when no jail is available (never as root; loudly logged). */
    unsafeHostExecution: z.boolean(),
    /** Node ids whose python-computation tasks are taken in an open federation (closed: members). */
    allowFrom: z.array(z.string().min(1).max(256))
  }),
  consensus: z.strictObject({
    vote: z.enum(['auto', 'ask', 'rules']),
    rules: z.array(consensusRuleSchema),
    timeoutSec: z.number().positive().max(3600),
    fallback: z.enum(['allow', 'deny']),
    coreFiles: z.array(z.string()),
    /** The open-federation electorate, node ids; [] = connected peers whose signed advert names the federation. */
    voters: z.array(z.string().regex(/^node:[A-Za-z0-9:._-]{1,200}$/, 'a node id like node:did:key:z6Mk…')).max(1000)
  }),
  answerers: z.array(answererSchema),
  /** What leaves this node: per federation id, `none` | `shared` | `all` (default: own federation `shared`, others `none`). */
  reflections: z.strictObject({
    serve: z.record(z.string().regex(/^fed:[A-Za-z0-9._-]{1,64}$/, 'a federation id like fed:name'), z.enum(['none', 'shared', 'all'])),
    /** Reflections imported from peers kept at most; beyond it the earliest arrived are deleted. */
    maxFromSwarm: z.number().int().min(0).max(10_000_000)
  }),
  web: z.strictObject({ listen: z.string().nullable() }),
  /** The A2A endpoint (docs/agents.md): off unless listen is set (HOST:PORT, :PORT means loopback). */
  a2a: z.strictObject({
    listen: z.string().nullable(),
    /** How long an A2A task gathers contributions before its final summary (a message may ask for less). */
    waitSec: z.number().positive().max(86400)
  }),
  metrics: z.strictObject({ listen: z.string().nullable() }),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error']),
    maxBytes: z.number().int().min(4096),
    files: z.number().int().min(1).max(100),
    /** libp2p's own log namespaces, written into daemon.log at this level (`off`: not at all). */
    libp2p: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'off'])
  }),
  federation: z.strictObject({
    mode: z.enum(['open', 'closed']),
    roots: z.array(z.strictObject({
      pubkey: z.string().regex(/^ed25519:[0-9a-f]{64}$/, 'ed25519:<64 hex>'),
      notBefore: z.string().optional(),
      notAfter: z.string().optional()
    })),
    /** This node's certificate is re-published on the membership topic this often. */
    announceSec: z.number().min(1).max(86400)
  }),
  rateLimit: z.strictObject({
    perSender: rate,
    perScope: rate,
    /** Gossipsub peer score below which a peer is graylisted; after disconnectAfterSec below it, hung up and banned for banSec. */
    graylist: z.strictObject({
      threshold: z.number().max(-1),
      disconnectAfterSec: z.number().min(0).max(3600),
      banSec: z.number().min(0).max(30 * 86400)
    })
  }),
  /** Attachments (docs/attachments.md): largest one stored or fetched, the store's bound, and
   *  whether channel members fetch what accepted envelopes name. */
  blobs: z.strictObject({
    maxBytes: z.number().int().min(0).max(2 ** 40),
    storeBytes: z.number().int().min(0).max(2 ** 50),
    autoFetch: z.boolean()
  }),
  /** Reaching beyond one LAN (docs/network.md). */
  nat: z.strictObject({
    /** Ask connected peers to dial back: public or behind NAT (`swarm status`). */
    reachability: z.boolean(),
    relay: z.strictObject({
      /** Behind NAT: hold a reservation on a reachable peer so others reach us through it. */
      reserve: z.boolean(),
      /** Relay for others; opt out on a public node with false. */
      server: z.boolean(),
      maxReservations: z.number().int().min(1).max(4096)
    }),
    /** Upgrade relayed connections to direct ones (WebRTC with iceServers; DCUtR). */
    holePunch: z.boolean(),
    /** Map listen ports on the home gateway (UPnP IGD / NAT-PMP). */
    upnp: z.boolean()
  }),
  discovery: z.strictObject({
    /** swarmd's own DHT and the federation rendezvous on it. */
    dht: z.boolean(),
    /** Connections kept to members of each federation served (and to global-scope peers). */
    peersPerFederation: z.number().int().min(0).max(64)
  })
})

export type SwarmConfig = z.infer<typeof configSchema>
export type AnswererConfig = z.infer<typeof answererSchema>
