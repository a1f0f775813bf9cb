import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { BIN, NODE, ROOT, cleanupHomes, connectDaemons, eventually, startDaemons, stopAll, tempHome, watchEvents, type TestDaemon } from '../helpers/daemons.ts'

async function contentFile (text: string): Promise<string> {
  const path = join(await tempHome('swarm-content-'), 'content.txt')
  await writeFile(path, text)
  return path
}

const SMALL = 'A note for the agent.\nIt says hello.\n'
const GREETING = "export function greeting (name: string): string {\n  return `Hello, ${name}!`\n}\n"

/** `swarm --home … ARGS --json` run from `cwd` (the CLI reads --file there as the previous version). */
async function cliIn (cwd: string, d: TestDaemon, args: string[]): Promise<any> {
  const { stdout } = await promisify(execFile)(NODE, [BIN, '--home', d.home, ...args, '--json'], { cwd, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWARM_'))), timeout: 60_000 })
  return JSON.parse(stdout)
}

/** The open-federation electorate is the connected peers whose signed advert names it: wait for the adverts. */
async function adverts (d: TestDaemon, n: number): Promise<void> {
  await eventually(async () => (await d.json(['capabilities'])).peers.length >= n, { what: `${n} adverts known`, timeoutMs: 20_000 })
}
const EVAL = 'export function run (code) {\n  return eval(code)\n}\n'

describe('consensus: three auto voters, another federation beside them', () => {
  const daemons: TestDaemon[] = []
  const watchers: Array<{ stop: () => void }> = []
  afterAll(async () => { for (const w of watchers) w.stop(); await stopAll(daemons); await cleanupHomes() })

  it('approves a low-risk change, rejects eval, audits, emits events, and the gate runs or blocks', async () => {
    daemons.push(...await startDaemons([{}, {}, {}], 'full'))
    const [a, b, c] = daemons
    const [other] = await startDaemons([{ federation: 'fed:other' }], 'none')
    daemons.push(other)
    await connectDaemons([a, other], 'full')
    await eventually(async () => (await a.json(['peers'])).length === 3, { what: 'a sees three peers' })
    await adverts(a, 2)

    const events = watchEvents(a, 'swarm:consensus-result')
    watchers.push(events)
    // the events stream is subscribed before the first proposal
    await eventually(async () => {
      const s = await a.json(['stats'])
      return s.nodeId === a.nodeId
    })
    await new Promise((resolve) => setTimeout(resolve, 500))

    const low = await a.json(['consensus', 'propose', '--file', 'notes/hello.md', '--operation', 'create', '--content-file', await contentFile(SMALL), '--rationale', 'greet', '--timeout', '5'])
    expect(low).toMatchObject({ consensus: true, reason: 'approved', risk: 'low', yes: 3, eligible: 3, electorate: 'open' })
    expect([...low.electors].sort()).toEqual([a.nodeId, b.nodeId, c.nodeId].sort())
    expect(low.id).toMatch(/^proposal:[0-9A-Z]{26}$/)
    expect(low.reasons.length).toBeGreaterThan(0)
    expect(low.votes.map((v: any) => v.voter).sort()).toEqual([a.nodeId, b.nodeId, c.nodeId].sort())
    for (const v of low.votes) expect(v).toMatchObject({ vote: 'yes', reason: expect.any(String) })
    expect(low.silent).toEqual([])
    // the peer of another federation has no advert naming ours: not an elector, never asked
    expect(low.excluded).toEqual([expect.objectContaining({ peerId: other.peerId, reason: expect.stringMatching(/no-advert|wrong-federation/) })])

    const risky = await a.json(['consensus', 'propose', '--file', 'notes/run.js', '--operation', 'create', '--content-file', await contentFile(EVAL), '--timeout', '5'])
    expect(risky).toMatchObject({ consensus: false, reason: 'rejected', risk: 'high', yes: 0, no: 3, eligible: 3, dynamicExecution: true })
    expect(risky.reasons.some((r: string) => r.includes('eval'))).toBe(true)
    for (const v of risky.votes) expect(v.vote).toBe('no')

    // stored with its votes and audited: proposal, each vote, result
    const stored = await a.json(['consensus', 'get', low.id])
    expect(stored.role).toBe('proposer')
    expect(stored.result).toMatchObject({ id: low.id, consensus: true })
    expect(stored.voteEnvelopes).toHaveLength(2)
    const kinds = stored.audit.map((e: any) => e.kind)
    expect(kinds.filter((k: string) => k === 'consensus.proposal')).toHaveLength(1)
    expect(kinds.filter((k: string) => k === 'consensus.vote')).toHaveLength(2)
    expect(kinds.filter((k: string) => k === 'consensus.result')).toHaveLength(1)
    const voterSide = await b.json(['consensus', 'get', low.id])
    expect(voterSide).toMatchObject({ role: 'voter', state: 'voted', vote: { type: 'swarm/vote', 'proposal/id': low.id, vote: 'yes' } })
    expect(voterSide.audit.map((e: any) => e.kind)).toEqual(['consensus.proposal-received', 'consensus.vote-cast'])

    const seen = await eventually(() => events.events.length >= 2 ? events.events : undefined, { what: 'two consensus-result events' })
    expect(seen.map((e: any) => e.type)).toEqual(['swarm:consensus-result', 'swarm:consensus-result'])
    expect(seen.map((e: any) => e.id)).toEqual([low.id, risky.id])
    expect(seen[0]).toMatchObject({ consensus: true, reason: 'approved', yes: 3, eligible: 3 })
    expect(seen[1]).toMatchObject({ consensus: false, reason: 'rejected' })

    // the gate: approved → runs COMMAND (its own flags pass through) and exits with its status
    const ran = await a.cli(['consensus', 'gate', '--file', 'notes/hello.md', '--content-file', await contentFile(SMALL), '--timeout', '5', '--', 'sh', '-c', 'echo ran "$0"; exit 3', '--flag'])
    expect(ran.code).toBe(3)
    expect(ran.stdout).toBe('ran --flag\n')
    expect(ran.stderr).toContain('approved')
    // blocked → exit 4, says why, does not run it
    const marker = join(await tempHome('swarm-gate-'), 'ran')
    const blocked = await a.cli(['consensus', 'gate', '--file', 'notes/run.js', '--content-file', await contentFile(EVAL), '--timeout', '5', '--', 'touch', marker])
    expect(blocked.code).toBe(4)
    expect(blocked.stderr).toContain('blocked')
    expect(blocked.stderr).toContain('rejected')
    expect(existsSync(marker)).toBe(false)
    // usage: no --file
    const usage = await a.cli(['consensus', 'gate', '--', 'true'])
    expect(usage.code).toBe(2)
  })
})

describe('consensus: ask voters', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('silent voters at the deadline count as not yes; an operator votes through the CLI', async () => {
    const ask = { config: { consensus: { vote: 'ask' } } }
    daemons.push(...await startDaemons([{}, ask, ask], 'full'))
    const [a, b, c] = daemons
    await adverts(a, 2)

    // nobody answers: the deadline passes and both ask voters are silent
    const first = a.json(['consensus', 'propose', '--file', 'notes/a.md', '--operation', 'create', '--content-file', await contentFile(SMALL), '--timeout', '3'])
    const pending = await eventually(async () => {
      const p = await b.json(['consensus', 'pending'])
      return p.length === 1 ? p : undefined
    }, { what: 'b has a pending proposal', timeoutMs: 10_000, intervalMs: 100 })
    expect(pending[0]).toMatchObject({ proposer: a.nodeId, file: 'notes/a.md', operation: 'create', risk: 'low' })
    const silent = await first
    expect(silent).toMatchObject({ consensus: false, reason: 'rejected', yes: 1, eligible: 3 })
    expect(silent.silent.sort()).toEqual([b.nodeId, c.nodeId].sort())
    expect(silent.votes).toEqual([{ voter: a.nodeId, vote: 'yes', reason: expect.any(String) }])
    // the expired proposal is no longer pending, and a late vote is refused
    await eventually(async () => (await b.json(['consensus', 'pending'])).length === 0, { what: 'pending cleared' })
    const late = await b.cli(['consensus', 'vote', silent.id, 'yes', '--json'])
    expect(late.code).toBe(1)
    expect(late.json.error.code).toBe('expired')

    // b's operator votes yes, c's operator votes no: 2 of 3 → approved
    const second = a.json(['consensus', 'propose', '--file', 'notes/b.md', '--operation', 'create', '--content-file', await contentFile(SMALL), '--timeout', '30'])
    const id = await eventually(async () => {
      const [pb, pc] = await Promise.all([b.json(['consensus', 'pending']), c.json(['consensus', 'pending'])])
      return pb.length === 1 && pc.length === 1 && pb[0].id === pc[0].id ? pb[0].id as string : undefined
    }, { what: 'b and c have the proposal pending', timeoutMs: 15_000, intervalMs: 100 })
    const vb = await b.json(['consensus', 'vote', id, 'yes', '--reason', 'looks fine'])
    expect(vb).toEqual({ id, vote: 'yes', reason: 'looks fine', delivered: true })
    const vc = await c.json(['consensus', 'vote', id, 'no'])
    expect(vc).toMatchObject({ id, vote: 'no', delivered: true })
    const approved = await second
    expect(approved).toMatchObject({ id, consensus: true, reason: 'approved', yes: 2, no: 1, eligible: 3, silent: [] })
    expect(approved.votes).toContainEqual({ voter: b.nodeId, vote: 'yes', reason: 'looks fine' })
    expect(approved.votes).toContainEqual({ voter: c.nodeId, vote: 'no', reason: 'operator: no' })
    const again = await b.cli(['consensus', 'vote', id, 'no', '--json'])
    expect(again.json.error.code).toBe('already-voted')
    const bad = await b.cli(['consensus', 'vote', id, 'maybe'])
    expect(bad.code).toBe(2)
  })
})

describe('consensus: no federation peer to ask', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('a lone node gets its fallback, labelled swarm-unavailable (allow by default, deny when set)', async () => {
    daemons.push(...await startDaemons([{}, { federation: 'fed:other', config: { consensus: { fallback: 'deny' } } }], 'none'))
    const [lone, denier] = daemons
    const allow = await lone.json(['consensus', 'propose', '--file', 'notes/x.md', '--timeout', '3'])
    expect(allow).toMatchObject({ consensus: true, reason: 'swarm-unavailable', eligible: 1 })
    const deny = await denier.json(['consensus', 'propose', '--file', 'notes/x.md', '--timeout', '3'])
    expect(deny).toMatchObject({ consensus: false, reason: 'swarm-unavailable', eligible: 1 })

    // a connected peer of another federation is no voter: still the fallback
    await connectDaemons([lone, denier], 'full')
    await eventually(async () => (await lone.json(['peers'])).length === 1, { what: 'connected' })
    const stillAlone = await lone.json(['consensus', 'propose', '--file', 'notes/x.md', '--timeout', '3'])
    expect(stillAlone).toMatchObject({ consensus: true, reason: 'swarm-unavailable', eligible: 1 })
    expect(stillAlone.excluded).toEqual([expect.objectContaining({ peerId: denier.peerId, reason: expect.stringMatching(/no-advert|wrong-federation/) })])
    const gated = await denier.cli(['consensus', 'gate', '--file', 'notes/x.md', '--timeout', '3', '--', 'true'])
    expect(gated.code).toBe(4)
    expect(gated.stderr).toContain('swarm-unavailable')
  })
})

