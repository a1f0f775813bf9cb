// The attachment exchange's protocol id, sizes and timeouts. Protocol id and chunk layout are wire
// contract: change them only with a new version number.

export const PROTOCOL_BLOB = '/swarm/blob/1.0.0'
/** Bytes per chunk: big enough that a 64 MiB attachment is 256 chunks, small enough to verify and
 *  to resend cheaply when one is bad. */
export const CHUNK_BYTES = 256 * 1024
/** Default largest attachment a node stores or fetches (config blobs.maxBytes). */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024
/** Default bound of the whole store before the least recently used attachments go (config blobs.storeBytes). */
export const DEFAULT_STORE_BYTES = 1024 * 1024 * 1024
/** Attachments one envelope may name. */
export const MAX_ATTACHMENTS = 16
/** A request frame (JSON) and a manifest (≤ 256 chunk links at 64 MiB) stay far below this. */
export const MAX_REQUEST_BYTES = 4096
export const MAX_MANIFEST_BYTES = 1024 * 1024
/** Per frame exchanged with a holder; a transfer as a whole is bounded by its caller's signal. */
export const FRAME_TIMEOUT_MS = 10_000
/** A whole fetch (all holders tried) unless the caller's signal says otherwise. */
export const FETCH_TIMEOUT_MS = 10 * 60_000
/** Inbound transfers served at once, per connection (libp2p counts maxInboundStreams per connection). */
export const MAX_INBOUND_STREAMS = 32
