// The shapes the control socket speaks, as the client library types them. Field names are the
// daemon's (they are a contract: `swarm … --json` prints the same objects).

export type Scope = 'private' | 'federation-local' | 'cross-federation' | 'global'
export type Urgency = 'low' | 'normal' | 'high' | 'critical'
export type ContributionKind = 'partial-answer' | 'fact' | 'hypothesis' | 'recommendation' | 'clarification-request' | 'clarification' | 'objection'
export type Origin = 'node-generated' | 'node-mediated-human' | 'human-live'
export type Resolution = 'accepted-answer' | 'resolved' | 'handed-off' | 'withdrawn' | 'expired'
export type QuestionState = 'open' | 'answered' | 'resolved' | 'handed-off' | 'expired' | 'withdrawn'

/** A signed envelope as it travels (kebab/slash keys, `type`, `id`, `sender`, `signature`, …). */
export type Envelope = Record<string, any> & { type: string, id: string }

export interface AskParams {
  text: string
  scope?: Scope
  tags?: string[]
  urgency?: Urgency
  ttlSec?: number
  followUps?: boolean
  requireModels?: string[]
  excludeModels?: string[]
  minReputation?: number
  languages?: string[]
  /** Recipients of a private question. */
  to?: string[]
  /** Other federations of a cross-federation question. */
  federations?: string[]
  shadow?: string
  /** Makes it a sub-question of this question id. */
  parent?: string
}

export interface AskResult { id: string, envelope: Envelope }

export interface QuestionRow {
  id: string
  text: string
  scope: Scope
  urgency: Urgency
  state: QuestionState
  phase: string
  role: string
  contributions: number
  expiresAt: string
  createdAt: string
  from: string
  eligible: boolean
}

export interface AnswerParams {
  /** The question id. */
  id: string
  text: string
  kind?: ContributionKind
  confidence?: number
  sources?: string[]
  /** The contribution this one answers. */
  replyTo?: string
  origin?: Origin
}

export interface AnswerResult { id: string, questionId: string, envelope: Envelope }

export interface CloseParams {
  resolution?: Resolution
  accept?: string[]
  note?: string
  handedOffTo?: string
}

/** One event of a response channel (`watch`): a stored or new envelope, or a state change. */
export interface ChannelEvent {
  type: 'contribution' | 'presence' | 'secretary-claim' | 'secretary' | 'summary' | 'close' | 'state' | string
  questionId: string
  /** Position in the channel (envelope events); a cursor for "what came after". */
  seq?: number
  id?: string
  from?: string
  envelope?: Envelope
  /** Why a contribution was set aside (filters, not-authorized …). */
  excluded?: string
  state?: QuestionState
  secretary?: string | null
}

export interface WatchOptions {
  /** Stop after this many seconds (default: until closed or expired). */
  timeoutSec?: number
  /** Replay what the channel already holds first (default true). */
  replay?: boolean
  /** Resume after this envelope id (the last `id` a watch saw): replay only what came after it. */
  since?: string
  signal?: AbortSignal
}

export interface WatchEnd { id: string, state: QuestionState }

/** A daemon event (`events`): `type` plus the fields of that event. */
export type SwarmEvent = Record<string, any> & { type: string }

export interface TaskRunParams {
  type: string
  data?: Record<string, unknown>
  /** A peer id or node id to run it on. */
  peer?: string
  timeoutSec?: number
}

export type TaskRunResult =
  | { success: true, correlationId: string, executedBy: string, attempts: number, durationMs: number, result: Record<string, unknown> }
  | { success: false, correlationId: string, attempts: number, executedBy?: string, error: { code: string, message: string } }

export interface ReflectionParams {
  description: string
  outcome: 'success' | 'failure'
  category?: string
  tags?: string[]
  recommendations?: string[]
  /** Also share it with the federation (it stays local otherwise). */
  share?: boolean
}

export interface KnowledgeItem {
  id: string
  description: string
  outcome: 'success' | 'failure'
  tags: string[]
  /** Scaled to the source's best match: 0 < score ≤ 1. */
  score: number
  from: string
  recommendations: string[]
  author: string | null
  /** Every node that returned it. */
  sources: string[]
}

export interface KnowledgeAnswer {
  query: string
  items: KnowledgeItem[]
  peers: { asked: number, answered: number, failed: Array<{ nodeId: string, error: string }> }
}
