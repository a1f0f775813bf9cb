// Every control method's parameters, declared once: the daemon's handlers parse with these
// (handle() in index.ts), the CLI checks its arguments against them before sending (the same
// `usage` error the daemon would give), and docs/control.md is generated from this table.
// Deeper rules that need the node's state (is the peer known, is the file there) stay in the
// handlers; shapes, ranges and choices live here.

import { isAbsolute } from 'node:path'
import { z } from 'zod'
import { CONTRIBUTION_KINDS, OPERATIONS, ORIGINS, RESOLUTIONS, SCOPES, URGENCIES } from '../../envelope/schemas.ts'
import { MAX_CONSENSUS_TIMEOUT_SEC, MAX_CONTENT_CHARS } from '../../consensus/constants.ts'
import { MAX_KNOWLEDGE_ITEMS, MAX_KNOWLEDGE_TIMEOUT_MS, MAX_QUERY_CHARS } from '../../reflections/constants.ts'
import { attachmentList, int, none, num, params, questionId, text, texts } from './params.ts'

export interface MethodSpec {
  /** The part that registers it (the docs group by it). */
  part: string
  /** One line for the docs. */
  summary: string
  params: z.ZodType
  /** Answers with a stream of notifications before its result. */
  streaming?: boolean
  /** Registered only with SWARM_BENCH=1 or SWARM_TEST_HOOKS=1; listed apart in the docs. */
  hidden?: boolean
}

const MONTH_SEC = 30 * 86400
const nonBlank = (max?: number) => (max === undefined ? z.string() : z.string().max(max)).refine((s) => s.trim() !== '', 'must not be blank')

