// The consensus service with stub components: who is asked and who counts (the electorate),
// decided from certificates, consensus.voters or signed adverts before any stream is opened.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConsensusService } from '../../../src/consensus/service.ts'
import { identityFromSeed, type Identity } from '../../../src/identity/index.ts'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'
import { AuditLog } from '../../../src/store/audit.ts'
import { PeerDirectory } from '../../../src/net/directory.ts'
import { SwarmEvents } from '../../../src/kernel/events.ts'
import { Counters } from '../../../src/kernel/counters.ts'

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const log: any = { trace () {}, debug () {}, info () {}, warn () {}, error () {}, child: () => log }

let dir: string
let db: SwarmDb
let me: Identity
let peer: Identity

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-consensus-'))
  db = await openDb(join(dir, 'db'))
  me = await identityFromSeed(seed(1), 'fed:test')
  peer = await identityFromSeed(seed(2), 'fed:test')
})
afterEach(async () => { await db.close(); await rm(dir, { recursive: true, force: true }) })

async function service (opts: { advertised?: string, vote?: string, voters?: string[], membership?: { closed: () => boolean, whyNot: (id: string) => string | undefined } } = {}): Promise<{ svc: ConsensusService, dial: ReturnType<typeof vi.fn>, events: any[], methods: Map<string, any> }> {
  const defaults = JSON.parse(await readFile(resolve(import.meta.dirname, '../../../config/default.json'), 'utf8'))
  const config = { ...defaults, consensus: { ...defaults.consensus, vote: opts.vote ?? 'auto', voters: opts.voters ?? [] } }
  const directory = new PeerDirectory()
  if (opts.advertised !== undefined) {
    directory.upsert({
      nodeId: peer.nodeId, peerId: peer.peerId.toString(), federation: opts.advertised, capabilities: [], taskTypes: [], models: [], languages: [],
      queueLength: 0, running: 0, sequence: 1, expiresAt: Date.now() + 60_000, advert: {}
    })
  }
  const dial = vi.fn(async () => { throw new Error('protocol selection failed') })
  const libp2p: any = { getConnections: () => [{ remotePeer: peer.peerId }], dialProtocol: dial, handle: async () => {}, unhandle: async () => {} }
  const methods = new Map<string, any>()
  const events = new SwarmEvents()
  const seen: any[] = []
  events.on((e) => { seen.push(e) })
  const svc = new ConsensusService({
    config, identity: me, db, libp2p, control: { register: (m: string, h: any) => { methods.set(m, h) } }, events,
    counters: new Counters(), log, audit: new AuditLog(db.bucket('audit')), directory, membership: opts.membership as any
  })
  await svc.start()
  return { svc, dial, events: seen, methods }
}

