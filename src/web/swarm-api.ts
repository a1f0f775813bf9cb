// `window.swarm`: the page's automation handle, for tests and power users. Options use the CLI's
// words in camelCase (`swarm ask --follow-ups` → `followUps`). Everything that waits returns a
// promise; views return plain JSON-able values.
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { dialWithRetry, isDirect } from './redial.ts'
import type { AnswerOptions, AskOptions, BusClient, QuestionState } from './bus-client.ts'
import type { BrowserNode } from './node.ts'
import { BlobError, downloadAttachment, holdersFor, type Downloaded } from './page-blobs.ts'
import type { PageHistory, ResumeReport } from './page-history.ts'
import { nodeIdFromPublicKey } from '../envelope/index.ts'
import type { ContributionEnvelope, SummaryEnvelope } from '../envelope/schemas.ts'

/** What the daemon's /api/bootstrap (or window.SWARM_BOOTSTRAP) hands the page. */
export interface Bootstrap {
  /** Daemon multiaddrs, best first (webrtc-direct with certhash, then websockets), with /p2p/. */
  addrs: string[]
  /** A raw topic to join at start (transport tests). */
  topic?: string
  iceServers?: RTCIceServer[]
  allowLoopback?: boolean
  /** The serving daemon's identity; the page joins its federation. */
  peerId?: string
  nodeId?: string
  federation?: string
  topics?: { questions: string[] }
  heartbeatSec?: number
  clockSkewSec?: number
  defaultTtlSec?: number
}

export interface DialInfo { remoteAddr: string, direct: boolean, multiplexer?: string, attempts: number, failures: string[] }

export interface QuestionSummary {
  id: string
  text: string
  scope: string
  urgency: string
  tags: string[]
  from: string
  mine: boolean
  state: QuestionState
  contributions: number
  createdAt: string
  expiresAt: string
}

export interface SwarmPage {
  ready: Promise<void>
  /** The bus is running and the kept channels are shown (before any peer is dialled). */
  busReady: Promise<void>
  peerId: string
  /** `node:did:key:z6Mk…` of the page's key. */
  nodeId: string
  federation: string
  node?: BrowserNode
  bus?: BusClient
  bootstrap?: Bootstrap
  history?: PageHistory
  /** ms since navigation start: node started, channels restored from IndexedDB, first daemon connection, backfill done, first question from another node. */
  timings: { started?: number, restored?: number, connected?: number, backfilled?: number, firstQuestion?: number }
  /** The channels shown from IndexedDB at load, before any peer answered (ids of their envelopes). */
  restored: Array<{ id: string, items: string[] }>
  /** Open questions fetched and every held channel resumed from its cursor, once the daemon is joined. */
  backfilled: Promise<ResumeReport[]>
  /** Envelope ids of a channel in the page's order (contributions, presence, claims, summaries, close). */
  items(questionId: string): string[]
  /**
   * Fetches an attachment over /swarm/blob/1.0.0, verifying each chunk (sha-256) as it arrives:
   * from `holders` (peer ids) in order, else the connected peers (the envelope's sender first).
   */
  download(cid: string, options?: { holders?: string[], size?: number, senderNodeId?: string }): Promise<{ size: number, sha256: string, rejected: Array<{ peer: string, reason: string }> }>
  peers(): string[]
  connections(): Array<{ peer: string, remoteAddr: string, direct: boolean, multiplexer?: string, direction: string }>
  addrs(): string[]
  subscribe(topic: string): void
  subscribers(topic: string): string[]
  publish(topic: string, text: string): Promise<number>
  messages(topic: string): string[]
  dial(addr: string, options?: { requireDirect?: boolean, attempts?: number, timeoutMs?: number }): Promise<DialInfo>
  /** Asks the swarm; resolves to the question id (its channel's name). */
  ask(text: string, options?: AskOptions): Promise<string>
  /** Contributes to a question's channel; resolves to the contribution id. */
  answer(questionId: string, text: string, options?: AnswerOptions): Promise<string>
  /** Accepted contributions of a channel, in arrival order (the signed envelopes). */
  contributions(questionId: string): ContributionEnvelope[]
  /** The questions this page asked or received, newest first. */
  questions(): QuestionSummary[]
  summary(questionId: string): SummaryEnvelope | null
  /** Follows a channel without contributing. */
  watch(questionId: string): Promise<void>
  close(questionId: string, options?: { accept?: string[], note?: string }): Promise<string>
}

