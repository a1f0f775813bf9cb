// The setup the flood and duplicates tests share: real daemons of one federation in a full mesh,
// and a hostile peer with its own keys subscribed to the federation's questions topic and dialled
// into some of them, given time to join the mesh before it sends anything.

import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

export interface Arena {
  readonly daemons: TestDaemon[]
  /** `swarm/1/fed/<federation>/questions`. */
  readonly topic: string
  /** `n` daemons, then the hostile peer dialled into the first `dialInto` of them. */
  start: (n: number, dialInto?: number) => Promise<HostilePeer>
  /** Ends the hostile peer and every daemon, and removes their homes (for afterAll). */
  stop: () => Promise<void>
}

export function hostileArena (federation: string): Arena {
  const daemons: TestDaemon[] = []
  let hostile: HostilePeer | undefined
  return {
    daemons,
    topic: `swarm/1/fed/${federation}/questions`,
    async start (n, dialInto = n) {
      daemons.push(...await startDaemons(Array.from({ length: n }, () => ({ federation })), 'full'))
      await eventually(async () => (await daemons[0].json(['stats'])).peers.connected === n - 1, { what: 'the daemons meshed' })
      const h = await startHostilePeer({ federation })
      hostile = h
      h.subscribe(`swarm/1/fed/${federation}/questions`)
      for (const d of daemons.slice(0, dialInto)) { await h.dial(d.tcpAddr); await h.ready(d.peerId) }
      // gossipsub grafts the new peer on its next heartbeat
      await new Promise((resolve) => setTimeout(resolve, 1500))
      return h
    },
    async stop () {
      await hostile?.stop().catch(() => {})
      await stopAll(daemons)
      await cleanupHomes()
    }
  }
}
