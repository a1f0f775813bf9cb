// Protocol ids, topic names, size caps and default timeouts shared by the parts.
// Topic and protocol names are wire contract: change them only with a new version number.

export const PROTOCOL_TASK = '/swarm/task/1.0.0'
export const PROTOCOL_HISTORY = '/swarm/history/1.0.0'
/** Channel history by envelope-id cursor, and missing ids by request (the channel log). */
export const PROTOCOL_HISTORY_CURSOR = '/swarm/history/2.0.0'
export const PROTOCOL_KNOWLEDGE = '/swarm/knowledge/1.0.0'
/** Direct delivery of shared reflections to peers the gossipsub publish missed. */
export const PROTOCOL_REFLECTIONS = '/swarm/reflections/1.0.0'
export const PROTOCOL_CONSENSUS = '/swarm/consensus/1.0.0'
export const PROTOCOL_DELIVERY = '/swarm/deliver/1.0.0'
export const PROTOCOL_HELLO = '/swarm/hello/1.0.0'

/** Largest envelope accepted anywhere (JSON text bytes). */
export const MAX_ENVELOPE_BYTES = 64 * 1024
/** Largest length-prefixed frame on a direct stream (a page of history holds many envelopes). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
/** Largest control-socket request line. */
export const MAX_CONTROL_LINE_BYTES = 1024 * 1024

export const DEFAULT_TIMEOUT_MS = 10_000
export const STREAM_TIMEOUT_MS = 10_000

export const topics = {
  questions: (federation: string) => `swarm/1/fed/${federation}/questions`,
  globalQuestions: () => 'swarm/1/global/questions',
  capabilities: (federation: string) => `swarm/1/fed/${federation}/capabilities`,
  reflections: (federation: string) => `swarm/1/fed/${federation}/reflections`,
  federation: (federation: string) => `swarm/1/fed/${federation}/membership`,
  /** Private-scope envelopes: sealed boxes any node can relay but only recipients open. */
  privateInbox: () => 'swarm/1/private'
} as const
