// The page bus's public shapes: its views of questions, the options of ask and answer, its errors.

import type { Ed25519Backend } from '../envelope/index.ts'
import type { ContributionEnvelope, QuestionEnvelope } from '../envelope/schemas.ts'
import type { Channel, ChannelEntry, Scope } from '../bus/core/index.ts'
import type { BrowserNode } from './node.ts'
import type { PrivateKey } from '@libp2p/interface'

/** One envelope of a channel as the page shows it (the core's channel entry). */
export type ChannelItem = ChannelEntry

export interface QuestionView {
  id: string
  envelope: QuestionEnvelope
  /** The question's JSON text (what the page serves and keeps). */
  wire: string
  /** The last envelope id of the history fetched from `cursorPeer`: a reload resumes after it. */
  cursor?: string
  cursorPeer?: string
  /** Asked from this page. */
  mine: boolean
  /** How it came: a topic kind, `direct` (a push), or `self`. */
  via: string
  receivedAt: number
  joined: boolean
  /** This page follows the channel as the appointed shadow, or acts for it as secretary. */
  role?: 'shadow' | 'secretary'
  /** ms when this page began following as shadow (the asker's absence counts from then). */
  followingSince?: number
  /** The channel, judged by the shared core. */
  channel: Channel
  /** The channel's envelopes in arrival order, excluded ones marked (the channel's own list). */
  items: ChannelItem[]
  /** Private questions: the node ids the channel is sealed to (asker included). */
  to?: string[]
  /** Private questions this page asked: the sealed question as sent (re-announced as is). */
  sealedWire?: string
}

export interface BusClientInit {
  node: BrowserNode
  /** The page's libp2p key: the same Ed25519 key signs envelopes (node id = its did:key). */
  privateKey: PrivateKey
  federation: string
  /** Question topics to listen on (the daemon's bootstrap says which). */
  questionTopics: string[]
  heartbeatSec?: number
  clockSkewSec?: number
  defaultTtlSec?: number
  /** Ed25519 backend; default WebCrypto, else @noble/ed25519. */
  ed25519?: Ed25519Backend
}

export interface AskOptions {
  scope?: Scope
  /** Seconds the asker accepts contributions. */
  ttl?: number
  urgency?: QuestionEnvelope['question']['urgency']
  tags?: string[]
  followUps?: boolean
  /** Private recipients (node ids): the question and its channel are sealed to them and this page. */
  to?: string[]
  lang?: string | string[]
}

export interface AnswerOptions {
  kind?: ContributionEnvelope['kind']
  confidence?: number
  sources?: string[]
  replyTo?: string
}

export class BusError extends Error {
  readonly name = 'BusError'
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

