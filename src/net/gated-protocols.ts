// Which of swarmd's stream protocols a node's admission judges (members only in a closed
// federation, and a per-peer stream rate everywhere): everything that carries or reveals the
// federation's traffic. No node: imports, so the page paces its own streams by the same list
// (src/net/stream-pace.ts). The protocols left open on purpose, and the test that every
// `/swarm/…` protocol is in one list or the other, are in src/daemon/gated-protocols.ts.

import { PROTOCOL_BLOB } from '../blobs/constants.ts'
import { PROTOCOL_OPEN_QUESTIONS } from '../bus/core/open-questions.ts'
import {
  PROTOCOL_CONSENSUS, PROTOCOL_DELIVERY, PROTOCOL_HISTORY, PROTOCOL_HISTORY_CURSOR,
  PROTOCOL_KNOWLEDGE, PROTOCOL_REFLECTIONS, PROTOCOL_TASK
} from '../constants.ts'

export const GATED_PROTOCOLS: ReadonlySet<string> = new Set([
  PROTOCOL_TASK, PROTOCOL_CONSENSUS, PROTOCOL_KNOWLEDGE, PROTOCOL_REFLECTIONS, PROTOCOL_DELIVERY,
  PROTOCOL_HISTORY, PROTOCOL_HISTORY_CURSOR, PROTOCOL_BLOB, PROTOCOL_OPEN_QUESTIONS
])

/** Of those, the bulk ones (history pages, attachment chunks): paced behind the others. */
export const BULK_PROTOCOLS: ReadonlySet<string> = new Set([PROTOCOL_HISTORY, PROTOCOL_HISTORY_CURSOR, PROTOCOL_BLOB])
