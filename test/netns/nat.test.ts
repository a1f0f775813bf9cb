// Beyond one LAN, in a simulated internet (sim.ts): a public bootstrap daemon and STUN
// responder, two homes behind cone NATs and one behind a symmetric NAT. With only the bootstrap
// address configured, the NATed daemons learn they are behind NAT, reserve a relay, find each
// other through the DHT rendezvous, punch through where the NAT allows (and stay relayed where
// it does not), and a question asked on one is answered from the others.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, cleanupHomes, eventually, stopAll } from '../helpers/daemons.ts'
import { PUBLIC_IP, STUN_PORT, SimNet, cannotSimulate } from './sim.ts'
import { nsDaemon, pathsOf, type NsDaemon } from './daemons.ts'

const skip = cannotSimulate()
if (skip !== undefined) console.warn(`netns NAT suite skipped: ${skip}`)

const FED = 'fed:nat'

describe.skipIf(skip !== undefined)('NAT traversal in a simulated network', () => {
  let sim: SimNet
  const daemons: NsDaemon[] = []
  let boot: NsDaemon
  let a: NsDaemon, b: NsDaemon, c: NsDaemon

  beforeAll(async () => {
    sim = new SimNet().build(['cone', 'cone', 'symmetric'])
    await sim.startStun(ROOT)
    // the bootstrap serves another federation: it cannot carry fed:nat's questions itself
    boot = await nsDaemon(sim, sim.pub, { federation: 'fed:infra', config: { listen: [`/ip4/${PUBLIC_IP}/tcp/7700`], mdns: false } })
    daemons.push(boot)
    await boot.start()
    const bootstrap = `/ip4/${PUBLIC_IP}/tcp/7700/p2p/${boot.peerId}`
    const homes = await Promise.all(sim.homes.map(async (h) => await nsDaemon(sim, h.ns, {
      federation: FED,
      config: {
        listen: [`/ip4/${h.ip}/tcp/7700`],
        bootstrap: [bootstrap],
        mdns: false,
        iceServers: [{ urls: `stun:${PUBLIC_IP}:${STUN_PORT}` }],
        presence: { heartbeatSec: 0.5 }
      }
    })))
    daemons.push(...homes);
    [a, b, c] = homes
    await Promise.all(homes.map(async (d) => { await d.start() }))
  })

  afterAll(async () => {
    await stopAll(daemons).catch(() => {})
    sim?.destroy()
    await cleanupHomes()
  })

  it('the bootstrap is public; NATed daemons know they are behind NAT and hold a relay reservation', async () => {
    const s = await eventually(async () => {
      const st = await boot.json(['status'])
      return st.network.reachability === 'public' ? st : undefined
    }, { what: 'bootstrap public', timeoutMs: 30_000 })
    expect(s.network.mode).toBe('public')
    for (const d of [a, b, c]) {
      const st = await eventually(async () => {
        const x = await d.json(['status'])
        return x.network.mode === 'behind-nat-relayed' ? x : undefined
      }, { what: `${d.ns} behind NAT with a relay`, timeoutMs: 30_000 })
      expect(st.network.reachability).toBe('private')
      expect(st.network.relays).toEqual([boot.peerId])
    }
  })

  it('cone-NAT daemons find each other through the DHT and end up directly connected after a punch', async () => {
    for (const [x, y] of [[a, b], [b, a]]) {
      await eventually(async () => (await pathsOf(x)).get(y.peerId) === 'punched', { what: `${x.ns} punched to ${y.ns}`, timeoutMs: 45_000 })
    }
    // whichever searched first found the other as a provider of the federation's key and dialled it
    const [sa, sb] = await Promise.all([a.json(['stats']), b.json(['stats'])])
    expect(sa.network.rendezvous[FED].found + sb.network.rendezvous[FED].found).toBeGreaterThanOrEqual(1)
    expect(sa.network.connections.punched).toBeGreaterThanOrEqual(1)
  })

  it('the symmetric-NAT daemon is found too, but its connection stays relayed', async () => {
    for (const x of [a, b]) {
      await eventually(async () => (await pathsOf(x)).has(c.peerId), { what: `${x.ns} connected to the symmetric home`, timeoutMs: 45_000 })
    }
    // a punch was tried between them and failed; the relay keeps carrying the connection
    await eventually(async () => {
      const failed = await Promise.all([a, b, c].map(async (d) => (await d.json(['status'])).network.punch.failed as number))
      return failed.reduce((s, n) => s + n, 0) >= 1
    }, { what: 'a failed punch toward the symmetric NAT', timeoutMs: 60_000 })
    // an answered punch that never connected is closed once its probe fails (a retry may open
    // another for a moment): wait for a moment when the symmetric home has no direct path at all
    await eventually(async () => {
      const [pa, pb, pc] = await Promise.all([pathsOf(a), pathsOf(b), pathsOf(c)])
      const st = await c.json(['status'])
      return pa.get(c.peerId) === 'relayed' && pb.get(c.peerId) === 'relayed' && pc.get(a.peerId) === 'relayed' && pc.get(b.peerId) === 'relayed' &&
        st.network.connections.punched === 0 && st.network.connections.relayed >= 2
    }, { what: 'the symmetric home reached only through the relay', timeoutMs: 45_000 })
  })

  it('a question asked behind one NAT is answered from behind the others', async () => {
    const asked = await a.json(['ask', 'Does the question cross the NATs?', '--ttl', '120'])
    for (const [d, text] of [[b, 'Yes, through the punched connection.'], [c, 'Yes, through the relay.']] as const) {
      await eventually(async () => (await d.json(['questions'])).some((q: any) => q.id === asked.id), { what: `question reaches ${d.ns}`, timeoutMs: 30_000 })
      await d.json(['answer', asked.id, text, '--kind', 'fact'])
    }
    const shown = await eventually(async () => {
      const s = await a.json(['show', asked.id])
      return s.contributions.length === 2 ? s : undefined
    }, { what: 'both answers reach the asker', timeoutMs: 30_000 })
    expect(shown.contributions.map((x: any) => x.text).sort()).toEqual(['Yes, through the punched connection.', 'Yes, through the relay.'])
  })
})