describe('ConsensusService eligibility', () => {
  it('a peer advertising another federation is not asked and not counted', async () => {
    const { svc, dial } = await service({ advertised: 'fed:other' })
    const r = await svc.propose({ file: 'notes/a.md', operation: 'create', content: 'hi\n', timeoutSec: 1 })
    expect(dial).not.toHaveBeenCalled()
    expect(r).toMatchObject({ consensus: true, reason: 'swarm-unavailable', eligible: 1 })
    expect(r.excluded).toEqual([{ peerId: peer.peerId.toString(), nodeId: peer.nodeId, reason: 'wrong-federation: advertises fed:other' }])
    await svc.stop()
  })

  it('an advertised member the proposal cannot reach leaves nobody asked: the fallback decides', async () => {
    const { svc, dial, events } = await service({ advertised: 'fed:test' })
    const r = await svc.propose({ file: 'notes/a.md', operation: 'create', content: 'hi\n', timeoutSec: 1 })
    expect(dial).toHaveBeenCalledTimes(1)
    expect(r).toMatchObject({ consensus: true, reason: 'swarm-unavailable' })
    expect(events.filter((e) => e.type === 'swarm:consensus-result').map((e) => e.id)).toEqual([r.id])
    await svc.stop()
  })

  it('a peer without a signed advert is not asked and not counted; the electorate is recorded as open', async () => {
    const { svc, dial } = await service()
    const r = await svc.propose({ file: 'notes/a.md', operation: 'create', content: 'hi\n', timeoutSec: 1 })
    expect(dial).not.toHaveBeenCalled()
    expect(r).toMatchObject({ eligible: 1, electorate: 'open', electors: [me.nodeId] })
    expect(r.excluded[0].reason).toContain('no-advert')
    await svc.stop()
  })

  it('closed federation: a connected peer advertising our federation but holding no certificate is no elector', async () => {
    const { svc, dial } = await service({ advertised: 'fed:test', membership: { closed: () => true, whyNot: () => 'no-certificate' } })
    const r = await svc.propose({ file: 'notes/a.md', operation: 'create', content: 'hi\n', timeoutSec: 1 })
    expect(dial).not.toHaveBeenCalled()
    expect(r).toMatchObject({ electorate: 'closed', electors: [me.nodeId], eligible: 1 })
    expect(r.excluded).toEqual([{ peerId: peer.peerId.toString(), nodeId: peer.nodeId, reason: 'not-member: no-certificate' }])
    await svc.stop()
  })

  it('closed federation: a certified member is an elector and is asked', async () => {
    const { svc, dial } = await service({ membership: { closed: () => true, whyNot: () => undefined } })
    const r = await svc.propose({ file: 'notes/a.md', operation: 'create', content: 'hi\n', timeoutSec: 1 })
    expect(dial).toHaveBeenCalledTimes(1)
    expect(r).toMatchObject({ electorate: 'closed', electors: [me.nodeId, peer.nodeId] })
    await svc.stop()
  })

  it('consensus.voters fixes the electorate, connected or not', async () => {
    const absent = await identityFromSeed(seed(3), 'fed:test')
    const { svc, dial } = await service({ advertised: 'fed:test', voters: [absent.nodeId] })
    const r = await svc.propose({ file: 'notes/a.md', operation: 'create', content: 'hi\n', timeoutSec: 1 })
    expect(dial).toHaveBeenCalledTimes(1)
    expect(r).toMatchObject({ electorate: 'voters', electors: [me.nodeId, absent.nodeId] })
    expect(r.excluded).toEqual([{ peerId: peer.peerId.toString(), nodeId: peer.nodeId, reason: 'not-a-voter: not in consensus.voters' }])
    await svc.stop()
  })

  it('the proposer with policy ask counts as yes; auto votes no on dynamic execution', async () => {
    const asked = await service({ vote: 'ask' })
    const r1 = await asked.svc.propose({ file: 'src/core.ts', content: 'eval(x)\n', timeoutSec: 1 })
    expect(r1.risk).toBe('high')
    expect(r1.votes).toEqual([{ voter: me.nodeId, vote: 'yes', reason: 'proposer: the operator proposed the change' }])
    await asked.svc.stop()
    const auto = await service()
    const r2 = await auto.svc.propose({ file: 'notes/x.js', operation: 'create', content: 'eval(x)\n', timeoutSec: 1 })
    expect(r2.votes[0].vote).toBe('no')
    expect(r2.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/)
    const stored = await auto.methods.get('consensus.get')({ id: r2.id }, {})
    expect(stored.audit.map((e: any) => e.kind)).toEqual(['consensus.proposal', 'consensus.result'])
    await auto.svc.stop()
  })

  it('bad propose parameters are usage errors', async () => {
    const { svc, methods } = await service()
    const propose = methods.get('consensus.propose')
    await expect(propose({ file: '' }, { signal: new AbortController().signal })).rejects.toMatchObject({ code: 'usage' })
    await expect(propose({ file: 'a', operation: 'rename' }, { signal: new AbortController().signal })).rejects.toMatchObject({ code: 'usage' })
    await expect(propose({ file: 'a', timeoutSec: 0 }, { signal: new AbortController().signal })).rejects.toMatchObject({ code: 'usage' })
    await svc.stop()
  })
})
