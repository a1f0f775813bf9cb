// Which of swarmd's stream protocols a closed federation's admission judges, and which stay open
// on purpose. Every `/swarm/…` protocol must be in one of the two lists (a unit test scans the
// sources), so a new protocol cannot slip past the admission by being forgotten here.

import { PROTOCOL_HELLO } from '../constants.ts'
import { PROTOCOL_DHT } from '../net/rendezvous.ts'
import { PROTOCOL_REACH } from '../net/reach-rules.ts'

/** Members only in a closed federation (src/net/gated-protocols.ts: the page shares the list). */
export { GATED_PROTOCOLS } from '../net/gated-protocols.ts'

/**
 * Open to any peer: hello is how members are learned (rate-limited and bounded on its own), the
 * DHT carries only signed rendezvous records, and reachability dial-backs reveal nothing but
 * whether an address answers.
 */
export const OPEN_PROTOCOLS: ReadonlySet<string> = new Set([PROTOCOL_HELLO, PROTOCOL_DHT, PROTOCOL_REACH])
