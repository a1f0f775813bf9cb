// /swarm/open/1.0.0 on a real bus node (in process): a hostile peer with its own key speaking the
// wire directly gets stable error codes for garbage and an oversized frame, is never told of a
// private or closed question, nor of another federation's; honest requests keep being answered.

import { afterAll, describe, expect, it } from 'vitest'
import { PROTOCOL_OPEN_QUESTIONS } from '../../../src/bus/core/open-questions.ts'
import { MAX_FRAME_BYTES } from '../../../src/constants.ts'
import { startHostilePeer, type HostilePeer } from '../../adversarial/hostile-peer.ts'
import { connect, startBusNode, stopBusNodes, until } from '../../helpers/bus-nodes.ts'

const FED_TOPIC = 'swarm/1/fed/fed:it/questions'

describe('/swarm/open/1.0.0 served by the bus', () => {
  let hostile: HostilePeer | undefined
  afterAll(async () => { await hostile?.stop(); await stopBusNodes() })

  it('lists open questions in the clear on the asked topics; refuses garbage with stable codes', async () => {
    const [a, b] = await Promise.all([startBusNode(), startBusNode()])
    await connect(b, a)
    const open = await a.bus.ask({ text: 'Which port does the relay use?', ttlSec: 300 })
    const closed = await a.bus.ask({ text: 'Already answered?', ttlSec: 300 })
    await a.bus.close(closed.id, {})
    const secret = await a.bus.ask({ text: 'A private one', ttlSec: 300, scope: 'private', to: [b.identity.nodeId] })
    await until(async () => (await b.bus.list()).some((x) => x.id === secret.id), { what: 'b gets the private question' })

    hostile = await startHostilePeer({ federation: 'fed:it' })
    const addr = `${a.libp2p.getMultiaddrs()[0].toString()}`
    const ask = async (frame: string | Uint8Array): Promise<unknown> => {
      const [res] = await hostile!.exchange(addr, PROTOCOL_OPEN_QUESTIONS, [frame])
      return res === undefined ? undefined : JSON.parse(res)
    }
    expect(await ask('nope')).toEqual({ error: 'bad-json' })
    expect(await ask(JSON.stringify({ topics: 'x' }))).toEqual({ error: 'bad-request' })
    expect(await ask(JSON.stringify({ topics: [FED_TOPIC], limit: -1 }))).toEqual({ error: 'bad-request' })
    expect(await ask(new Uint8Array(MAX_FRAME_BYTES + 1))).toBeUndefined() // over the frame cap: the stream is aborted
    expect(await ask(JSON.stringify({ topics: ['swarm/1/fed/fed:other/questions', 'swarm/1/private'] }))).toEqual({ questions: [] })

    // the honest request, after all that, from the asker and from a member that received it
    for (const n of [a, b]) {
      const [text] = await hostile.exchange(`${n.libp2p.getMultiaddrs()[0].toString()}`, PROTOCOL_OPEN_QUESTIONS, [JSON.stringify({ topics: [FED_TOPIC] })])
      const res = JSON.parse(text) as { questions: string[] }
      const ids = res.questions.map((w) => JSON.parse(w).id)
      expect(ids).toContain(open.id)
      if (n === a) expect(ids).not.toContain(closed.id) // the asker holds its close
      expect(ids).not.toContain(secret.id)
      expect(res.questions.join('\n')).not.toContain('A private one')
    }
  })
})