declare global {
  interface Window { SWARM_BOOTSTRAP?: Bootstrap, swarm: SwarmPage }
}

/** An attachment's bytes, verified; failures carry their code first (`bad-hash: …`) across page.evaluate. */
export async function fetchAttachment (node: BrowserNode, cid: string, options: { holders?: string[], size?: number, senderNodeId?: string }): Promise<Downloaded> {
  const connected = [...new Map(node.getConnections().map(c => [c.remotePeer.toString(), c.remotePeer])).values()]
  const isSender = (p: (typeof connected)[number]): boolean => options.senderNodeId != null && p.publicKey?.type === 'Ed25519' && nodeIdFromPublicKey(p.publicKey.raw) === options.senderNodeId
  try {
    return await downloadAttachment(node, cid, { holders: holdersFor(connected, isSender, options.holders), size: options.size })
  } catch (err) {
    throw err instanceof BlobError ? new Error(`${err.code}: ${err.message}`) : err
  }
}

export function createSwarmApi (received: Map<string, string[]>): SwarmPage {
  const encoder = new TextEncoder()
  const need = (): BrowserNode => {
    if (api.node == null) throw new Error('swarm node not started yet')
    return api.node
  }
  const bus = (): BusClient => {
    if (api.bus == null) throw new Error('the question bus is not running (the bootstrap named no federation)')
    return api.bus
  }
  const api: SwarmPage = {
    ready: Promise.resolve(),
    busReady: Promise.resolve(),
    peerId: '',
    nodeId: '',
    federation: '',
    timings: {},
    restored: [],
    backfilled: Promise.resolve([]),
    items: id => api.bus?.questions.get(id)?.channel.entries.map(e => e.id) ?? [],
    download: async (cid, options = {}) => {
      const got = await fetchAttachment(need(), cid, options)
      return { size: got.bytes.length, sha256: got.sha256, rejected: got.rejected }
    },
    peers: () => api.node?.getPeers().map(p => p.toString()) ?? [],
    connections: () => api.node?.getConnections().map(c => ({ peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direct: isDirect(c), multiplexer: c.multiplexer, direction: c.direction })) ?? [],
    addrs: () => api.node?.getMultiaddrs().map(a => a.toString()) ?? [],
    subscribe: topic => { subscribeRaw(need(), topic) },
    subscribers: topic => need().services.pubsub.getSubscribers(topic).map(p => p.toString()),
    publish: async (topic, text) => (await need().services.pubsub.publish(topic, encoder.encode(text))).recipients.length,
    messages: topic => received.get(topic) ?? [],
    dial: async (addr, options = {}) => {
      const { connection, attempts, failures } = await dialWithRetry(need(), addr, options)
      return { remoteAddr: connection.remoteAddr.toString(), direct: isDirect(connection), multiplexer: connection.multiplexer, attempts, failures }
    },
    ask: async (text, options) => (await bus().ask(text, options)).id,
    answer: async (id, text, options) => (await bus().answer(id, text, options)).id,
    contributions: id => api.bus?.contributions(id) ?? [],
    questions: () => {
      const b = api.bus
      if (b == null) return []
      return [...b.questions.values()].map(v => {
        const q = v.envelope
        return {
          id: v.id,
          text: q.question.text,
          scope: q.delivery.scope,
          urgency: q.question.urgency,
          tags: q.question.tags,
          from: q.sender['node/id'],
          mine: v.mine,
          state: b.state(v),
          contributions: b.contributions(v.id).length,
          createdAt: q['created-at'],
          expiresAt: new Date(Date.parse(q['created-at']) + q['ttl-sec'] * 1000).toISOString()
        }
      }).sort((a, b) => a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)
    },
    summary: id => api.bus?.summary(id) ?? null,
    watch: async id => { await bus().watch(id) },
    close: async (id, options) => (await bus().close(id, options)).id
  }
  return api
}

/**
 * Subscribes to a raw topic of the automation API (the boot topic, `swarm.subscribe`): it takes
 * anything. With the bus running, a topic without a validator of its own is refused
 * (src/net/unrouted-topics.ts), so it gets one that accepts.
 */
export function subscribeRaw (node: BrowserNode, topic: string): void {
  const pubsub = node.services.pubsub
  if (!pubsub.topicValidators.has(topic)) pubsub.topicValidators.set(topic, () => TopicValidatorResult.Accept)
  pubsub.subscribe(topic)
}