export const METHODS = {
  // ---- daemon (src/daemon/core-methods.ts)
  status: { part: 'daemon', summary: 'running, pid, node and peer id, uptime, and each service\'s settings', params: none() },
  id: { part: 'daemon', summary: 'node id, peer id, public key, federation, listen addresses', params: none() },
  peers: { part: 'daemon', summary: 'connected peers with their addresses and connection kind', params: none() },
  connect: { part: 'daemon', summary: 'dial a multiaddr', params: params({ address: text() }) },
  ping: { part: 'daemon', summary: 'round trips to a connected peer', params: params({ peerId: text(), count: int(1, 100).optional() }) },
  stats: { part: 'daemon', summary: 'counters of every part (envelopes, topics, tasks, …)', params: none() },
  'config.show': { part: 'daemon', summary: 'the effective config', params: none() },
  stop: { part: 'daemon', summary: 'stop the daemon (answers first)', params: none() },
  events: { part: 'daemon', summary: 'stream of daemon events, optionally of some types only', params: params({ types: z.array(z.string()).optional() }), streaming: true },
  // ---- network (src/net/service.ts)
  network: { part: 'net', summary: 'reachability, relays, hole punching, rendezvous', params: none() },
  'network.punch': { part: 'net', summary: 'try a direct connection to a relayed peer again', params: params({ peerId: text() }) },
  'bootstrap.list': { part: 'net', summary: 'configured and added bootstrap peers', params: none() },
  'bootstrap.add': { part: 'net', summary: 'add a bootstrap peer (multiaddr ending in /p2p/<peer id>) and dial it', params: params({ address: text() }) },
  'bootstrap.remove': { part: 'net', summary: 'forget an added bootstrap peer', params: params({ address: text() }) },
  // ---- federation (src/federation/service.ts)
  'federation.status': { part: 'federation', summary: 'mode, roots, this node\'s certificate, members, revocations', params: none() },
  'federation.reload': { part: 'federation', summary: 're-read the federation files of the home', params: none() },
  // ---- question bus (src/bus/methods.ts)
  ask: {
    part: 'bus',
    summary: 'ask the swarm a question',
    params: params({
      text: text(),
      scope: z.enum(SCOPES).optional(),
      ttlSec: int(1, MONTH_SEC).optional(),
      urgency: z.enum(URGENCIES).optional(),
      tags: texts().optional(),
      parent: questionId().optional(),
      followUps: z.boolean().optional(),
      requireModels: texts().optional(),
      excludeModels: texts().optional(),
      minReputation: num(0, 1).optional(),
      languages: texts().optional(),
      to: texts().optional(),
      federations: texts().optional(),
      shadow: text().optional(),
      attachments: attachmentList()
    })
  },
  questions: { part: 'bus', summary: 'questions this node knows (open ones unless all)', params: params({ all: z.boolean().optional(), state: text().optional() }) },
  show: { part: 'bus', summary: 'one question with its channel', params: params({ id: text() }) },
  answer: {
    part: 'bus',
    summary: 'contribute to a question\'s channel',
    params: params({
      id: text(),
      text: text(),
      kind: z.enum(CONTRIBUTION_KINDS).optional(),
      confidence: num(0, 1).optional(),
      sources: texts().optional(),
      replyTo: text().optional(),
      origin: z.enum(ORIGINS).optional(),
      attachments: attachmentList()
    })
  },
  watch: { part: 'bus', summary: 'stream a question\'s channel (replayed from the start or a cursor)', params: params({ id: text(), timeoutSec: num(0, MONTH_SEC).optional(), replay: z.boolean().optional(), since: text().optional() }), streaming: true },
  close: { part: 'bus', summary: 'close a question (asker or acting secretary)', params: params({ id: text(), resolution: z.enum(RESOLUTIONS).optional(), accept: texts().optional(), note: text().optional(), handedOffTo: text().optional() }) },
  'bench.burst': { part: 'bus', summary: 'publish n questions at once', params: params({ n: num(1, 100_000).optional(), scope: z.enum(SCOPES).optional(), text: text().optional() }), hidden: true },
  'bench.raw-subscribe': { part: 'bus', summary: 'subscribe the raw gossipsub baseline topic', params: none(), hidden: true },
  'bench.raw-publish': { part: 'bus', summary: 'publish question bytes on the raw baseline topic', params: params({ text: text().optional() }), hidden: true },
  'bench.raw-burst': { part: 'bus', summary: 'publish n question-sized messages on the raw baseline topic at once', params: params({ n: num(1, 100_000).optional(), text: text().optional() }), hidden: true },
  // ---- synthesis (src/synthesis/service.ts)
  summarize: { part: 'synthesis', summary: 'merge a channel into a signed summary', params: params({ id: questionId(), final: z.boolean().optional(), phrase: z.boolean().optional() }) },
  decompose: { part: 'synthesis', summary: 'ask sub-questions of a question', params: params({ id: questionId(), questions: z.array(nonBlank()).min(1), tags: texts().optional(), requireModels: texts().optional(), ttlSec: int(1, MONTH_SEC).optional() }) },
  reputation: { part: 'synthesis', summary: 'this node\'s reputation records (or of the nodes named)', params: params({ nodeIds: texts().optional() }) },
  'debug.push-contribution': { part: 'synthesis', summary: 'push a contribution to one connected node', params: params({ questionId: z.string(), to: z.string(), text: z.string(), kind: z.enum(CONTRIBUTION_KINDS).optional(), confidence: z.number().optional() }), hidden: true },
  // ---- tasks (src/tasks/methods.ts)
  'task.run': {
    part: 'tasks',
    summary: 'delegate a task to the best capable peer',
    params: params({
      type: z.string().min(1).max(256),
      data: z.record(z.string(), z.unknown()).optional(),
      peer: text().optional(),
      timeoutSec: z.number().gt(0).max(3600).optional(),
      requireIsolation: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be an isolation class such as bwrap, wasm or none').optional(),
      attachments: attachmentList()
    })
  },
  'task.list': { part: 'tasks', summary: 'recent tasks, both directions', params: params({ limit: int(1, Number.MAX_SAFE_INTEGER).optional(), direction: z.enum(['in', 'out']).optional() }) },
  capabilities: { part: 'tasks', summary: 'this node\'s capabilities and its peers\' adverts', params: none() },
  audit: { part: 'tasks', summary: 'the hash-chained audit log, verified', params: params({ limit: int(1, 100_000).optional(), kind: z.string().optional(), correlationId: z.string().optional(), since: z.union([z.number(), z.string()]).optional() }) },
  // ---- consensus (src/consensus/service.ts)
  'consensus.propose': {
    part: 'consensus',
    summary: 'propose a file change to the connected members and gather their votes',
    params: params({
      file: z.string().min(1).max(1024),
      operation: z.enum(OPERATIONS).optional(),
      content: z.string().max(MAX_CONTENT_CHARS).optional(),
      previousContent: z.string().max(MAX_CONTENT_CHARS).optional(),
      rationale: z.string().min(1).max(32_768).optional(),
      timeoutSec: z.number().gt(0).max(MAX_CONSENSUS_TIMEOUT_SEC).optional()
    })
  },
  'consensus.pending': { part: 'consensus', summary: 'proposals waiting for this operator\'s vote', params: none() },
  'consensus.vote': { part: 'consensus', summary: 'vote on a pending proposal', params: params({ id: text(), vote: z.enum(['yes', 'no']), reason: z.string().max(4096).optional() }) },
  'consensus.get': { part: 'consensus', summary: 'one proposal with its audit entries', params: params({ id: z.string() }) },
  'consensus.list': { part: 'consensus', summary: 'recent proposals', params: params({ limit: int(1, 100_000).optional() }) },
  // ---- reflections (src/reflections/methods.ts)
  'reflect.add': {
    part: 'reflections',
    summary: 'record a reflection (and share it)',
    params: params({ description: z.string(), outcome: z.string(), category: z.string().optional(), tags: z.array(z.string()).optional(), recommendations: z.array(z.string()).optional(), question: z.string().optional(), share: z.boolean().optional() })
  },
  'reflect.share': { part: 'reflections', summary: 'share a reflection into its audience', params: params({ id: text() }) },
  'reflect.unshare': { part: 'reflections', summary: 'stop serving a reflection', params: params({ id: text() }) },
  'reflect.get': { part: 'reflections', summary: 'one reflection with its envelope', params: params({ id: text() }) },
  'reflect.search': {
    part: 'reflections',
    summary: 'search reflections',
    params: params({ query: nonBlank(), tags: z.array(z.string()).optional(), category: z.string().optional(), outcome: z.string().optional(), source: z.enum(['local', 'swarm']).optional(), limit: int(1, 200).optional() })
  },
  'reflect.list': {
    part: 'reflections',
    summary: 'list reflections',
    params: params({ source: z.enum(['local', 'swarm']).optional(), tag: z.string().optional(), category: z.string().optional(), outcome: z.string().optional(), limit: int(1, 1000).optional(), after: z.string().optional() })
  },
  knowledge: { part: 'reflections', summary: 'ask connected peers for what they know', params: params({ query: nonBlank(MAX_QUERY_CHARS), limit: int(1, MAX_KNOWLEDGE_ITEMS).optional(), timeoutSec: z.number().gt(0).max(MAX_KNOWLEDGE_TIMEOUT_MS / 1000).optional() }) },
  // ---- attachments (src/blobs/service.ts)
  'blob.put': { part: 'blobs', summary: 'import a file; gives its content id', params: params({ path: z.string().refine(isAbsolute, 'must be an absolute file path') }) },
  'blob.get': { part: 'blobs', summary: 'fetch a file by content id (from the peers named, else holders)', params: params({ cid: text(), from: z.array(z.string()).optional(), size: z.number().optional() }) },
  'blob.list': { part: 'blobs', summary: 'files held here', params: none() },
  // ---- a2a (src/a2a/service.ts)
  'a2a.status': { part: 'a2a', summary: 'the A2A endpoint: listening, URL, card, token file', params: none() },
  // ---- test hooks (src/federation/test-hooks.ts, src/daemon/gc-hook.ts)
  'debug.gc': { part: 'daemon', summary: 'run a full garbage collection; the memory after it', params: none(), hidden: true },
  'debug.flood': { part: 'federation', summary: 'publish a flood of bad messages on a topic', params: params({ topic: z.string(), count: z.number().gt(0).optional(), ratePerSec: z.number().gt(0).optional(), kind: z.enum(['garbage', 'bad-signature']).optional(), wait: z.boolean().optional() }), hidden: true }
} satisfies Record<string, MethodSpec>

export type MethodName = keyof typeof METHODS
/** A method's parameters after parsing (what its handler receives). */
export type MethodParams<N extends MethodName> = z.output<(typeof METHODS)[N]['params']>
