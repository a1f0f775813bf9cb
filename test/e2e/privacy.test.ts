// What leaves a node (issue 23): a stranger with its own keys in the open federation, and a
// non-member of a closed one, try to read a node's reflections through the knowledge protocol and
// through questions made of a reflection's unique words; in the same runs honest peers still
// get what was shared. Then every file a relaying node wrote is read for plaintext that must
// never have reached it.

import { afterAll, describe, expect, it } from 'vitest'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cleanupHomes, connectDaemons, createDaemon, eventually, startDaemons, stopAll, watchEvents, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

async function filesUnder (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await filesUnder(p))
    else if (e.isFile()) out.push(p)
  }
  return out
}

/** The files under `home` whose bytes contain `text`. */
async function filesContaining (home: string, text: string): Promise<string[]> {
  const hits: string[] = []
  for (const f of await filesUnder(home)) {
    if ((await readFile(f)).includes(Buffer.from(text))) hits.push(f)
  }
  return hits
}

const fromNode = (show: any, nodeId: string, citing: string): any[] =>
  show.contributions.filter((c: any) => c.sender['node/id'] === nodeId && c.sources.includes(citing))

describe('privacy: a stranger in the open federation', () => {
  const daemons: TestDaemon[] = []
  const watchers: Array<{ stop: () => void }> = []
  afterAll(async () => { for (const w of watchers) w.stop(); await stopAll(daemons); await cleanupHomes() })

  let a: TestDaemon, relay: TestDaemon, stranger: TestDaemon
  let ran: { events: any[] }
  let kept: any, later: any
  // a reflection that is shared later, and one that never leaves a
  const LATER = 'zebrafinch quasar calibration: pin the nimbus cache to the second disk'
  const KEPT = 'marmoset obsidian host db7.internal.example holds the payroll export'
  const PRIVATE = 'pangolin tessellate: why does the ledger drift on node seven'

  it('a local reflection reaches neither the stranger\'s knowledge query nor its question', async () => {
    // the relay runs at the default log level: what it writes is what an operator keeps
    daemons.push(...await startDaemons([{ config: fast }, { config: { ...fast, log: { level: 'info' } } }, { config: fast }], 'full'))
    ;[a, relay, stranger] = daemons
    const w = watchEvents(a, 'answerer:ran')
    watchers.push(w)
    ran = w
    await eventually(async () => (await a.json(['peers'])).length === 2, { what: 'a sees two peers' })

    later = await a.json(['reflect', 'add', '--description', LATER, '--outcome', 'success', '--tag', 'nimbus'])
    kept = await a.json(['reflect', 'add', '--description', KEPT, '--outcome', 'success', '--recommendation', 'ask finance first'])
    expect(later.visibility).toBe('local')
    expect((await a.json(['reflect', 'show', kept.id])).visibility).toBe('local')
    expect((await a.cli(['reflect', 'list'])).stdout).toContain('local')
    // the node itself finds both
    expect((await a.json(['knowledge', 'marmoset', 'obsidian'])).map((i: any) => i.id)).toEqual([kept.id])

    // the stranger's knowledge query: a answers (honest traffic flows), with nothing of them
    const k = await stranger.json(['knowledge', 'zebrafinch', 'quasar', 'marmoset', 'obsidian'])
    expect(k.length).toBe(0)
    const full = await stranger.cli(['knowledge', 'marmoset', 'obsidian', '--json'])
    expect(full.code).toBe(0)

    // the stranger's question made of those words: a's default reflections answerer runs and drafts nothing
    const q = await stranger.json(['ask', 'zebrafinch quasar nimbus calibration marmoset obsidian?'])
    const run = await eventually(() => ran.events.find((e) => e.questionId === q.id), { what: 'a\'s reflections answerer ran on the question' })
    expect(run).toMatchObject({ answerer: 'reflections', drafts: 0, posted: [] })
    const shown = await stranger.json(['show', q.id])
    expect(fromNode(shown, a.nodeId, later.id)).toEqual([])
    expect(JSON.stringify(shown)).not.toContain('obsidian host')
  })

  it('after reflect share both find it; unshare stops a serving it', async () => {
    const shared = await a.json(['reflect', 'share', later.id])
    expect(shared).toMatchObject({ id: later.id, shared: true, visibility: 'shared' })
    expect((await a.json(['reflect', 'show', later.id])).visibility).toBe('shared')

    // knowledge: a itself serves it now (the stranger also stores it from the share: sources tell them apart)
    const found = await eventually(async () => {
      const items = await stranger.json(['knowledge', 'zebrafinch', 'quasar'])
      return items.find((i: any) => i.id === later.id && i.sources.includes(a.nodeId))
    }, { what: 'the stranger\'s knowledge finds the shared reflection at a' })
    expect(found).toMatchObject({ description: LATER, author: a.nodeId })

    // a question of those words: a contributes it, citing the reflection
    const q = await stranger.json(['ask', 'zebrafinch quasar nimbus calibration?'])
    const cited = await eventually(async () => { const l = fromNode(await stranger.json(['show', q.id]), a.nodeId, later.id); return l.length > 0 ? l : undefined }, { what: 'a answers from the shared reflection' })
    expect(cited[0]).toMatchObject({ kind: 'fact', text: LATER })
    // the local one still stays home
    expect((await stranger.json(['knowledge', 'marmoset', 'obsidian'])).length).toBe(0)

    const un = await a.json(['reflect', 'unshare', later.id])
    expect(un).toEqual({ id: later.id, visibility: 'local' })
    const after = await stranger.json(['knowledge', 'zebrafinch', 'quasar'])
    // what the stranger already holds stays its own; a no longer serves it
    for (const i of after.filter((x: any) => x.id === later.id)) expect(i.sources).not.toContain(a.nodeId)
  })

  it('a reflection learned from a private question is served to its recipients only', async () => {
    const p = await stranger.json(['ask', PRIVATE, '--scope', 'private', '--to', a.nodeId])
    await eventually(async () => (await a.json(['questions'])).some((x: any) => x.id === p.id), { what: 'the private question reaches a' })
    const learned = await a.json(['reflect', 'add', '--description', 'pangolin tessellate: the ledger drifts because node seven skips leap seconds', '--outcome', 'success', '--question', p.id, '--share'])
    expect(learned).toMatchObject({ shared: true, recipients: 0, direct: 0, visibility: 'shared' })
    expect((await a.json(['reflect', 'show', learned.id])).scope).toEqual({ federation: 'fed:test', question: p.id, recipients: expect.arrayContaining([stranger.nodeId]) })
    // the asker (a recipient) is served it; the relay, a member of the same federation, is not
    const asker = await stranger.json(['knowledge', 'pangolin', 'tessellate', 'leap'])
    expect(asker.find((i: any) => i.id === learned.id)?.sources).toContain(a.nodeId)
    expect((await relay.json(['knowledge', 'pangolin', 'tessellate', 'leap'])).map((i: any) => i.id)).not.toContain(learned.id)
  })

  it('the relay wrote no plaintext of a local reflection or of a private question it is not a recipient of', async () => {
    await relay.stop()
    // a positive control: what was shared legitimately is readable in the relay's files
    expect((await filesContaining(relay.home, 'zebrafinch quasar')).length).toBeGreaterThan(0)
    // (the stranger's question carried the words "marmoset obsidian" itself; the reflection's own text never travelled)
    expect(await filesContaining(relay.home, 'obsidian host')).toEqual([])
    expect(await filesContaining(relay.home, 'db7.internal.example')).toEqual([])
    expect(await filesContaining(relay.home, 'ask finance first')).toEqual([])
    expect(await filesContaining(relay.home, 'pangolin tessellate')).toEqual([])
    expect(await filesContaining(relay.home, 'leap seconds')).toEqual([])
  })
})

