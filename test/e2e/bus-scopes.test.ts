import { afterAll, describe, expect, it } from 'vitest'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

async function has (d: TestDaemon, id: string, all = false): Promise<any> {
  const list = await d.json(all ? ['questions', '--all'] : ['questions'])
  return list.find((q: any) => q.id === id)
}

/** Every byte under a home (db, logs), as latin1 text, to look for a plaintext. */
async function homeBytes (dir: string): Promise<string> {
  let out = ''
  for (const name of await readdir(dir)) {
    const p = join(dir, name)
    const st = await stat(p)
    if (st.isDirectory()) out += await homeBytes(p)
    else if (st.isFile()) out += (await readFile(p)).toString('latin1')
  }
  return out
}

describe('question bus: scopes across two federations', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('federation-local, global, cross-federation and private reach exactly their audience', async () => {
    daemons.push(...await startDaemons([
      { federation: 'fed:a', config: fast },
      { federation: 'fed:a', config: fast },
      { federation: 'fed:b', config: fast },
      { federation: 'fed:b', config: fast }
    ], 'full'))
    const [a1, a2, b1, b2] = daemons

    const local = await a1.json(['ask', 'federation-local question', '--ttl', '120'])
    expect(local.envelope.delivery.scope).toBe('federation-local')
    await eventually(async () => await has(a2, local.id), { what: 'fed:a peer gets the federation-local question' })

    const global = await a1.json(['ask', 'global question', '--scope', 'global', '--ttl', '120'])
    for (const d of [a2, b1, b2]) await eventually(async () => await has(d, global.id), { what: 'global question reaches every node' })

    const cross = await b1.json(['ask', 'cross-federation question', '--scope', 'cross-federation', '--federation', 'fed:a', '--ttl', '120'])
    for (const d of [a1, a2, b2]) await eventually(async () => await has(d, cross.id), { what: 'cross-federation question reaches both federations' })

    // the global and cross-federation questions came later over the same links: fed:b never had the local one
    for (const d of [b1, b2]) expect(await has(d, local.id, true)).toBeUndefined()

    const secret = 'private question: the vault code is 7413'
    const priv = await a1.json(['ask', secret, '--to', b1.nodeId, '--ttl', '120'])
    expect(priv.envelope.delivery.scope).toBe('private')
    const got = await eventually(async () => await has(b1, priv.id), { what: 'recipient gets the private question' })
    expect(got.text).toBe(secret)
    // the recipient answers into a sealed channel; the asker reads it
    const ans = await b1.json(['answer', priv.id, 'use the side door', '--kind', 'fact', '--confidence', '0.7'])
    const shown = await eventually(async () => {
      const s = await a1.json(['show', priv.id])
      return s.contributions.length === 1 ? s : undefined
    }, { what: 'asker reads the sealed contribution' })
    expect(shown.contributions[0]).toMatchObject({ id: ans.id, text: 'use the side door' })

    // the others relayed the sealed bytes (they listen on swarm/1/private) but cannot read them
    for (const d of [a2, b2]) {
      const stats = await d.json(['stats'])
      expect(stats.topics).toContain('swarm/1/private')
      expect(await has(d, priv.id, true)).toBeUndefined()
      const bytes = await homeBytes(d.home)
      expect(bytes).not.toContain('vault code')
      expect(bytes).not.toContain('side door')
    }
    expect(await homeBytes(b1.home)).toContain('vault code')

    const stats = await a2.json(['stats'])
    expect(stats.topics).toEqual(expect.arrayContaining(['swarm/1/fed/fed:a/questions', 'swarm/1/global/questions']))
    expect(stats.questions.open).toBeGreaterThanOrEqual(2)
  })
})