describe('consensus: the honest default (three daemons with the shipped config)', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('approves a small change to an ordinary source file and rejects a change to a core file', async () => {
    daemons.push(...await startDaemons([{}, {}, {}], 'full'))
    const [a, b, c] = daemons
    await adverts(a, 2)
    const previous = await contentFile(GREETING)
    const changed = await contentFile(GREETING.replace('Hello', 'Hi'))
    const args = (file: string): string[] => ['consensus', 'propose', '--file', file, '--operation', 'modify', '--content-file', changed, '--timeout', '10']
    // the CLI reads --file itself as the previous version when it exists: run it where the file is
    const cwd = join(previous, '..')
    await mkdir(join(cwd, 'src'), { recursive: true })
    await writeFile(join(cwd, 'src', 'greeting.ts'), GREETING)
    const low = await cliIn(cwd, a, args('src/greeting.ts'))
    expect(low).toMatchObject({ consensus: true, reason: 'approved', risk: 'low', yes: 3, no: 0, eligible: 3, electorate: 'open' })
    expect([...low.electors].sort()).toEqual([a.nodeId, b.nodeId, c.nodeId].sort())

    const core = await a.json(['consensus', 'propose', '--file', 'src/index.ts', '--operation', 'modify', '--content-file', changed, '--timeout', '10'])
    expect(core).toMatchObject({ consensus: false, reason: 'rejected', risk: 'high', yes: 0, no: 3, eligible: 3 })
    expect(core.reasons.some((r: string) => r.includes('core file'))).toBe(true)
    for (const v of core.votes) expect(v.reason).toMatch(/core file/)
  })
})
