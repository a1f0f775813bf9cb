// Thresholds and defaults for proposals and votes. Changing a threshold changes which changes
// need the swarm's approval: note it in docs/consensus.md.

/** A change to a non-core file is low risk up to this many changed lines (insertions + deletions)… */
export const LOW_RISK_MAX_CHANGED_LINES = 20
/** …and this many changed bytes (the inserted and deleted lines, newlines included). */
export const LOW_RISK_MAX_CHANGED_BYTES = 2 * 1024

/** How long a proposer waits for votes before tallying what it has (seed: 30 s, configurable). */
export const CONSENSUS_TIMEOUT_MS = 30_000

/** Reason given when no vote could be collected and the operator's fallback decides. */
export const FALLBACK_REASON = 'swarm-unavailable'

/** Longest accepted wait for votes (the config's own limit; `consensus.propose` timeoutSec). */
export const MAX_CONSENSUS_TIMEOUT_SEC = 3600
/** Largest content a proposal may be assessed on (the control line is 1 MiB). */
export const MAX_CONTENT_CHARS = 512 * 1024
