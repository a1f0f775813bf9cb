// NAT figures in a simulated internet (test/netns/sim.ts: public bootstrap + STUN, homes behind
// cone NATs): the share of 20 punch attempts between two cone-NAT daemons that end direct, the
// median time from relayed connection to a verified direct one (baseline: opening the relayed
// connection itself, in the same run), and the time from start until a new member with only
// the bootstrap address holds a connection to another member of its federation (baseline:
// its first connection to any peer, the bootstrap). Needs root for network namespaces.
// Standalone: node scripts/bench/nat.ts [--attempts N]

import { figure, median, type Figure } from './figure.ts'

const FED = 'fed:bench'

function failed (reason: string): Figure[] {
  process.stderr.write(`bench nat: ${reason}\n`)
  return ['nat-punch-success', 'nat-time-to-direct-ms', 'discover-member-ms'].map((name) => ({ name, value: NaN, unit: 'error', target: 'runs', pass: false }))
}

export async function benchNat (attempts = 20): Promise<Figure[]> {
  const { SimNet, cannotSimulate, PUBLIC_IP, STUN_PORT } = await import('../../test/netns/sim.ts')
  const why = cannotSimulate()
  if (why !== undefined) return failed(why)
  const { ROOT, cleanupHomes, eventually, stopAll } = await import('../../test/helpers/daemons.ts')
  const { nsDaemon } = await import('../../test/netns/daemons.ts')
  const { ControlClient } = await import('../../src/control/client.ts')
  const sim = new SimNet().build(['cone', 'cone', 'cone'])
  const daemons: Array<Awaited<ReturnType<typeof nsDaemon>>> = []
  const clients: Array<Awaited<ReturnType<typeof ControlClient.connect>>> = []
  try {
    await sim.startStun(ROOT)
    const boot = await nsDaemon(sim, sim.pub, { federation: 'fed:infra', config: { listen: [`/ip4/${PUBLIC_IP}/tcp/7700`], mdns: false, log: { level: 'warn' } } })
    daemons.push(boot)
    await boot.start()
    const home = (i: number): Parameters<typeof nsDaemon>[2] => ({
      federation: FED,
      config: {
        listen: [`/ip4/${sim.homes[i].ip}/tcp/7700`],
        bootstrap: [`/ip4/${PUBLIC_IP}/tcp/7700/p2p/${boot.peerId}`],
        mdns: false,
        iceServers: [{ urls: `stun:${PUBLIC_IP}:${STUN_PORT}` }],
        log: { level: 'warn' }
      }
    })
    const [a, b] = await Promise.all([0, 1].map(async (i) => await nsDaemon(sim, sim.homes[i].ns, home(i))))
    daemons.push(a, b)
    await Promise.all([a.start(), b.start()])
    const client = async (d: typeof a): Promise<Awaited<ReturnType<typeof ControlClient.connect>>> => {
      const c = await ControlClient.connect(`${d.home}/swarm.sock`, d.home, AbortSignal.timeout(10_000))
      clients.push(c)
      return c
    }
    const ca = await client(a)
    // both behind NAT with a relay, and found each other
    await eventually(async () => {
      const peers = await ca.call('peers') as Array<{ peerId: string }>
      const st = await ca.call('status') as any
      return st.network.mode === 'behind-nat-relayed' && peers.some((p) => p.peerId === b.peerId)
    }, { timeoutMs: 60_000, what: 'cone homes connected' })

    const times: number[] = []
    const relayed: number[] = []
    let direct = 0
    for (let i = 0; i < attempts; i++) {
      const r = await ca.call('network.punch', { peerId: b.peerId }, { timeoutMs: 60_000 }) as { direct: boolean, ms: number, relayedMs: number }
      relayed.push(r.relayedMs)
      if (r.direct) { direct++; times.push(r.ms) }
    }

    // a new member with only the bootstrap address: from its start to a member connection (3 starts)
    const discover: number[] = []
    const firstPeer: number[] = []
    for (let run = 0; run < 3; run++) {
      const c = await nsDaemon(sim, sim.homes[2].ns, home(2))
      daemons.push(c)
      await c.start()
      const cc = await client(c)
      const timing = await eventually(async () => {
        const t = (await cc.call('stats') as any).network.timing
        return t.firstMemberMs !== null ? t : undefined
      }, { timeoutMs: 30_000, what: 'new member connects to a member' })
      discover.push(timing.firstMemberMs)
      firstPeer.push(timing.firstPeerMs)
      cc.close()
      await c.stop()
    }

    const p50 = median(times)
    const relayedP50 = median(relayed)
    const discoverP50 = median(discover)
    const firstPeerP50 = median(firstPeer)
    return [
      figure('nat-punch-success', direct / attempts, 'share', { min: 0.9 }),
      figure('nat-time-to-direct-ms', p50, 'ms', {}, { baseline: relayedP50, ratio: p50 / relayedP50 }),
      figure('discover-member-ms', discoverP50, 'ms', { max: 2000 }, { baseline: firstPeerP50, ratio: discoverP50 / firstPeerP50 })
    ]
  } catch (err) {
    return failed((err as Error).stack ?? String(err))
  } finally {
    for (const c of clients) { try { c.close() } catch {} }
    await stopAll(daemons).catch(() => {})
    sim.destroy()
    await cleanupHomes()
  }
}

if (import.meta.main) {
  const i = process.argv.indexOf('--attempts')
  console.log(JSON.stringify(await benchNat(i >= 0 ? Number(process.argv[i + 1]) : 20), null, 2))
  process.exit(0)
}
