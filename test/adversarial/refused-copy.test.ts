// A hostile relay cannot censor an honest question by getting it refused for itself. Gossipsub
// marks a message seen before any validator runs; a copy the flood gate refused unjudged (its
// relaying peer over its pace) used to make every later copy a duplicate, so a peer that relayed
// an honest question ahead of its author while over its own pace had it dropped at the receiver
// for good (src/net/refused-copies.ts). Here the author `a` reaches the victim `d` only through
// `c`, on a link with 150 ms of latency; the hostile hears the question from `a` and at once sends
// `d` a burst of valid questions under fresh keys with the honest question last, so that its copy
// arrives first and is refused for the hostile's pace. The honest copy, 150 ms later, is judged
// and taken (without the fix: lost). Then `d`, which accepted the hostile's burst as far as its
// pace allowed and relayed that to `c`, asks a question of its own, which crosses `c` (it goes in
// `d`'s own lane there, src/net/flood-gate.ts, not behind the relayed burst). The hostile's burst
// is charged to it as before.
import { afterAll, describe, expect, it } from 'vitest'
import { buildQuestion } from '../../src/envelope/index.ts'
import { delayLink, type DelayLink } from '../../scripts/scale/latency.ts'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FED = 'fed:refused-copy'
const TOPIC = `swarm/1/fed/${FED}/questions`
/** A quarter of the default scope rate's burst is 100, and 2 s of waiting at 50/s is 100 more: 250 overflow the hostile's pace. */
const BURST = 250

describe('adversarial: a copy refused for its relay\'s pace does not censor the message', () => {
  let daemons: TestDaemon[] = []
  const hostiles: HostilePeer[] = []
  let link: DelayLink | undefined
  afterAll(async () => {
    for (const h of hostiles) await h.stop().catch(() => {})
    await link?.close()
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('the hostile\'s copy of an honest question arrives first and is refused; the honest copy is taken, and the relay\'s own next question too', async () => {
    daemons = await startDaemons([{ federation: FED }, { federation: FED }, { federation: FED }], 'none')
    const [a, c, d] = daemons
    await a.cli(['connect', c.tcpAddr])
    link = await delayLink(Number(/\/tcp\/(\d+)/.exec(d.tcpAddr)?.[1]), 150)
    await c.cli(['connect', `/ip4/127.0.0.1/tcp/${link.port}/p2p/${d.peerId}`])

    // the hostile listens at `a` with one node and sends to `d` with another (unsubscribed, so its
    // gossipsub never relays the question to `d` on its own, unpaced)
    const ear = await startHostilePeer({ federation: FED })
    const mouth = await startHostilePeer({ federation: FED })
    hostiles.push(ear, mouth)
    ear.subscribe(TOPIC)
    await ear.dial(a.tcpAddr)
    await ear.ready(a.peerId)
    await mouth.dial(d.tcpAddr)
    await mouth.ready(d.peerId)
    const burst = Array.from({ length: BURST }, (_, i) => JSON.stringify(buildQuestion(mouth.freshSigner(FED), { text: `filler ${i}`, scope: 'federation-local' })))
    let relaying = false
    const relayed = new Promise<string>((resolve) => {
      ear.node.services.pubsub.addEventListener('message', (e) => {
        if (e.detail.topic !== TOPIC || !relaying) return
        const text = new TextDecoder().decode(e.detail.data)
        mouth.sendManyTo(d.peerId, TOPIC, [...burst, text])
        resolve(text)
      })
    })
    // gossipsub grafts a new peer into a topic's mesh on its next heartbeat (a relay forwards only
    // to its mesh); then the path works before the attack: a question from `a` reaches `d`
    // through `c` (the hostile's ear hears it too and relays nothing yet)
    // (asked again every 2 s until one arrives: negotiating streams over the slow link takes a while)
    const warm: string[] = []
    await eventually(async () => {
      warm.push((await a.json(['ask', `Does the slow path work? (${warm.length})`, '--scope', 'federation-local'])).id)
      await new Promise((resolve) => setTimeout(resolve, 2000))
      const ids = new Set((await d.json(['questions'])).map((q: any) => q.id))
      return warm.some((id) => ids.has(id))
    }, { what: 'a question at d through the slow link', timeoutMs: 30_000 })
    relaying = true

    const asked = (await a.json(['ask', 'An honest question the hostile relays first', '--scope', 'federation-local'])).id
    expect(JSON.parse(await relayed).id).toBe(asked)
    await eventually(async () => (await d.json(['questions'])).some((q: any) => q.id === asked), { what: 'the honest question at d', timeoutMs: 15_000 })
    const st = await d.json(['stats'])
    // the hostile's copy was refused unjudged, and forgotten
    expect(st.envelopes.ignored['rate-limited'] ?? 0).toBeGreaterThan(0)
    expect(st.envelopes.unseen['rate-limited'] ?? 0).toBeGreaterThan(0)
    // honest traffic both ways afterwards, through the slow link
    const after = (await d.json(['ask', 'And back the other way?', '--scope', 'federation-local'])).id
    await eventually(async () => (await a.json(['questions'])).some((q: any) => q.id === after), { what: 'd\'s question at a', timeoutMs: 10_000 })
  })
})
