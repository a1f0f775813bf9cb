// Private questions: a stranger holding every node id in the swarm cannot tell whom a sealed
// envelope is for. The tags derive from the X25519 secret each recipient shares with the
// ephemeral key; the stranger's best tests (a salted hash of a node id, its own agreement with
// the ephemeral key) match nothing, while the real recipients still open it.
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildQuestion, createSigner } from '../../src/envelope/index.ts'
import { createOpener, isRecipient, open, seal } from '../../src/bus/private.ts'

const member = (): { s: ReturnType<typeof createSigner>, seed: Uint8Array } => { const seed = new Uint8Array(randomBytes(32)); return { s: createSigner(seed), seed } }

describe('private recipient tags', () => {
  it('tags are not a function of node ids: a stranger with every id tests none; recipients open', () => {
    const swarm = Array.from({ length: 12 }, member)
    const [asker, bob, carol] = swarm
    const stranger = member()
    const q = buildQuestion(asker.s, { text: 'which of us holds the spare key?', scope: 'private' })
    const sealed = seal(asker.s, { to: [bob.s.nodeId, carol.s.nodeId], envelope: q, ttlSec: 60 })
    const tags = new Set(sealed.recipients.map((r) => r['node/hash']))
    expect(tags.size).toBe(3)
    const eph = Buffer.from(sealed.seal.ephemeral.slice('x25519:'.length), 'hex')
    for (const m of swarm) {
      // what a tag without a secret would be (the previous scheme), and plain hashes of the id
      const guesses = [
        createHash('sha256').update(Buffer.concat([Buffer.from('swarm/sealed.v1 recipient\0'), eph, Buffer.from(m.s.nodeId)])).digest('hex'),
        createHash('sha256').update(m.s.nodeId).digest('hex'),
        createHash('sha256').update(Buffer.concat([eph, Buffer.from(m.s.nodeId)])).digest('hex')
      ]
      for (const g of guesses) expect(tags.has(g)).toBe(false)
    }
    // the stranger's own key is no recipient, and a fresh seal to the same people has unrelated tags
    expect(isRecipient(sealed, createOpener(stranger.s.nodeId, stranger.seed))).toBe(false)
    expect(open(sealed, createOpener(stranger.s.nodeId, stranger.seed))).toBeUndefined()
    const again = seal(asker.s, { to: [bob.s.nodeId, carol.s.nodeId], envelope: q, ttlSec: 60 })
    for (const r of again.recipients) expect(tags.has(r['node/hash'])).toBe(false)
    // honest traffic: both recipients and the asker open it; the others are not recipients
    for (const m of [asker, bob, carol]) {
      expect(isRecipient(sealed, createOpener(m.s.nodeId, m.seed))).toBe(true)
      expect(open(sealed, createOpener(m.s.nodeId, m.seed))?.envelope.id).toBe(q.id)
    }
    for (const m of swarm.slice(3)) expect(isRecipient(sealed, createOpener(m.s.nodeId, m.seed))).toBe(false)
  })

  it('a hostile ephemeral key of low order opens nothing and throws nothing', () => {
    const a = member(); const b = member()
    const sealed = seal(a.s, { to: [b.s.nodeId], envelope: buildQuestion(a.s, { text: 'x', scope: 'private' }), ttlSec: 60 })
    const bad = { ...sealed, seal: { ...sealed.seal, ephemeral: 'x25519:' + '00'.repeat(32) } }
    expect(isRecipient(bad, createOpener(b.s.nodeId, b.seed))).toBe(false)
    expect(open(bad, createOpener(b.s.nodeId, b.seed))).toBeUndefined()
  })
})
