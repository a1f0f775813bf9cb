// Hostile peers against consensus: an outsider's vote in a closed federation, a proposer that
// lies about risk and hides dynamic execution, content that does not match its hash. Each test
// also shows honest traffic still flowing (the member's vote counts, an honest proposal passes).
import { afterAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { buildProposal, buildVote } from '../../src/envelope/index.ts'
import { PROTOCOL_CONSENSUS, STREAM_TIMEOUT_MS } from '../../src/constants.ts'
import { cleanupHomes, connectDaemons, createDaemon, eventually, startDaemons, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'
import { startHostilePeer, type HostilePeer } from './hostile-peer.ts'

const FED = 'fed:acme'
const sha = (t: string): string => `sha256:${createHash('sha256').update(t, 'utf8').digest('hex')}`

async function contentFile (text: string): Promise<string> {
  const path = join(await tempHome('swarm-content-'), 'content.txt')
  await writeFile(path, text)
  return path
}

/** A signed proposal from `h` plus its content frame, sent to `d`; the answer frame parsed. */
async function propose (h: HostilePeer, d: TestDaemon, p: { file: string, content: string, claimedRisk?: 'low' | 'medium' | 'high', hashOf?: string, id?: string }): Promise<any> {
  return await send(h, d, buildProposal(h.identity, {
    file: p.file,
    operation: 'create',
    rationale: 'trust me',
    risk: p.claimedRisk ?? 'low',
    reasons: ['small change to a non-core file'],
    contentHash: sha(p.hashOf ?? p.content),
    deadline: Math.ceil((Date.now() + 20_000) / 1000) * 1000
  }, p.id === undefined ? undefined : { id: p.id }), p.content)
}

async function send (h: HostilePeer, d: TestDaemon, proposal: object, content: string, previous: string | null = null): Promise<any> {
  const [answer] = await h.exchange(`${d.tcpAddr}`, PROTOCOL_CONSENSUS, [JSON.stringify(proposal), JSON.stringify({ content, 'previous-content': previous })])
  return JSON.parse(answer)
}

describe('adversarial: a hostile proposer cannot pass evasive dynamic code as low risk', () => {
  const daemons: TestDaemon[] = []
  let h: HostilePeer
  afterAll(async () => { await h?.stop(); await stopAll(daemons); await cleanupHomes() })

  it('the voter judges the content itself: evasive eval voted no, a mismatched hash refused, an honest change voted yes', async () => {
    daemons.push(...await startDaemons([{}], 'none'))
    const [voter] = daemons
    h = await startHostilePeer({ federation: 'fed:test' })
    await h.connect(voter.tcpAddr)

    for (const evasive of [
      "export const run = (s) => globalThis['ev' + 'al'](s)\n",
      "export const make = (s) => Reflect.construct(Function, [s])\n",
      "export const sh = (c) => process.getBuiltinModule('child_' + 'process').execSync(c)\n"
    ]) {
      const vote = await propose(h, voter, { file: 'notes/helper.js', content: evasive })
      expect(vote).toMatchObject({ type: 'swarm/vote', vote: 'no' })
      expect(vote.reason).toMatch(/high risk/)
    }
    const unparseable = await propose(h, voter, { file: 'src/tools/x.js', content: 'function (' })
    expect(unparseable).toMatchObject({ vote: 'no' })
    expect(unparseable.reason).toMatch(/unparseable/)

    const swapped = await propose(h, voter, { file: 'notes/helper.js', content: "globalThis['ev' + 'al'](x)", hashOf: 'export const x = 1\n' })
    expect(swapped).toMatchObject({ status: 'refused', reason: 'bad-content' })

    // honest traffic: a small plain change from the same peer is approved
    const honest = await propose(h, voter, { file: 'notes/helper.js', content: 'export const greeting = "hello"\n' })
    expect(honest).toMatchObject({ type: 'swarm/vote', vote: 'yes', sender: { 'node/id': voter.nodeId } })

    // judging costs CPU: a proposer that keeps proposing is refused for a while, then heard again
    // all at once, so the refill during the burst cannot matter however slow the machine
    const burst = await Promise.all(Array.from({ length: 16 }, async (_, i) => await propose(h, voter, { file: `notes/n${i}.md`, content: `note ${i}\n` })))
    expect(burst.some((a) => a.status === 'refused' && a.reason === 'rate-limited')).toBe(true)
    await eventually(async () => (await propose(h, voter, { file: 'notes/later.md', content: 'later\n' })).vote === 'yes', { what: 'heard again', timeoutMs: 20_000, intervalMs: 1500 })
  })

  it('a copy of a proposal id under another key is refused, so it cannot make the voter refuse the real one as a duplicate', async () => {
    const [voter] = daemons
    // the proposer and a member who saw its proposal (and races a copy of its id to this voter)
    const proposer = await startHostilePeer({ federation: 'fed:test' })
    const copier = await startHostilePeer({ federation: 'fed:test' })
    try {
      await proposer.connect(voter.tcpAddr)
      await copier.connect(voter.tcpAddr)
      const real = buildProposal(proposer.identity, {
        file: 'notes/real.md', operation: 'create', rationale: 'a note', risk: 'low', reasons: [],
        contentHash: sha('real\n'), deadline: Math.ceil((Date.now() + 20_000) / 1000) * 1000
      })
      const copy = await propose(copier, voter, { file: 'notes/copy.md', content: 'copy\n', id: real.id })
      expect(copy).toMatchObject({ status: 'refused', reason: 'key-mismatch' })
      const vote = await send(proposer, voter, real, 'real\n')
      expect(vote).toMatchObject({ type: 'swarm/vote', vote: 'yes', 'proposal/id': real.id })
      // the same proposal again is still one proposal per id
      expect(await send(proposer, voter, real, 'real\n')).toMatchObject({ status: 'refused', reason: 'duplicate' })
      // honest traffic from the copier: its own proposal is voted on
      expect(await propose(copier, voter, { file: 'notes/own.md', content: 'own\n' })).toMatchObject({ type: 'swarm/vote', vote: 'yes' })

      // a first frame longer than a proposal's 128 KiB is refused at its length prefix: the
      // voter resets the stream at once instead of buffering up to the content frame's 4 MiB
      const stream = await copier.node.dialProtocol(multiaddr(voter.tcpAddr), PROTOCOL_CONSENSUS, { signal: AbortSignal.timeout(10_000) })
      const started = Date.now()
      stream.send(Uint8Array.from([0x80, 0x80, 0x40, ...new Uint8Array(64)])) // varint 1 MiB, then a little
      await expect(lpStream(stream).read({ signal: AbortSignal.timeout(30_000) })).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(STREAM_TIMEOUT_MS)
      stream.abort(new Error('done'))
      // while a content frame of 3 MiB (512 Ki CJK characters, new and previous) is still read and judged
      const big = '字'.repeat(512 * 1024)
      const judged = await send(copier, voter, buildProposal(copier.identity, {
        file: 'notes/big.md', operation: 'modify', rationale: 'a long note', risk: 'low', reasons: [],
        contentHash: sha(big), deadline: Math.ceil((Date.now() + 20_000) / 1000) * 1000
      }), big, big)
      expect(judged).toMatchObject({ type: 'swarm/vote' })
    } finally {
      await proposer.stop()
      await copier.stop()
    }
  })
})

describe('adversarial: an outsider\'s vote in a closed federation is not counted', () => {
  const daemons: TestDaemon[] = []
  let h: HostilePeer
  afterAll(async () => { await h?.stop(); await stopAll(daemons); await cleanupHomes() })

  it('the electorate is the certified members; the member\'s vote counts, the stranger is never asked', async () => {
    const root = await createDaemon({ federation: FED })
    const member = await createDaemon({ federation: FED })
    daemons.push(root, member)
    const created = await root.json(['federation', 'create', FED])
    const memberId = JSON.parse(await readFile(join(member.home, 'key'), 'utf8')).nodeId
    const issued = await root.cli(['federation', 'issue', memberId])
    const certFile = join(member.home, '..', 'member.cert.json')
    await writeFile(certFile, issued.stdout)
    await member.json(['federation', 'join', certFile, '--trust-issuer', created.fingerprint])
    await Promise.all([root.start(), member.start()])
    await connectDaemons([root, member], 'full')
    await eventually(async () => (await root.json(['federation', 'status'])).members.some((m: any) => m.nodeId === member.nodeId && m.valid), { what: 'root knows the member' })

    // the stranger claims the federation and answers any proposal with a yes signed as fed:acme
    h = await startHostilePeer({ federation: FED })
    let asked = 0
    await h.libp2p.handle(PROTOCOL_CONSENSUS, async (stream: any) => {
      asked++
      const lp = lpStream(stream)
      const proposal = JSON.parse(new TextDecoder().decode((await lp.read()).subarray()))
      await lp.read()
      await lp.write(new TextEncoder().encode(JSON.stringify(buildVote(h.identity, { proposalId: proposal.id, vote: 'yes', reason: 'I am a member, honest' }))))
      await stream.close()
    }, { runOnLimitedConnection: true })
    await h.connect(root.tcpAddr)
    await eventually(async () => (await root.json(['peers'])).some((p: any) => p.peerId === h.libp2p.peerId.toString()), { what: 'stranger connected' })

    const low = await root.json(['consensus', 'propose', '--file', 'notes/a.md', '--operation', 'create', '--content-file', await contentFile('hello\n'), '--timeout', '8'])
    expect(low).toMatchObject({ electorate: 'closed', electors: [root.nodeId, member.nodeId], eligible: 2, yes: 2, consensus: true, reason: 'approved' })
    expect(low.votes.map((v: any) => v.voter).sort()).toEqual([root.nodeId, member.nodeId].sort())
    expect(low.excluded).toContainEqual(expect.objectContaining({ nodeId: h.identity.nodeId, reason: expect.stringMatching(/^not-member/) }))
    expect(asked).toBe(0)

    // with a change the member rejects, the stranger's yes would have tipped nothing either
    const risky = await root.json(['consensus', 'propose', '--file', 'notes/b.js', '--operation', 'create', '--content-file', await contentFile("globalThis['ev'+'al']('1')\n"), '--timeout', '8'])
    expect(risky).toMatchObject({ consensus: false, eligible: 2, yes: 0, no: 2 })
    expect(asked).toBe(0)
  }, 240_000)
})
