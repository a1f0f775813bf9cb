// Run inside a simulated network's public namespace (host-gossip.test.ts starts it) against a
// real swarmd daemon V: a stranger on one host (203.0.113.4) connects six identities of its own
// and from each relays valid questions signed by fresh keys, every identity at exactly the pace
// V allows one peer (so none is ever mostly refused, charged or graylisted), for `seconds`.
// Together they offer V's questions topic half again what its whole scope admits. Prints one
// JSON document: what each identity sent.
//
// argv: V's TCP multiaddr (with /p2p/…), V's peer id, federation, seconds.

import { buildQuestion } from '../../src/envelope/index.ts'
import { flood, startHostilePeer, type HostilePeer } from '../adversarial/hostile-peer.ts'

const [target, victim, federation, seconds] = [process.argv[2], process.argv[3], process.argv[4], Number(process.argv[5])]
const IDENTITIES = 6
const PER_IDENTITY = 50 // a quarter of rateLimit.perScope (200/s): one peer's relay pace
const topic = `swarm/1/fed/${federation}/questions`

const peers: HostilePeer[] = []
const out: Record<string, unknown> = {}
try {
  // libp2p takes 5 connections a second from one host: the identities connect at that pace
  for (let i = 0; i < IDENTITIES; i++) {
    const h = await startHostilePeer({ federation, ip: '203.0.113.4' })
    peers.push(h)
    await h.dial(target)
    h.subscribe(topic)
    await new Promise((resolve) => setTimeout(resolve, 260))
  }
  for (const h of peers) await h.ready(victim)
  // fresh keys enough that no signer's own rate (20/s) bites
  const keys = Array.from({ length: 400 }, () => peers[0].freshSigner(federation))
  const messages = peers.map((_, p) => Array.from({ length: PER_IDENTITY * seconds }, (_, i) =>
    JSON.stringify(buildQuestion(keys[(p * PER_IDENTITY * seconds + i) % keys.length], { text: `stranger ${p}/${i}: buy now`, scope: 'federation-local' }))))
  process.stderr.write('flooding\n')
  const done = await Promise.all(peers.map(async (h, p) => await flood(h, { targets: [victim], topic, messages: messages[p], ratePerSec: PER_IDENTITY, durationMs: seconds * 1000 })))
  out.sent = done.map((d) => d.delivered)
} catch (err: any) {
  out.error = String(err?.message ?? err)
} finally {
  await Promise.all(peers.map(async (h) => { try { await h.stop() } catch {} }))
}
process.stdout.write(JSON.stringify(out) + '\n')
process.exit(0)
