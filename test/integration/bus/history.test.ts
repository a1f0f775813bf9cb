// Channel history by cursor (/swarm/history/2.0.0) and resumed watches (`watch --since`): a
// client that resumes from the last envelope id it saw gets exactly what it missed, from any
// member.

import { afterAll, describe, expect, it } from 'vitest'
import { decodeJson, encodeJson, request } from '../../../src/net/rpc.ts'
import { PROTOCOL_HISTORY_CURSOR, type CursorPage } from '../../../src/bus/repository.ts'
import type { ChannelEvent } from '../../../src/bus/index.ts'
import { connect, startBusNode, stopBusNodes, until } from '../../helpers/bus-nodes.ts'

describe('channel history by cursor', () => {
  afterAll(async () => { await stopBusNodes() })

  it('pages by envelope id from any member; a resumed watch replays exactly what came after its cursor', async () => {
    const [a, b, c] = await Promise.all([startBusNode(), startBusNode(), startBusNode()])
    await connect(b, a)
    await connect(c, a)
    await connect(c, b)
    const { id } = await a.bus.ask({ text: 'Five facts, please', ttlSec: 300 })
    await until(async () => (await b.bus.list()).some((x) => x.id === id), { what: 'b gets the question' })
    const sent: string[] = []
    for (let i = 0; i < 5; i++) sent.push((await b.bus.contribute(id, { kind: 'fact', text: `fact ${i}`, confidence: 0.5 })).id)
    await until(async () => (await a.bus.show(id) as any).contributions.length === 5, { what: 'the asker holds all five' })

    // page through the asker's copy two at a time
    const page = async (from: typeof a, after?: string): Promise<CursorPage> => decodeJson(await request(c.libp2p, from.libp2p.peerId, PROTOCOL_HISTORY_CURSOR, encodeJson({ question: id, ...(after !== undefined ? { after } : {}), limit: 2 }), { timeoutMs: 10_000 })) as CursorPage
    const ids: string[] = []
    let cursor: string | undefined
    for (let i = 0; i < 20; i++) {
      const p = await page(a, cursor)
      ids.push(...p.envelopes.map((w) => JSON.parse(w).id as string))
      if (p.next === null) break
      expect(p.envelopes.length).toBe(2)
      cursor = p.next
    }
    expect(ids.filter((x) => x.startsWith('contribution:'))).toEqual(sent)
    expect(new Set(ids).size).toBe(ids.length)
    // the same cursor works on another member (ids are the same everywhere)
    const third = sent[2]
    const rest = await page(b, third)
    expect(rest.envelopes.map((w) => JSON.parse(w).id).filter((x: string) => x.startsWith('contribution:'))).toEqual(sent.slice(3, 5))

    // a watcher that saw up to the third contribution resumes with exactly the rest
    const seen: ChannelEvent[] = []
    const ac = new AbortController()
    const done = a.bus.watch(id, (e) => { seen.push(e) }, { signal: ac.signal, since: third })
    await until(() => seen.some((e) => e.type === 'state'), { what: 'the replay' })
    ac.abort()
    await done
    const replayed = seen.filter((e) => e.id !== undefined).map((e) => e.id as string)
    const all = (a.bus.ctx.book.channels.get(id)?.entries ?? []).map((e) => e.id)
    expect(replayed).toEqual(all.slice(all.indexOf(third) + 1))
    expect(replayed.filter((x) => x.startsWith('contribution:'))).toEqual(sent.slice(3))
  })
})
