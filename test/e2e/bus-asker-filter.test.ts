// The asker-side model/language filter (issue 24 item 4): the acting node judges each
// contributor by its signed capability advert, not by the contributor's own view of itself.
// Here the contributor received the question while it spoke Polish, then its operator
// reconfigured it to English only: its stored record still says eligible, its new advert does
// not, and the asker must drop its answer. (Before the fix the asker looked for the adverts in
// a place no service had, so only reputation ever applied and this answer was accepted.)

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 }, tasks: { advertIntervalSec: 1 } }

describe('question bus: the asker applies the model and language filters to contributors\' adverts', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('drops an answer from a node whose advert no longer meets the language filter, keeps an honest one', async () => {
    daemons.push(...await startDaemons([
      { federation: 'fed:a', config: { ...fast, node: { languages: ['pl'] } } },
      { federation: 'fed:a', config: { ...fast, node: { languages: ['pl', 'en'] } } },
      { federation: 'fed:a', config: { ...fast, node: { languages: ['pl'] } } }
    ], 'full'))
    const [asker, turncoat, honest] = daemons
    const q = await asker.json(['ask', 'Pytanie po polsku?', '--lang', 'pl', '--ttl', '300'])
    for (const d of [turncoat, honest]) {
      await eventually(async () => (await d.json(['questions'])).some((x: any) => x.id === q.id), { what: 'the Polish speakers get it' })
    }

    // the operator takes Polish off the node: its advert changes, its stored question does not
    await turncoat.stop()
    const file = join(turncoat.home, 'config.json')
    const config = JSON.parse(await readFile(file, 'utf8'))
    config.node.languages = ['en']
    await writeFile(file, JSON.stringify(config, null, 2))
    await turncoat.start()
    await turncoat.json(['connect', asker.tcpAddr])
    await eventually(async () => {
      const caps = await asker.json(['capabilities'])
      return caps.peers.some((p: any) => p.nodeId === turncoat.nodeId && p.languages.join() === 'en')
    }, { what: 'the asker holds the new advert' })

    const refused = await turncoat.cli(['answer', q.id, 'I only speak English now', '--json'])
    expect(refused.code).toBe(1)
    expect(refused.json.error.code).toBe('filtered-out')
    const ok = await honest.json(['answer', q.id, 'Tak, po polsku.', '--kind', 'fact'])

    const shown = await eventually(async () => {
      const s = await asker.json(['show', q.id])
      return s.excluded.length === 1 && s.contributions.length === 1 ? s : undefined
    }, { what: 'the asker keeps the honest answer and excludes the other' })
    expect(shown.contributions[0].id).toBe(ok.id)
    expect(shown.excluded[0]).toMatchObject({ from: turncoat.nodeId, reason: 'filtered-out' })
    expect(shown.excluded[0].detail).toMatch(/pl/)
  })
})
