// The bus's public shapes: what ask and contribute take, what watchers and answerers receive.

import type { EnvelopeBase, QuestionInit } from '../envelope/index.ts'
import type { ContributionEnvelope, QuestionEnvelope } from '../envelope/schemas.ts'
import type { QuestionState, Role, Scope } from './core/index.ts'

export type ContributionKind = ContributionEnvelope['kind']

/** What the question builder takes, with the bus's own routing on top. */
export interface AskInit extends Omit<QuestionInit, 'scope' | 'createdAt' | 'responseChannelMode' | 'reward'> {
  scope?: Scope
  /** Private: recipients' node ids. */
  to?: string[]
  /** Cross-federation: the other federations. */
  federations?: string[]
  /** A node that follows the channel and takes over when the asker goes quiet. */
  shadow?: string
}

export interface ContributeInit {
  kind: ContributionKind
  text: string
  confidence: number
  sources?: string[]
  replyTo?: string
  origin?: ContributionEnvelope['origin']
  attachments?: ContributionEnvelope['attachments']
}

/** One line of a channel's live feed (`swarm watch`). */
export interface ChannelEvent {
  type: string
  questionId: string
  seq?: number
  id?: string
  from?: string
  envelope?: EnvelopeBase
  excluded?: string
  state?: QuestionState
  secretary?: string | null
}

/** What `onQuestion` listeners get: a new question this node may answer, or a clarification in a channel it is part of. */
export interface QuestionNotice {
  kind: 'question' | 'clarification-request' | 'clarification'
  question: QuestionEnvelope
  contribution?: ContributionEnvelope
  role: Role
}
