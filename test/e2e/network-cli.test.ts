// The network CLI on one host: bootstrap add/list/remove with and without a daemon, mDNS on by
// default for a real user (every test config turns it off), and the network fields of
// status/peers on loopback, where reachability cannot be judged.

import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { cleanupHomes, createDaemon, startDaemons, stopAll, swarm, tempHome, type TestDaemon } from '../helpers/daemons.ts'

const PEER = '12D3KooWGhonHiBnRqPttetDL1zXMZiB2SJ4x3V6NvgSv1UcacXp'

describe('network CLI', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('a fresh home has mDNS on; the harness turns it off', async () => {
    const home = join(await tempHome(), 'home')
    expect((await swarm(['--home', home, 'init', '--json'])).code).toBe(0)
    const cfg = (await swarm(['--home', home, 'config', 'show', '--json'], { env: { SWARM_MDNS: undefined } })).json
    expect(cfg.mdns).toBe(true)
    expect(cfg.discovery).toEqual({ dht: true, peersPerFederation: 4 })
    expect(cfg.nat).toMatchObject({ reachability: true, holePunch: true, upnp: false, relay: { reserve: true, server: true } })
    const d = await createDaemon()
    expect(JSON.parse(await readFile(join(d.home, 'config.json'), 'utf8')).mdns).toBe(false)
  })

  it('bootstrap add/list/remove edit config.json without a daemon', async () => {
    const d = await createDaemon()
    const addr = `/ip4/203.0.113.7/tcp/7700/p2p/${PEER}`
    const bad = await d.cli(['bootstrap', 'add', '/ip4/203.0.113.7/tcp/7700', '--json'])
    expect(bad.code).toBe(2)
    const added = await d.json(['bootstrap', 'add', addr])
    expect(added).toEqual({ address: addr, added: true, daemon: 'not-running' })
    expect((await d.json(['bootstrap', 'add', addr])).added).toBe(false)
    expect(await d.json(['bootstrap', 'list'])).toEqual({ bootstrap: [addr] })
    expect((await d.json(['config', 'show'])).bootstrap).toEqual([addr])
    expect(await d.json(['bootstrap', 'remove', addr])).toEqual({ address: addr, removed: true })
    const again = await d.cli(['bootstrap', 'remove', addr, '--json'])
    expect(again.code).toBe(1)
    expect(again.json.removed).toBe(false)
    expect(await d.json(['bootstrap', 'list'])).toEqual({ bootstrap: [] })
  })

  it('a running daemon dials an added bootstrap peer at once; status and peers say how peers are reached', async () => {
    daemons.push(...await startDaemons([{}, {}], 'none'))
    const [a, b] = daemons
    const target = `${b.tcpAddr}${b.tcpAddr.includes('/p2p/') ? '' : `/p2p/${b.peerId}`}`
    const res = await a.json(['bootstrap', 'add', target])
    expect(res).toMatchObject({ address: target, added: true, daemon: 'connected', peerId: b.peerId })
    const peers = await a.json(['peers'])
    expect(peers.find((p: any) => p.peerId === b.peerId)?.connection).toBe('direct')
    const st = await a.json(['status'])
    // loopback says nothing about the internet: no verdict, no relay
    expect(st.network).toMatchObject({ reachability: 'unknown', mode: 'unknown', relays: [] })
    expect(st.network.connections.direct).toBeGreaterThanOrEqual(1)
    const human = await a.cli(['status'])
    expect(human.stdout).toContain('network: reachability not known yet; connections: 1 direct')
    const stats = await a.json(['stats'])
    expect(stats.network.rendezvous['fed:test']).toMatchObject({ connected: expect.any(Number) })
    const unreachable = await a.json(['bootstrap', 'add', `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`])
    expect(unreachable).toMatchObject({ added: true, daemon: 'dial-failed' })
  })
})
