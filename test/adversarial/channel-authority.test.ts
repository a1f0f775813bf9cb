// Hijack (issue 15 item 1): a stranger with its own keys, speaking gossipsub and
// /swarm/deliver/1.0.0 directly, sends a contribution, a back-dated secretary claim, a fresh
// claim and a close to a channel whose asker is present. The asker stays the authority, the
// channel stays open, the close is refused `not-authorized` (counted), and in the same run an
// honest member's contribution still arrives and the asker's own close still counts.
// Since session 11 the asker sends no `join` at ask time: the question is its first presence
// (src/bus/core/channel.ts, questionAt). Both tests fail without that seed (tried): the
// stranger's claim right after the question would stand, at the honest node in the first and,
// read from history, at a node that joins after the asker went away in the second.

import { afterAll, describe, expect, it } from 'vitest'
import { PROTOCOL_DELIVERY } from '../../src/constants.ts'
import { buildClose, buildContribution, buildQuestion, buildSecretaryClaim, createSigner, type EnvelopeBase } from '../../src/envelope/index.ts'
import { Admission } from '../../src/federation/admission.ts'
import { defaults } from '../../src/config/load.ts'
import { createSwarmNode } from '../../src/net/node.ts'
import { decodeJson, request } from '../../src/net/rpc.ts'
import { newSeed } from '../../src/identity/index.ts'
import { connect, startBusNode, stopBusNodes, until } from '../helpers/bus-nodes.ts'