describe('privacy: a non-member of a closed federation', () => {
  const FED = 'fed:acme'
  const closedFast = { ...fast, federation: { announceSec: 2 } }
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  const nodeIdOf = async (d: TestDaemon): Promise<string> => JSON.parse(await readFile(join(d.home, 'key'), 'utf8')).nodeId
  const knowsMember = async (d: TestDaemon, nodeId: string): Promise<boolean> =>
    (await d.json(['federation', 'status'])).members.some((m: any) => m.nodeId === nodeId && m.valid === true)

  it('gets nothing of the federation\'s shared reflections, while a member gets them', async () => {
    const root = await createDaemon({ federation: FED, config: closedFast })
    const member = await createDaemon({ federation: FED, config: closedFast })
    const outsider = await createDaemon({ federation: FED, config: closedFast })
    daemons.push(root, member, outsider)
    const rootPub = (await root.json(['federation', 'create', FED])).root
    const issued = await root.cli(['federation', 'issue', await nodeIdOf(member)])
    expect(issued.code).toBe(0)
    const certFile = join(member.home, '..', 'member.cert.json')
    await writeFile(certFile, issued.stdout)
    await member.json(['federation', 'join', certFile, '--root', rootPub])
    // the outsider trusts the same root but holds no certificate
    await writeFile(join(outsider.home, 'config.json'), JSON.stringify({ node: { federation: FED }, listen: ['/ip4/127.0.0.1/tcp/0'], ...closedFast, federation: { ...closedFast.federation, mode: 'closed', roots: [{ pubkey: rootPub }] } }))
    await Promise.all(daemons.map(async (d) => { await d.start() }))
    await connectDaemons(daemons, 'full')
    const rootId = await nodeIdOf(root)
    await eventually(async () => await knowsMember(root, await nodeIdOf(member)) && await knowsMember(member, rootId) && await knowsMember(outsider, rootId), { what: 'members learn each other' })

    const r = await root.json(['reflect', 'add', '--description', 'okapi filament: the acme build cache lives on the second volume', '--outcome', 'success', '--share'])
    expect(r).toMatchObject({ shared: true, visibility: 'shared' })

    // the member gets it (pushed member to member) and its knowledge finds it at root
    await eventually(async () => (await member.json(['reflect', 'list', '--source', 'swarm'])).some((x: any) => x.id === r.id), { what: 'the member stores the shared reflection' })
    const mk = await member.json(['knowledge', 'okapi', 'filament'])
    expect(mk.find((i: any) => i.id === r.id)?.sources).toContain(rootId)

    // the outsider: its knowledge query is refused by every member, and nothing was sent to it
    const ok = await outsider.cli(['knowledge', 'okapi', 'filament', '--json'])
    expect(ok.code).toBe(0)
    expect(ok.json).toEqual([])
    await eventually(async () => ((await root.json(['stats'])).envelopes.rejected['not-member'] ?? 0) >= 1, { what: 'root refuses the outsider (not-member)' })
    // a later share reaches the member again, never the outsider
    const r2 = await root.json(['reflect', 'add', '--description', 'okapi filament two: rotate the acme cache weekly', '--outcome', 'success', '--share'])
    await eventually(async () => (await member.json(['reflect', 'list', '--source', 'swarm'])).some((x: any) => x.id === r2.id), { what: 'the member stores the second one' })
    expect(await outsider.json(['reflect', 'list', '--source', 'swarm'])).toEqual([])
    expect(await filesContaining(outsider.home, 'okapi filament')).toEqual([])
  })
})
