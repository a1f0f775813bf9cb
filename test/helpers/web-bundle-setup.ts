// Vitest global setup: the daemon serves dist/web/swarm.js and never builds it, so a test run
// rebuilds it first when any of its sources changed (a no-op taking ~0.1 s otherwise).

import { ensureWebBundle } from '../../scripts/build-web.ts'

export default async function setup (): Promise<void> {
  await ensureWebBundle()
}