describe('adversarial: a stranger cannot act for a channel', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const c of cleanups) await c().catch(() => {})
    await stopBusNodes()
  })

  /** The stranger: a bare libp2p node with its own key, no bus, no validators of ours. */
  const startStranger = async (): Promise<{ mallory: Awaited<ReturnType<typeof createSwarmNode>>, mallorySigner: ReturnType<typeof createSigner> }> => {
    const seed = newSeed()
    const { identityFromSeed } = await import('../../src/identity/index.ts')
    const mallory = await createSwarmNode({ privateKey: (await identityFromSeed(seed, 'fed:it')).privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
    await mallory.start()
    cleanups.push(async () => { await mallory.stop() })
    return { mallory, mallorySigner: createSigner(seed, 'fed:it') }
  }

  /** An asker, a member following its question as a watcher, and a stranger on the member's question topic. */
  const memberFollowsWithStranger = async (text: string) => {
    const asker = await startBusNode()
    const member = await startBusNode()
    await connect(member, asker)
    const { mallory, mallorySigner } = await startStranger()
    await connect({ libp2p: mallory }, member)
    const topic = 'swarm/1/fed/fed:it/questions'
    mallory.services.pubsub.subscribe(topic)
    await until(() => mallory.services.pubsub.getSubscribers(topic).some((p) => p.equals(member.libp2p.peerId)), { what: 'the stranger sees the member on the question topic' })
    const { id: qid } = await asker.bus.ask({ text, ttlSec: 300 })
    await until(async () => (await member.bus.list()).some((x) => x.id === qid), { what: 'the member gets the question' })
    await member.bus.join(qid, 'watcher')
    return { asker, member, mallory, mallorySigner, topic, qid }
  }

  it('keeps the asker as authority against a back-dated claim and a forged close, while honest traffic flows', async () => {
    const asker = await startBusNode()
    const honest = await startBusNode()
    await connect(honest, asker)

    const { mallory, mallorySigner } = await startStranger()
    await connect({ libp2p: mallory }, asker)

    const { id: qid } = await asker.bus.ask({ text: 'Who keeps the minutes?', ttlSec: 300 })
    await until(async () => (await honest.bus.list()).some((x) => x.id === qid), { what: 'the honest node gets the question' })

    // channel envelopes ride the question's scope topic (docs/channel-log.md)
    const topic = 'swarm/1/fed/fed:it/questions'
    mallory.services.pubsub.subscribe(topic)
    await until(() => mallory.services.pubsub.getSubscribers(topic).some((p) => p.equals(asker.libp2p.peerId)), { what: 'the stranger sees the asker on the question topic' })

    const contribution = buildContribution(mallorySigner, { questionId: qid, kind: 'fact', text: 'trust me, I am in charge now', confidence: 1 })
    const backdated = buildSecretaryClaim(mallorySigner, { questionId: qid, mode: 'takeover', askerNodeId: asker.identity.nodeId, reason: 'asker missed 3 heartbeats' }, { createdAt: '2000-01-01T00:00:00.000Z' })
    const fresh = buildSecretaryClaim(mallorySigner, { questionId: qid, mode: 'takeover', askerNodeId: asker.identity.nodeId, reason: 'asker missed 3 heartbeats' })
    const close = buildClose(mallorySigner, { questionId: qid, resolution: 'accepted-answer', accepted: [contribution.id], note: 'hijacked' })
    const encode = (e: EnvelopeBase): Uint8Array => new TextEncoder().encode(JSON.stringify(e))
    const push = async (e: EnvelopeBase): Promise<{ ok: boolean, reason?: string }> => decodeJson(await request(mallory, asker.libp2p.peerId, PROTOCOL_DELIVERY, encode(e), { timeoutMs: 10_000 })) as { ok: boolean, reason?: string }

    // pushed directly (the verdict comes back), then the same envelopes on gossip
    const verdicts = []
    for (const e of [backdated, fresh, close]) verdicts.push(await push(e))
    expect(verdicts[0]).toEqual({ ok: false, reason: 'not-authorized' })
    expect(verdicts[2]).toEqual({ ok: false, reason: 'not-authorized' })
    for (const e of [contribution, backdated, fresh, close]) await mallory.services.pubsub.publish(topic, encode(e)).catch(() => {})
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === contribution.id), { what: 'the stranger\'s contribution arrives (anyone may contribute)' })

    const shown = await asker.bus.show(qid) as any
    expect(shown.state).toBe('answered') // open, with the stranger's fact in it: not closed
    expect(shown.secretary).toBe(null)
    expect(shown.close).toBe(null)
    expect(shown.role).toBe('asker')
    expect(asker.bus.ctx.book.channels.get(qid)?.acting).toBe(asker.identity.nodeId)
    // the back-dated claim is not even kept; the fresh one and the close are kept as refused
    const channel = asker.bus.ctx.book.channels.get(qid)!
    expect(channel.has(backdated.id)).toBe(false)
    expect(channel.get(fresh.id)?.excluded).toBe('not-authorized')
    expect(channel.get(close.id)?.excluded).toBe('not-authorized')
    expect(asker.counters.get('envelopes.rejected', 'not-authorized')).toBeGreaterThanOrEqual(2)

    // honest traffic still flows: a member's answer arrives, the asker's own close counts
    const answer = await honest.bus.contribute(qid, { kind: 'fact', text: 'the secretary of the day', confidence: 0.8 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === answer.id), { what: 'the honest answer arrives' })
    await until(async () => (await honest.bus.show(qid) as any).close === null && (await honest.bus.show(qid) as any).secretary === null, { what: 'the honest member agrees nobody took over' })
    const closed = await asker.bus.close(qid, { accept: [answer.id] })
    expect(closed.state).toBe('resolved')
    await until(async () => (await honest.bus.show(qid) as any).state === 'resolved', { what: 'the honest member sees the asker\'s close' })
    expect(asker.libp2p.getConnections(honest.libp2p.peerId).length).toBeGreaterThan(0)
  })
  it('a stranger\'s takeover right after a question is refused by a late joiner reading it from history: the question stands for the asker\'s join', async () => {
    const { asker, member, mallory, mallorySigner, topic, qid } = await memberFollowsWithStranger('Who holds the keys?')
    // at once, signed by its own key: "the asker is gone, I act for it"; then the asker really goes
    const claim = buildSecretaryClaim(mallorySigner, { questionId: qid, mode: 'takeover', askerNodeId: asker.identity.nodeId, reason: 'asker missed 3 heartbeats' })
    await mallory.services.pubsub.publish(topic, new TextEncoder().encode(JSON.stringify(claim)))
    await until(() => member.bus.ctx.book.channels.get(qid)?.has(claim.id), { what: 'the member keeps the claim (refused)' })
    expect(member.bus.ctx.book.channels.get(qid)?.get(claim.id)?.excluded).toBe('not-authorized')
    await asker.stop()

    // a node that joins later learns the channel from the member's history, the claim with it;
    // no asker envelope but the question is there to judge it by
    const late = await startBusNode()
    await connect(late, member)
    await until(() => late.libp2p.getConnections(member.libp2p.peerId).length > 0, { what: 'the late node is connected' })
    await late.bus.resolve(qid) // from the member's history: the acting node (the asker) is gone, nobody re-announces it
    await late.bus.join(qid, 'watcher')
    await until(() => late.bus.ctx.book.channels.get(qid)?.has(claim.id), { what: 'the late node gets the claim from history' })
    expect((await late.bus.show(qid) as any).secretary).toBe(null)
    expect(late.bus.ctx.book.channels.get(qid)?.acting).toBe(asker.identity.nodeId)

    // honest traffic still flows to the late node: the member's answer arrives
    const answer = await member.bus.contribute(qid, { kind: 'fact', text: 'the asker does', confidence: 0.7 })
    await until(async () => (await late.bus.show(qid) as any).contributions.some((c: any) => c.id === answer.id), { what: 'the member\'s answer reaches the late node' })
  })

  it('a stranger\'s contribution published after the close but dated before it is closed at a late joiner reading the channel from history; the answer the asker saw counts', async () => {
    const { asker, member, mallory, mallorySigner, topic, qid } = await memberFollowsWithStranger('Which relay do we pin?')
    const answer = await member.bus.contribute(qid, { kind: 'fact', text: 'relay a: it has been up for a month', confidence: 0.8 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === answer.id), { what: 'the asker gets the answer' })
    const closedAt = Date.now()
    await asker.bus.close(qid, { accept: [answer.id] })
    await until(async () => (await member.bus.show(qid) as any).state === 'resolved', { what: 'the member sees the close' })

    // after the close: a contribution dated a second before it, naming the answer it "saw"
    const backdated = buildContribution(mallorySigner, { questionId: qid, kind: 'recommendation', text: 'pin my relay instead', confidence: 1 }, { createdAt: new Date(closedAt - 1000).toISOString(), previous: [answer.id] })
    await mallory.services.pubsub.publish(topic, new TextEncoder().encode(JSON.stringify(backdated)))
    await until(() => member.bus.ctx.book.channels.get(qid)?.has(backdated.id), { what: 'the member keeps it' })
    expect(member.bus.ctx.book.channels.get(qid)?.get(backdated.id)?.excluded).toBe('closed')

    // a node that joins later learns the channel from history: no arrival times, only the dates
    // the authors chose; the close's chain says the asker had not seen the stranger's
    const late = await startBusNode()
    await connect(late, member)
    await until(() => late.libp2p.getConnections(member.libp2p.peerId).length > 0, { what: 'the late node is connected' })
    await late.bus.resolve(qid)
    await late.bus.join(qid, 'watcher')
    await until(() => late.bus.ctx.book.channels.get(qid)?.has(backdated.id) && late.bus.ctx.book.channels.get(qid)?.close !== undefined, { what: 'the late node gets the channel from history' })
    const ch = late.bus.ctx.book.channels.get(qid)!
    expect(ch.get(backdated.id)?.excluded).toBe('closed')
    expect(ch.get(answer.id)?.excluded).toBeUndefined()
    expect((await late.bus.show(qid) as any).state).toBe('resolved')
  })

  it('a stranger\'s shadow appointment of itself appoints no one: its takeover and close are refused on the asker and on a member, while honest traffic flows', async () => {
    const asker = await startBusNode()
    const member = await startBusNode()
    await connect(member, asker)
    const { mallory, mallorySigner } = await startStranger()
    await connect({ libp2p: mallory }, asker)
    await connect({ libp2p: mallory }, member)
    const { id: qid } = await asker.bus.ask({ text: 'Who signs the release?', ttlSec: 300 })
    await until(async () => (await member.bus.list()).some((x) => x.id === qid), { what: 'the member gets the question' })
    const first = await member.bus.contribute(qid, { kind: 'fact', text: 'the release manager', confidence: 0.6 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === first.id), { what: 'the member\'s answer arrives' })

    // signed by its own key: "the asker appoints me its shadow", then the shadow's takeover and a close
    const appointment = buildSecretaryClaim(mallorySigner, { questionId: qid, mode: 'shadow', askerNodeId: mallorySigner.nodeId, reason: `appoint ${mallorySigner.nodeId}` })
    const takeover = buildSecretaryClaim(mallorySigner, { questionId: qid, mode: 'takeover', askerNodeId: asker.identity.nodeId, reason: 'I am the shadow' })
    const close = buildClose(mallorySigner, { questionId: qid, resolution: 'withdrawn', note: 'hijacked' })
    const encode = (e: EnvelopeBase): Uint8Array => new TextEncoder().encode(JSON.stringify(e))
    for (const node of [asker, member]) {
      for (const e of [appointment, takeover, close]) {
        const verdict = decodeJson(await request(mallory, node.libp2p.peerId, PROTOCOL_DELIVERY, encode(e), { timeoutMs: 10_000 })) as { ok: boolean, reason?: string }
        expect(verdict).toEqual({ ok: false, reason: 'not-authorized' })
      }
      const channel = node.bus.ctx.book.channels.get(qid)!
      expect(channel.shadow).toBe(null)
      expect(channel.secretary).toBe(null)
      expect(channel.close).toBeUndefined()
      expect(channel.get(appointment.id)?.excluded).toBe('not-authorized')
    }
    // the asker's reannounce never carries the stranger's appointment
    expect(asker.bus.ctx.book.channels.get(qid)?.appointment).toBeUndefined()

    // honest traffic still flows: another answer arrives and the asker's close counts everywhere
    const answer = await member.bus.contribute(qid, { kind: 'recommendation', text: 'ask the release manager', confidence: 0.8 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === answer.id), { what: 'the honest answer arrives' })
    expect((await asker.bus.close(qid, { accept: [answer.id] })).state).toBe('resolved')
    await until(async () => (await member.bus.show(qid) as any).state === 'resolved', { what: 'the member sees the asker\'s close' })
  })

  it('a stranger\'s push cannot load the channel of a question a node holds but does not follow; once it follows, pushes count', async () => {
    const asker = await startBusNode()
    const holder = await startBusNode()
    await connect(holder, asker)
    const { mallory, mallorySigner } = await startStranger()
    await connect({ libp2p: mallory }, holder)
    const { id: qid } = await asker.bus.ask({ text: 'How long is the retention?', ttlSec: 300 })
    await until(async () => (await holder.bus.list()).some((x) => x.id === qid), { what: 'the holder gets the question' })
    const encode = (e: EnvelopeBase): Uint8Array => new TextEncoder().encode(JSON.stringify(e))
    const push = async (e: EnvelopeBase): Promise<unknown> => decodeJson(await request(mallory, holder.libp2p.peerId, PROTOCOL_DELIVERY, encode(e), { timeoutMs: 10_000 }))
    for (let i = 0; i < 5; i++) {
      expect(await push(buildContribution(mallorySigner, { questionId: qid, kind: 'fact', text: `filler ${i} `.repeat(200), confidence: 0.1 }))).toEqual({ ok: false, reason: 'not-member' })
    }
    // nor can envelopes shaped as a shadow appointment, signed by anyone but the asker
    for (let i = 0; i < 5; i++) {
      const shaped = buildSecretaryClaim(mallorySigner, { questionId: qid, mode: 'shadow', askerNodeId: mallorySigner.nodeId, reason: `appoint ${mallorySigner.nodeId} ${i}` })
      expect(await push(shaped)).toEqual({ ok: false, reason: 'not-member' })
    }
    expect(holder.bus.ctx.book.channels.has(qid)).toBe(false)
    // honest: the holder joins, and a push (the stranger's too: anyone may contribute) is taken
    await holder.bus.join(qid, 'watcher')
    const answer = buildContribution(mallorySigner, { questionId: qid, kind: 'fact', text: '30 days', confidence: 0.5 })
    expect(await push(answer)).toEqual({ ok: true })
    expect(holder.bus.ctx.book.channels.get(qid)?.has(answer.id)).toBe(true)
  })

  it('in a closed federation, a non-member\'s envelopes passed on by push are refused not-member, as on gossip; members\' flow', async () => {
    // membership by a fixed list (what certificates decide in a daemon): the asker and the member
    const members = new Set<string>()
    const membership = { federation: 'fed:it', closed: () => true, whyNot: (id: string) => members.has(id) ? undefined : 'no-certificate' }
    const admission = new Admission({ membership, rateLimit: defaults().rateLimit })
    const asker = await startBusNode({ admission })
    const member = await startBusNode({ admission })
    members.add(asker.identity.nodeId)
    members.add(member.identity.nodeId)
    await connect(member, asker)
    const { mallory, mallorySigner } = await startStranger()
    // bus nodes here have no stream gate: the stranger's push stands for a member passing it on
    await connect({ libp2p: mallory }, member)
    const { id: qid } = await asker.bus.ask({ text: 'Where is the runbook?', ttlSec: 300 })
    await until(async () => (await member.bus.list()).some((x) => x.id === qid), { what: 'the member gets the question' })
    await member.bus.join(qid, 'watcher')
    const encode = (e: EnvelopeBase): Uint8Array => new TextEncoder().encode(JSON.stringify(e))
    const push = async (e: EnvelopeBase): Promise<unknown> => decodeJson(await request(mallory, member.libp2p.peerId, PROTOCOL_DELIVERY, encode(e), { timeoutMs: 10_000 }))
    const outsider = buildContribution(mallorySigner, { questionId: qid, kind: 'fact', text: 'in my drawer', confidence: 1 })
    expect(await push(outsider)).toEqual({ ok: false, reason: 'not-member' })
    expect(await push(buildQuestion(mallorySigner, { text: 'Members only?', ttlSec: 300 }))).toEqual({ ok: false, reason: 'not-member' })
    expect(member.bus.ctx.book.channels.get(qid)?.has(outsider.id)).toBe(false)
    expect(member.counters.get('envelopes.rejected', 'not-member')).toBeGreaterThanOrEqual(2)
    // honest: the member's answer reaches the asker
    const answer = await member.bus.contribute(qid, { kind: 'fact', text: 'in the wiki', confidence: 0.9 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === answer.id), { what: 'the member\'s answer arrives' })
  })

  it('a stranger\'s own question under a real question\'s id, taken first, gives way to the real one: the stranger is never its asker', async () => {
    const asker = await startBusNode()
    const late = await startBusNode()
    const { mallory, mallorySigner } = await startStranger()
    await connect({ libp2p: mallory }, asker)
    await connect({ libp2p: mallory }, late)
    const { id: qid } = await asker.bus.ask({ text: 'Which region hosts the backups?', ttlSec: 300 })
    const real = (await asker.bus.show(qid) as any).envelope
    // the stranger copies the id into a question of its own and pushes it where the real one has not been yet
    const copy = buildQuestion(mallorySigner, { text: 'Which region hosts the backups? Reply to me.', ttlSec: 300 }, { id: qid, createdAt: real['created-at'] })
    const verdict = decodeJson(await request(mallory, late.libp2p.peerId, PROTOCOL_DELIVERY, new TextEncoder().encode(JSON.stringify(copy)), { timeoutMs: 10_000 })) as { ok: boolean }
    expect(verdict.ok).toBe(true)
    expect(late.bus.ctx.book.records.get(qid)?.envelope.sender['node/id']).toBe(mallorySigner.nodeId)
    // the late node follows the copy, and the stranger feeds that channel (unbound ids pass there)
    await late.bus.join(qid, 'watcher')
    const planted = buildContribution(mallorySigner, { questionId: qid, kind: 'fact', text: 'planted while the copy held the id', confidence: 1 }, { id: 'contribution:01JNY6M2X6Y8M1G5R4Z3K7Q2P9' })
    const plantedVerdict = decodeJson(await request(mallory, late.libp2p.peerId, PROTOCOL_DELIVERY, new TextEncoder().encode(JSON.stringify(planted)), { timeoutMs: 10_000 })) as { ok: boolean }
    expect(plantedVerdict.ok).toBe(true)
    // the real question reaches the late node (the asker re-announces it to a new peer): it takes its id back
    await connect(late, asker)
    await until(() => late.bus.ctx.book.records.get(qid)?.envelope.sender['node/id'] === asker.identity.nodeId, { what: 'the real question takes its id back' })
    // (stored once the effects of taking it back have run: what was kept under the copy deleted first)
    await until(async () => (await late.bus.ctx.store.getQuestion(qid))?.envelope.sender['node/id'] === asker.identity.nodeId, { what: 'the real question is stored' })
    // nothing kept under the copy survives into the real channel, in memory or on disk
    await late.bus.ctx.store.flush()
    expect((await late.bus.ctx.store.entries(qid)).map((e) => e.id)).not.toContain(planted.id)
    expect((await late.bus.show(qid) as any).contributions.some((c: any) => c.id === planted.id)).toBe(false)
    // and the stranger's copy, pushed again, is refused at the asker and at the late node, also
    // when the record has left memory (pruned) and is on disk only
    for (const node of [asker, late]) {
      const again = decodeJson(await request(mallory, node.libp2p.peerId, PROTOCOL_DELIVERY, new TextEncoder().encode(JSON.stringify(copy)), { timeoutMs: 10_000 })) as { ok: boolean, reason?: string }
      expect(again.ok).toBe(false)
      await node.bus.ctx.store.flush()
      node.bus.ctx.book.records.delete(qid) // what the watchdog's prune does
      node.bus.ctx.onDiskOnly.set(qid, true)
      const pruned = decodeJson(await request(mallory, node.libp2p.peerId, PROTOCOL_DELIVERY, new TextEncoder().encode(JSON.stringify(copy)), { timeoutMs: 10_000 })) as { ok: boolean, reason?: string }
      expect(pruned).toEqual({ ok: false, reason: 'id-taken' })
      expect((await node.bus.ctx.store.getQuestion(qid))?.envelope.sender['node/id']).toBe(asker.identity.nodeId)
    }
    // honest traffic: the late node answers the real asker
    const answer = await late.bus.contribute(qid, { kind: 'fact', text: 'eu-central', confidence: 0.8 })
    await until(async () => (await asker.bus.show(qid) as any).contributions.some((c: any) => c.id === answer.id), { what: 'the late node\'s answer reaches the asker' })
  })
})
