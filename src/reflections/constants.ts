// Limits and defaults of the reflections service: sharing over gossipsub (plus the direct
// re-announce protocol) and knowledge queries. Every limit a remote peer can hit lives here.

/** Knowledge query: how long the asker waits for peers (the CLI's --timeout default). */
export const KNOWLEDGE_TIMEOUT_MS = 5_000
export const MAX_KNOWLEDGE_TIMEOUT_MS = 60_000
/** Default and largest number of merged knowledge items (and items asked of each peer). */
export const DEFAULT_KNOWLEDGE_ITEMS = 10
export const MAX_KNOWLEDGE_ITEMS = 20
/** Largest knowledge request frame (`{query, limit}`) and query text. */
export const MAX_KNOWLEDGE_REQUEST_BYTES = 4 * 1024
export const MAX_QUERY_CHARS = 1024
/** Largest knowledge reply frame: 20 items of bounded text fit with room to spare. */
export const MAX_KNOWLEDGE_REPLY_BYTES = 512 * 1024
/** Bounds on each item of a peer's reply; an item over them is dropped. */
export const MAX_ITEM_DESCRIPTION_BYTES = 8 * 1024
export const MAX_ITEM_TAGS = 64
export const MAX_ITEM_TAG_CHARS = 320
export const MAX_ITEM_RECOMMENDATIONS = 32
export const MAX_ITEM_RECOMMENDATION_BYTES = 8 * 1024
/** Inbound knowledge handler time limit (the local search included). */
export const KNOWLEDGE_HANDLER_TIMEOUT_MS = 5_000
export const KNOWLEDGE_MAX_INBOUND_STREAMS = 16

/** Re-announce: the shared envelopes kept in memory to push to peers that subscribe late. */
export const RECENT_SHARES = 32
export const RECENT_SHARE_MAX_AGE_MS = 10 * 60_000
/** Pause after a peer subscribes before pushing (lets its streams settle; bursts coalesce). */
export const PUSH_DELAY_MS = 750
/** Envelopes per direct push frame, and the frame cap (64 KiB each plus JSON quoting). */
export const MAX_PUSH_ENVELOPES = RECENT_SHARES
export const MAX_PUSH_FRAME_BYTES = 5 * 1024 * 1024
export const PUSH_TIMEOUT_MS = 10_000
export const PUSH_MAX_INBOUND_STREAMS = 8
