// Test-only control method, registered only with SWARM_TEST_HOOKS=1: `debug.gc` runs a full
// garbage collection and answers with the memory after it. Resident memory and the heap in use
// move with when V8 last collected, so a leak check that compares them across a run is noisy
// by tens of MB; the heap that survives a full collection is what a leak grows.

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { handle } from '../control/methods/index.ts'
import type { SwarmComponents } from '../kernel/components.ts'

export function registerGcHook (c: Pick<SwarmComponents, 'control'>): void {
  handle(c.control, 'debug.gc', async () => {
    // the flag exposes `gc` to contexts made after it is set; the daemon's own was made before
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    const m = process.memoryUsage()
    return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers }
  })
}
