// Real `bin/swarm` daemons inside simulated-network namespaces: the home is made by the
// ordinary harness, the daemon is started under `ip netns exec` (its detached child stays in
// that namespace), and the CLI then talks to it over its Unix socket from anywhere.

import { BIN, NODE, createDaemon, type DaemonSpec, TestDaemon } from '../helpers/daemons.ts'
import type { SimNet } from './sim.ts'

export class NsDaemon extends TestDaemon {
  readonly ns: string
  private readonly sim: SimNet

  constructor (d: TestDaemon, sim: SimNet, ns: string) {
    super(d.home, d.spec)
    this.sim = sim
    this.ns = ns
  }

  override async start (): Promise<void> {
    const env = Object.entries(this.spec.env ?? {}).map(([k, v]) => `${k}=${String(v)}`)
    const res = await this.sim.exec(this.ns, ['env', ...env, NODE, BIN, '--home', this.home, 'daemon', '--detach', '--json'])
    if (res.code !== 0) throw new Error(`daemon in ${this.ns} failed (${res.code}): ${res.stdout} ${res.stderr}`)
    const j = JSON.parse(res.stdout)
    this.pid = j.pid
    this.nodeId = j.nodeId
    this.peerId = j.peerId
    this.addresses = j.addresses
  }
}

export async function nsDaemon (sim: SimNet, ns: string, spec: DaemonSpec): Promise<NsDaemon> {
  return new NsDaemon(await createDaemon(spec), sim, ns)
}

/** `swarm peers --json` as peerId → connection path. */
export async function pathsOf (d: TestDaemon): Promise<Map<string, string>> {
  const peers = await d.json(['peers']) as Array<{ peerId: string, connection: string }>
  return new Map(peers.map((p) => [p.peerId, p.connection]))
}
