// The services wiring: each service is built with exactly the collaborators it uses (a narrow
// typed view of another service, never a lookup by name), and the node has one reputation book.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaults } from '../../../src/config/load.ts'
import { homePaths } from '../../../src/config/paths.ts'
import { createServices, type DaemonServices } from '../../../src/daemon/services.ts'
import { identityFromSeed, newSeed } from '../../../src/identity/index.ts'
import { Counters } from '../../../src/kernel/counters.ts'
import { SwarmEvents } from '../../../src/kernel/events.ts'
import { silentLogger } from '../../../src/kernel/logger.ts'
import type { SwarmComponents } from '../../../src/kernel/components.ts'
import { PeerDirectory } from '../../../src/net/directory.ts'
import { createSwarmNode } from '../../../src/net/node.ts'
import { TopicRouter } from '../../../src/net/topics.ts'
import { AuditLog } from '../../../src/store/audit.ts'
import { openDb, type SwarmDb } from '../../../src/store/db.ts'

let dir: string
let db: SwarmDb
let c: SwarmComponents
let s: DaemonServices
const registered: string[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarm-services-'))
  const config = defaults()
  const identity = await identityFromSeed(newSeed(), config.node.federation)
  db = await openDb(join(dir, 'db'))
  // never started: construction alone must not need the network
  const libp2p = await createSwarmNode({ privateKey: identity.privateKey, listen: [], bootstrap: [], mdns: false, iceServers: [] })
  const counters = new Counters()
  c = {
    paths: homePaths(dir), config, identity, db, libp2p,
    topics: new TopicRouter(libp2p.services.pubsub, counters, silentLogger),
    control: { register: (m) => { registered.push(m) } },
    events: new SwarmEvents(), counters, log: silentLogger,
    audit: new AuditLog(db.bucket('audit')), directory: new PeerDirectory()
  }
  s = createServices(c)
})

afterAll(async () => {
  await db.close()
  await rm(dir, { recursive: true, force: true })
})

const byName = (name: string): any => s.all.find((x) => x.name === name)

describe('services wiring', () => {
  it('builds every service, in start order, without registering anything before start', () => {
    expect(s.all.map((x) => x.name)).toEqual(['net', 'reflections', 'bus', 'assistance', 'consensus', 'tasks', 'web', 'a2a', 'blobs'])
    expect(registered).toEqual([])
    expect(s.web).toBe(byName('web'))
    expect(s.a2a).toBe(byName('a2a'))
  })

  it('hands cooperating services each other as typed collaborators', () => {
    const bus = byName('bus')
    // reflections read the bus's question records; synthesis holds the bus and reflections; tasks the blobs part
    expect(byName('reflections').c.questions).toBe(bus.store)
    expect(byName('assistance').c.bus).toBe(bus)
    expect(byName('assistance').c.reflections).toBe(byName('reflections'))
    expect(byName('tasks').c.attachments).toBe(byName('blobs'))
  })

  it('gives no service a map of the others', () => {
    expect('services' in c).toBe(false)
    for (const svc of s.all) expect(Object.keys((svc as any).c ?? {})).not.toContain('services')
  })

  it('shares one reputation book: a penalty charged by tasks is seen at once by the bus and synthesis', async () => {
    const book = byName('bus').reputation
    expect(byName('tasks').c.reputation).toBe(book)
    expect(byName('assistance').c.reputation).toBe(book)
    const node = (await identityFromSeed(newSeed(), c.config.node.federation)).nodeId
    const before = (await byName('assistance').reputation([node]))[0].score
    await byName('tasks').c.reputation.adjust(node, -0.2, 'task-receipt-invalid', { invalid: true })
    const after = (await byName('assistance').reputation([node]))[0].score
    expect(after).toBeLessThan(before)
  })

  it('no source file finds a service by name', async () => {
    const root = join(import.meta.dirname, '../../../src')
    const offenders: string[] = []
    for (const f of await readdir(root, { recursive: true })) {
      if (!f.endsWith('.ts')) continue
      const text = await readFile(join(root, f), 'utf8')
      if (/\bservices\??\.get\(/.test(text)) offenders.push(f)
    }
    expect(offenders).toEqual([])
  })
})

describe('run-time imports', () => {
  it('no source file imports a build script (the web bundle is prebuilt)', async () => {
    const root = join(import.meta.dirname, '../../../src')
    const offenders: string[] = []
    for (const f of await readdir(root, { recursive: true })) {
      if (!f.endsWith('.ts')) continue
      if (/from ['"](\.\.\/)+scripts\/|import\(['"](\.\.\/)+scripts\//.test(await readFile(join(root, f), 'utf8'))) offenders.push(f)
    }
    expect(offenders).toEqual([])
  })
})
