// Equivocation is the signer's fault. A stranger signs two versions of one question id and
// pushes one to A and one to B; each accepts its copy and relays it, and each then sees the
// other version from its honest neighbour. Before: the second copy was a `replay` REJECT that
// charged the honest relay, until A and B banned each other. Now: the copy is ignored (no relay
// charged), the signing key is refused and its own peer banned, A and B keep their connection,
// and an honest question still reaches both.
import { afterAll, describe, expect, it } from 'vitest'
import { buildQuestion, newId } from '../../src/envelope/index.ts'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FED = 'fed:equivocation'
const TOPIC = `swarm/1/fed/${FED}/questions`

describe('adversarial: equivocation', () => {
  const daemons: TestDaemon[] = []
  const hostile: HostilePeer[] = []
  afterAll(async () => {
    await Promise.all(hostile.map(async (h) => { await h.stop().catch(() => {}) }))
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('an equivocating pair pushed to A and B bans the signer, never the relays; honest questions still reach both', async () => {
    daemons.push(...await startDaemons([{ federation: FED }, { federation: FED }], 'full'))
    const [a, b] = daemons
    await eventually(async () => (await a.json(['stats'])).peers.connected === 1, { what: 'A and B connected' })
    await new Promise((resolve) => setTimeout(resolve, 1500)) // meshes form

    const h = await startHostilePeer({ federation: FED })
    hostile.push(h)
    h.subscribe(TOPIC)
    await h.dial(a.tcpAddr)
    await h.dial(b.tcpAddr)
    await h.ready(a.peerId)
    await h.ready(b.peerId)
    await new Promise((resolve) => setTimeout(resolve, 1500))

    const id = newId('question')
    const v1 = buildQuestion(h.signer, { text: 'Version one: deploy on Monday.', scope: 'federation-local' }, { id })
    const v2 = buildQuestion(h.signer, { text: 'Version two: deploy on Friday.', scope: 'federation-local' }, { id })
    expect(h.sendTo(a.peerId, TOPIC, JSON.stringify(v1))).toBe(true)
    expect(h.sendTo(b.peerId, TOPIC, JSON.stringify(v2))).toBe(true)

    // whoever sees both versions (one from the stranger, the other relayed by its honest
    // neighbour) finds the signer out and bans its peer: both nodes, or one, as the race falls; a
    // node that did not see both holds one version only
    const bannedBy = (st: any): boolean => st.admission.banned.some((x: any) => x.peerId === h.peerId && x.reason === 'equivocation')
    await eventually(async () => bannedBy(await a.json(['stats'])) || bannedBy(await b.json(['stats'])), { what: 'signer banned', timeoutMs: 15_000 })
    await new Promise((resolve) => setTimeout(resolve, 1000)) // the other side's verdict, if it saw both
    let banners = 0
    for (const d of [a, b]) {
      const s = await d.json(['stats'])
      const other = d === a ? b : a
      // the honest relay is neither banned nor graylisted, whatever happened
      expect(s.admission.banned.map((x: any) => x.peerId)).not.toContain(other.peerId)
      expect(s.admission.graylisted).not.toContain(other.peerId)
      expect(s.envelopes.rejected.replay ?? 0).toBe(0)
      if (bannedBy(s)) {
        banners++
        expect(s.envelopes.ignored.equivocation).toBeGreaterThanOrEqual(1)
        expect(s.admission.bannedByReason.equivocation).toBe(1)
      } else {
        // it never saw the second version: nothing to judge, nobody banned
        expect(s.envelopes.ignored.equivocation ?? 0).toBe(0)
      }
    }
    expect(banners).toBeGreaterThanOrEqual(1)
    const firstPair = (await a.json(['stats'])).envelopes.ignored.equivocation ?? 0
    const firstPairB = (await b.json(['stats'])).envelopes.ignored.equivocation ?? 0

    // more rounds, each pair signed by a fresh key and pushed from a second stranger: keys refused, relays untouched
    const h2 = await startHostilePeer({ federation: FED })
    hostile.push(h2)
    h2.subscribe(TOPIC)
    await h2.dial(a.tcpAddr)
    await h2.dial(b.tcpAddr)
    await h2.ready(a.peerId)
    await h2.ready(b.peerId)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    for (let round = 0; round < 30; round++) {
      const key = h2.freshSigner(FED)
      const rid = newId('question')
      h2.sendTo(a.peerId, TOPIC, JSON.stringify(buildQuestion(key, { text: `round ${round}: yes`, scope: 'federation-local' }, { id: rid })))
      h2.sendTo(b.peerId, TOPIC, JSON.stringify(buildQuestion(key, { text: `round ${round}: no`, scope: 'federation-local' }, { id: rid })))
      await new Promise((resolve) => setTimeout(resolve, 30))
    }
    // each round is caught by whichever node sees both versions: A, B or both, as the race falls
    // (one from the stranger, the other from its honest neighbour), counted after the first pair
    const caught = async (): Promise<number> => ((await a.json(['stats'])).envelopes.ignored.equivocation ?? 0) + ((await b.json(['stats'])).envelopes.ignored.equivocation ?? 0) - firstPair - firstPairB
    await eventually(async () => await caught() >= 27, { what: 'rounds seen as equivocation', timeoutMs: 15_000 })

    // A and B still talk to each other, and an honest question reaches the other side both ways
    expect((await a.json(['peers'])).map((p: any) => p.peerId)).toContain(b.peerId)
    expect((await b.json(['peers'])).map((p: any) => p.peerId)).toContain(a.peerId)
    const q1 = await a.json(['ask', 'Still friends after the stranger left?', '--scope', 'federation-local'])
    await eventually(async () => (await b.json(['questions'])).some((q: any) => q.id === q1.id), { what: 'honest question A → B', timeoutMs: 10_000 })
    const q2 = await b.json(['ask', 'And the other way?', '--scope', 'federation-local'])
    await eventually(async () => (await a.json(['questions'])).some((q: any) => q.id === q2.id), { what: 'honest question B → A', timeoutMs: 10_000 })
    for (const d of [a, b]) {
      const s = await d.json(['stats'])
      const other = d === a ? b : a
      expect(s.admission.banned.map((x: any) => x.peerId)).not.toContain(other.peerId)
    }
  })
})
