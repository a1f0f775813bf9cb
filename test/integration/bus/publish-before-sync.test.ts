// A node's own channel envelope goes to the swarm while its synced store write runs: peers do not
// wait for this node's disk. The caller (here `contribute`, as `swarm answer`) is answered only
// once that write is done, so what it was told was sent survives a crash (src/bus/outbox.ts).

import { afterAll, describe, expect, it } from 'vitest'
import { connect, startBusNode, stopBusNodes, until } from '../../helpers/bus-nodes.ts'

describe('own channel envelopes and the synced write', () => {
  afterAll(async () => { await stopBusNodes() })

  it('a peer holds the contribution while its author is still syncing it; the author answers after the sync', async () => {
    const [a, b] = await Promise.all([startBusNode(), startBusNode()])
    await connect(b, a)
    const { id } = await a.bus.ask({ text: 'Which port does the relay use?', ttlSec: 300 })
    await until(async () => (await b.bus.list()).some((x) => x.id === id), { what: 'b gets the question' })
    await b.bus.join(id, 'watcher')
    await until(() => a.bus.ctx.book.channels.get(id)?.participants.has(b.identity.nodeId) === true, { what: 'a sees b join' })

    // a's synced writes wait until the test lets them through
    const store = a.bus.store
    const put = store.putEntry.bind(store)
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    let gated = 0
    store.putEntry = async (qid, e, sync) => {
      if (sync === true) { gated++; await gate }
      await put(qid, e, sync)
    }
    let answered = false
    const contributing = a.bus.contribute(id, { kind: 'fact', text: '4001, unless config.json says otherwise', confidence: 0.9 }).then((r) => { answered = true; return r })
    const held = (): boolean => b.bus.ctx.book.channels.get(id)?.contributions().some((e) => e.envelope.sender['node/id'] === a.identity.nodeId) === true
    await until(held, { what: 'b holds a\'s contribution' })
    expect(gated).toBeGreaterThan(0)
    expect(answered).toBe(false)

    release()
    const { id: cid } = await contributing
    expect(answered).toBe(true)
    store.putEntry = put
    // and it is on a's disk
    expect((await store.entries(id)).some((e) => e.id === cid)).toBe(true)
  })
})
