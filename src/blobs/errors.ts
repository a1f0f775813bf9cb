// Stable codes for what can go wrong with an attachment. They cross the control socket, appear
// in `swarm stats` (blobs.rejected) and name the reason a holder's data was refused.

import { SwarmError } from '../errors.ts'

export type BlobErrorCode =
  | 'bad-cid' // not a CIDv1 with a sha2-256 multihash and a raw or dag-json codec
  | 'bad-hash' // a chunk or manifest whose hash is not the one it was asked for
  | 'bad-manifest' // a manifest that is not the canonical chunk list of its size
  | 'too-large' // over this node's blobs.maxBytes
  | 'not-found' // no holder reachable had it
  | 'bad-frame' // a holder spoke something else than the protocol
  | 'bad-file' // a file to attach that cannot be read
  | 'busy' // too many fetches already running and waiting (src/blobs/fetch-lanes.ts)

export class BlobError extends SwarmError {
  declare readonly code: BlobErrorCode
  constructor (code: BlobErrorCode, message: string, detail?: unknown) {
    super(code, message, { detail })
    this.name = 'BlobError'
  }
}
