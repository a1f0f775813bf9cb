// Hostile peers against federation trust roots: a hello bomb of 2,000 junk rotations naming the
// real root, and a rotation back-dated into an old root's closed window with the old key. Each
// also shows honest traffic still flowing (an honest hello's certificate is taken, an honest
// rotation is learned).
import { afterAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hexToBytes } from '../../src/envelope/index.ts'
import { buildRotation, createRootSigner, rootIdOf } from '../../src/federation/envelopes.ts'
import { PROTOCOL_HELLO, topics } from '../../src/constants.ts'
import { cleanupHomes, connectDaemons, createDaemon, eventually, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FED = 'fed:acme'
const fast = { federation: { announceSec: 2 } }

/** utime + stime of a process, in clock ticks (reported, never asserted: timing is not a test). */
function cpuTicks (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12])
}

async function hello (h: HostilePeer, d: TestDaemon, envelopes: unknown[]): Promise<any> {
  const [answer] = await h.exchange(d.tcpAddr, PROTOCOL_HELLO, [JSON.stringify({ envelopes })], { timeoutMs: 30_000 })
  return JSON.parse(answer)
}

describe('adversarial: trust roots', () => {
  const daemons: TestDaemon[] = []
  const peers: HostilePeer[] = []
  afterAll(async () => { for (const p of peers) await p.stop(); await stopAll(daemons); await cleanupHomes() })

  it('a hello bomb costs bounded work and keeps nothing; a back-dated rotation is refused; honest hellos and rotations still land', async () => {
    const root = await createDaemon({ federation: FED, config: fast })
    const member = await createDaemon({ federation: FED, config: fast })
    daemons.push(root, member)
    const created = await root.json(['federation', 'create', FED])
    const r1 = created.root as string
    const memberId = JSON.parse(await readFile(join(member.home, 'key'), 'utf8')).nodeId
    const certFile = join(member.home, '..', 'member.cert.json')
    await writeFile(certFile, (await root.cli(['federation', 'issue', memberId])).stdout)
    await member.json(['federation', 'join', certFile, '--trust-issuer', created.fingerprint])
    await Promise.all([root.start(), member.start()])
    await connectDaemons([root, member], 'full')

    // ---- hello bomb: 2,000 rotations naming the real root, signed by keys of the attacker's own
    const h = await startHostilePeer({ federation: FED })
    peers.push(h)
    await h.connect(root.tcpAddr)
    const bomb: unknown[] = []
    for (let i = 0; i < 2000; i++) {
      const junk = buildRotation(createRootSigner(hexToBytes((i % 250).toString(16).padStart(2, '0').repeat(32)), FED), createRootSigner(hexToBytes('ee'.repeat(32)), FED), Date.now() + 86400_000)
      // half claim to be signed by the real root (the signature cannot agree), half do not even pretend
      bomb.push(i % 2 === 0 ? { ...junk, 'old-root': r1 } : { ...junk, 'old-root': r1, sender: { ...junk.sender, pubkey: r1, 'node/id': rootIdOf(r1) } })
    }
    const before = cpuTicks(root.pid)
    const answer = await hello(h, root, bomb)
    const ticks = cpuTicks(root.pid) - before
    console.log(JSON.stringify({ helloBomb: { rotations: bomb.length, rootCpuMs: ticks * 10 } }))
    expect(Array.isArray(answer.envelopes)).toBe(true)
    const stats = (await root.json(['stats'])).membership
    expect(stats.refused['bad-signature'] ?? 0).toBeLessThanOrEqual(16)
    expect((await root.json(['federation', 'status'])).rotations).toEqual([])
    // the same peer again and again: rate-limited, its bundles not even read
    for (let i = 0; i < 4; i++) await hello(h, root, bomb.slice(0, 10))
    expect((await root.json(['stats'])).membership.hello.rateLimited).toBeGreaterThanOrEqual(1)
    // honest hello: a newly certified node's certificate is taken, bomb or not
    const honest = await startHostilePeer({ federation: FED })
    peers.push(honest)
    const cert = JSON.parse((await root.cli(['federation', 'issue', honest.identity.nodeId])).stdout)
    await honest.connect(root.tcpAddr)
    await hello(honest, root, [cert])
    await eventually(async () => (await root.json(['federation', 'status'])).members.some((m: any) => m.nodeId === honest.identity.nodeId && m.valid), { what: 'honest certificate taken' })

    // ---- back-dated rotation: the old root's key (exported at rotation) signs R1→R3 dated inside its closed window
    await eventually(async () => (await member.json(['federation', 'status'])).member === true, { what: 'member certified' })
    const exported = join(await tempHome('swarm-oldkey-'), 'old-root.key')
    const rot = await root.json(['federation', 'rotate', '--overlap', '2', '--export-old', exported])
    const rotatedAt = Date.now()
    await eventually(async () => (await member.json(['federation', 'status'])).roots.some((r: any) => r.pubkey === rot.newRoot && r.valid), { what: 'member learns R2' })
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, rotatedAt + 3000 - Date.now())))
    const stolen = createRootSigner(hexToBytes(JSON.parse(await readFile(exported, 'utf8')).secretKey), FED)
    const r3 = createRootSigner(hexToBytes('33'.repeat(32)), FED)
    const backdated = buildRotation(stolen, r3, Date.now() + 365 * 86400_000, { createdAt: rotatedAt - 1000 })
    const h2 = await startHostilePeer({ federation: FED })
    peers.push(h2)
    for (const d of [member, root]) {
      await h2.connect(d.tcpAddr)
      await hello(h2, d, [backdated])
      const s = await d.json(['federation', 'status'])
      expect(s.roots.map((r: any) => r.pubkey)).not.toContain(r3.pubkey)
      expect(s.rotations.map((r: any) => r.id)).not.toContain(backdated.id)
      const refused = (await d.json(['stats'])).membership.refused
      expect((refused['competing-rotation'] ?? 0) + (refused['root-expired'] ?? 0)).toBeGreaterThanOrEqual(1)
    }

    // the same attack on the membership topic, raw gossipsub from the hostile peer: refused alike
    const topic = topics.federation(FED)
    h2.subscribe(topic)
    const before2 = (await member.json(['stats'])).membership.refused['competing-rotation'] ?? 0
    await eventually(async () => {
      if (!h2.libp2p.services.pubsub.getSubscribers(topic).some((p: any) => p.toString() === member.peerId)) return false
      // a fresh signature each try: gossipsub drops a repeat of the same bytes as a duplicate
      await h2.publish(topic, buildRotation(stolen, r3, Date.now() + 365 * 86400_000, { createdAt: rotatedAt - 1000 }))
      return ((await member.json(['stats'])).membership.refused['competing-rotation'] ?? 0) > before2
    }, { what: 'gossiped back-dated rotation refused', timeoutMs: 20_000, intervalMs: 1000 })
    expect((await member.json(['federation', 'status'])).roots.map((r: any) => r.pubkey)).not.toContain(r3.pubkey)

    // honest rotation R2→R4 by the root holder: learned by the member
    const next = await root.json(['federation', 'rotate', '--overlap', '60', '--destroy-old'])
    expect(next).toMatchObject({ oldRoot: rot.newRoot, exported: null, destroyed: true })
    await eventually(async () => (await member.json(['federation', 'status'])).roots.some((r: any) => r.pubkey === next.newRoot && r.valid), { what: 'member learns R4' })
    expect((await member.json(['federation', 'status'])).roots.map((r: any) => r.pubkey)).not.toContain(r3.pubkey)
  }, 300_000) // two daemons, two hostile peers, two rotations, a 3 s wait: room for a loaded machine
})
