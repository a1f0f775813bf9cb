// Which task refusals reach the audit log. Refusals are what a stranger can send without end (an
// unsigned frame costs it nothing) and each entry is an fsync'd append to a log that is never
// pruned, so each peer has an allowance (a burst of 20, then one every 2 s) and the node one in
// all (100, then 2 a second: identities are free). Past either, a refusal is answered as ever
// and counted in `tasks.audit-suppressed` by code, not written.

import { TokenBuckets } from '../federation/token-bucket.ts'

export class RefusalAudit {
  private readonly perPeer = new TokenBuckets({ ratePerSec: 0.5, burst: 20 })
  private readonly all = new TokenBuckets({ ratePerSec: 2, burst: 100 })
  private readonly write: (correlationId: string, detail: Record<string, unknown>) => void
  private readonly suppressed: (code: string) => void

  constructor (write: (correlationId: string, detail: Record<string, unknown>) => void, suppressed: (code: string) => void) {
    this.write = write
    this.suppressed = suppressed
  }

  record (peer: string, correlationId: string, detail: Record<string, unknown>): void {
    if (this.perPeer.take(peer) && this.all.take('node')) this.write(correlationId, detail)
    else this.suppressed(String(detail.code ?? 'refused'))
  }
}
