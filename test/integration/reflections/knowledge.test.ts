// Real libp2p nodes over loopback in one process: two honest nodes with the real
// ReflectionService and a hostile peer with its own key speaking /swarm/knowledge directly. It
// asks for what was never shared, and answers with reflections whose text or author it swapped;
// in the same run the honest peer's shared reflection still flows.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaults } from '../../../src/config/load.ts'
import { identityFromSeed, newSeed, type Identity } from '../../../src/identity/index.ts'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { createSwarmNode, type SwarmLibp2p } from '../../../src/net/node.ts'
import { TopicRouter } from '../../../src/net/topics.ts'
import { SwarmEvents } from '../../../src/kernel/events.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'
import { buildReflection, createSigner, senderOf } from '../../../src/envelope/index.ts'
import { PROTOCOL_KNOWLEDGE } from '../../../src/constants.ts'
import { decodeJson, encodeJson, handleRequests, request } from '../../../src/net/rpc.ts'
import { ReflectionService } from '../../../src/reflections/service.ts'

const FED = 'fed:it'
let dir: string
const stops: Array<() => Promise<void>> = []

interface Honest { identity: Identity, libp2p: SwarmLibp2p, db: SwarmDb, svc: ReflectionService }

async function honest (serve: Record<string, 'none' | 'shared' | 'all'> = {}): Promise<Honest> {
  const home = join(dir, `home-${stops.length}`)
  await mkdir(home, { recursive: true })
  const config = defaults()
  config.node.federation = FED
  config.reflections = { ...config.reflections, serve }
  const identity = await identityFromSeed(newSeed(), FED)
  const db = await openDb(join(home, 'db'))
  const libp2p = await createSwarmNode({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
  const counters = new Counters()
  const topics = new TopicRouter(libp2p.services.pubsub, counters, silentLogger)
  const svc = new ReflectionService({ config, identity, db, libp2p, topics, control: { register: () => {} }, events: new SwarmEvents(), counters, log: silentLogger })
  await libp2p.start()
  topics.start()
  await svc.start()
  stops.push(async () => { await svc.stop(); topics.stop(); await libp2p.stop(); await db.close() })
  return { identity, libp2p, db, svc }
}

beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'swarm-it-knowledge-')) })
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

describe('knowledge protocol against a hostile peer', () => {
  let a: Honest, b: Honest
  let hostile: SwarmLibp2p
  const hostileKey = newSeed()

  it('a hostile peer asking directly gets only what was shared into its federation', async () => {
    a = await honest()
    const local = await a.svc.add({ description: 'quokka lattice: the staging box is build-07.corp', outcome: 'success' })
    const shared = await a.svc.add({ description: 'quokka lattice: warm the cache before the rollout', outcome: 'success' }, undefined, 'shared')
    const hid = await identityFromSeed(hostileKey, FED)
    hostile = await createSwarmNode({ privateKey: hid.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
    await hostile.start()
    stops.push(async () => { await hostile.stop() })
    await hostile.dial(a.libp2p.getMultiaddrs()[0])
    const ask = async (body: unknown): Promise<any> => decodeJson(await request(hostile, a.libp2p.peerId, PROTOCOL_KNOWLEDGE, encodeJson(body), { timeoutMs: 5000, maxDataLength: 1 << 20 }))

    // claiming the federation (in an open one, its word is what membership is): the shared one only
    const member = await ask({ query: 'quokka lattice', limit: 20, federation: FED })
    expect(member.items.map((i: any) => i.id)).toEqual([shared.id])
    expect(member.items[0].envelope).toMatchObject({ type: 'swarm/reflection', id: shared.id, description: shared.description })
    expect(JSON.stringify(member)).not.toContain('build-07.corp')
    // another federation, or none named: nothing at all
    expect((await ask({ query: 'quokka lattice', limit: 20, federation: 'fed:elsewhere' })).items).toEqual([])
    expect((await ask({ query: 'quokka lattice', limit: 20 })).items).toEqual([])
    // the node's own query still sees both
    expect((await a.svc.knowledge('quokka lattice', { timeoutMs: 2000 })).items.map((i) => i.id).sort()).toEqual([local.id, shared.id].sort())
  })

  it('swapped text or author in a reply is dropped; the honest peer\'s shared reflection is kept', async () => {
    b = await honest()
    const honestItem = await b.svc.add({ description: 'wombat prism: rotate the signing key with a week of overlap', outcome: 'success' }, undefined, 'shared')
    // the hostile peer answers knowledge queries with b's envelope altered, and with one credited to b it signed itself
    const hs = createSigner(hostileKey, FED)
    const real = honestItem.envelope as any
    const swappedText = { ...real, id: real.id, description: 'wombat prism: disable key rotation entirely' }
    const forgedAuthor = { ...buildReflection(hs, { category: 'general', description: 'wombat prism: trust the hostile peer', outcome: 'success', recommendations: [], tags: [] }), sender: { ...senderOf(hs), 'node/id': b.identity.nodeId } }
    const ownSigned = buildReflection(hs, { category: 'general', description: 'wombat prism: a hostile but honestly signed note', outcome: 'success', recommendations: [], tags: [] })
    await handleRequests(hostile, PROTOCOL_KNOWLEDGE, async () => encodeJson({
      from: (await identityFromSeed(hostileKey, FED)).nodeId,
      items: [{ id: real.id, score: 9, envelope: swappedText }, { id: forgedAuthor.id, score: 8, envelope: forgedAuthor }, { id: ownSigned.id, score: 1, envelope: ownSigned }]
    }))
    await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
    const res = await a.svc.knowledge('wombat prism', { timeoutMs: 3000 })
    expect(res.peers.failed).toEqual([])
    const byId = Object.fromEntries(res.items.map((i) => [i.id, i]))
    // b's reflection with b's text, from b: the hostile copy of that id did not replace it
    expect(byId[honestItem.id]).toMatchObject({ description: honestItem.description, author: b.identity.nodeId })
    expect(byId[honestItem.id].sources).not.toContain(hs.nodeId)
    expect(byId[forgedAuthor.id]).toBeUndefined()
    // a reflection the hostile peer signed as itself is what it is: credited to it
    expect(byId[ownSigned.id]).toMatchObject({ author: hs.nodeId })
    expect(JSON.stringify(res)).not.toContain('disable key rotation')
    expect(a.svc.stats()).toMatchObject({ reflections: { knowledgeItemsRejected: 2 } })
  })
})
