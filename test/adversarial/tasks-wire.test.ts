// Hostile peers with keys of their own speaking /swarm/task/1.0.0 directly to real daemons
// (issue 14 items 3 and 4): a stranger's python is refused `not-allowed` — also when it replays
// or impersonates the allowed node — while the allowed node's task runs; and a hostile executor
// that tampers with its result, leaves the receipt out or signs it with another key is caught by
// the delegating daemon (`bad-response`), while an honest executor's receipt is verified and kept.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { createSwarmNode, type SwarmLibp2p } from '../../src/net/node.ts'
import { handleRequests } from '../../src/net/rpc.ts'
import { PROTOCOL_TASK, topics as topicNames } from '../../src/constants.ts'
import { identityFromSeed, newSeed, type Identity } from '../../src/identity/index.ts'
import { buildCapabilityAdvert, buildTaskRequest, buildTaskResponse, createSigner, EnvelopeValidator, newId, type TaskRequestEnvelope } from '../../src/envelope/index.ts'
import { sendTask } from '../../src/tasks/protocol.ts'
import { checkReceipt, inputHash, outputHash, signReceipt } from '../../src/tasks/receipts.ts'
import { cleanupHomes, createDaemon, eventually, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const FED = 'fed:test'
const responses = new EnvelopeValidator({ maxBytes: 4 * 1024 * 1024 })

interface WirePeer { identity: Identity, libp2p: SwarmLibp2p }

async function wirePeer (): Promise<WirePeer> {
  const identity = await identityFromSeed(newSeed(), FED)
  const libp2p = await createSwarmNode({ privateKey: identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, iceServers: [] })
  await libp2p.start()
  return { identity, libp2p }
}

const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

function pythonRequest (signer: Identity | ReturnType<typeof createSigner>, code: string): TaskRequestEnvelope {
  return buildTaskRequest(signer, { correlationId: newId('task'), taskType: 'python-computation', data: { code }, deadline: Date.now() + 20_000 })
}

async function ask (from: WirePeer, to: TestDaemon, req: unknown): Promise<any> {
  const raw = await sendTask(from.libp2p, peerIdFromString(to.peerId), encode(req), { timeoutMs: 30_000 })
  const v = responses.validateSync(raw, { expectType: 'swarm/task-response' })
  if (!v.ok) throw new Error(`bad response: ${v.reason} ${v.detail}`)
  return v.envelope
}

describe('task protocol against hostile peers', () => {
  const daemons: TestDaemon[] = []
  const peers: WirePeer[] = []
  let executor: TestDaemon, delegator: TestDaemon
  let allowed: WirePeer, stranger: WirePeer, forger: WirePeer
  let forgery: 'tamper' | 'no-receipt' | 'foreign-key' = 'tamper'

  beforeAll(async () => {
    allowed = await wirePeer()
    stranger = await wirePeer()
    forger = await wirePeer()
    peers.push(allowed, stranger, forger)
    delegator = await createDaemon({ config: { tasks: { advertIntervalSec: 1 } } })
    daemons.push(delegator)
    await delegator.start()
    executor = await createDaemon({ config: { tasks: { accept: ['python-computation'], advertIntervalSec: 1, allowFrom: [allowed.identity.nodeId, delegator.nodeId] } } })
    daemons.push(executor)
    await executor.start()
    for (const p of peers) await p.libp2p.dial(multiaddr(executor.tcpAddr))
    await delegator.json(['connect', executor.tcpAddr])

    // The hostile executor: runs nothing, answers with a signed response whose receipt lies.
    const foreign = createSigner(newSeed(), FED)
    await handleRequests(forger.libp2p, PROTOCOL_TASK, async (bytes) => {
      const req = JSON.parse(new TextDecoder().decode(bytes)) as TaskRequestEnvelope
      const honest = { success: true, result: { stdout: '42\n', stderr: '', exitCode: 0, truncated: false, durationMs: 1 } }
      const served = { success: true, result: { ...honest.result, stdout: '1337\n' } }
      const receiptOf = (signer: Parameters<typeof signReceipt>[0], outcome: typeof honest): ReturnType<typeof signReceipt> => signReceipt(signer, {
        taskId: req.id, correlationId: req['correlation-id'], taskType: req['task/type'], inputHash: inputHash(req['task/type'], req.data),
        outputHash: outputHash(outcome), isolation: 'bwrap', startedAt: Date.now() - 5, finishedAt: Date.now()
      })
      const receipt = forgery === 'tamper' ? receiptOf(forger.identity, honest) : forgery === 'foreign-key' ? receiptOf(foreign, served) : undefined
      return encode(buildTaskResponse(forger.identity, { correlationId: req['correlation-id'], success: true, result: served.result, executedBy: forger.libp2p.peerId.toString(), durationMs: 5, receipt }))
    })
    await delegator.json(['connect', forger.libp2p.getMultiaddrs()[0].toString()])
  })

  afterAll(async () => {
    for (const p of peers) { try { await p.libp2p.stop() } catch {} }
    await stopAll(daemons)
    await cleanupHomes()
  })

  it('a stranger is refused not-allowed, with a signed receipt of the refusal; the allowed node runs', async () => {
    const denied = pythonRequest(stranger.identity, 'print(6*7)')
    const refused = await ask(stranger, executor, denied)
    expect(refused).toMatchObject({ success: false, error: { code: 'not-allowed' } })
    expect(checkReceipt(refused.receipt, {
      pubkey: refused.sender.pubkey, nodeId: executor.nodeId, taskId: denied.id, correlationId: denied['correlation-id'], taskType: 'python-computation',
      inputHash: inputHash('python-computation', denied.data), outputHash: outputHash(refused)
    })).toBeNull()
    const req = pythonRequest(allowed.identity, 'print(6*7)')
    const ok = await ask(allowed, executor, req)
    expect(ok).toMatchObject({ success: true, result: { stdout: '42\n' }, receipt: { isolation: 'bwrap' } })
    expect(checkReceipt(ok.receipt, {
      pubkey: ok.sender.pubkey, nodeId: executor.nodeId, taskId: req.id, correlationId: req['correlation-id'], taskType: 'python-computation',
      inputHash: inputHash('python-computation', req.data), outputHash: outputHash(ok), isolation: 'bwrap'
    })).toBeNull()
  })

  it('a stranger cannot borrow the allowed node\'s identity: replayed or impersonated requests are refused', async () => {
    // the allowed node's own signed request, sent over the stranger's connection
    const replayed = await ask(stranger, executor, pythonRequest(allowed.identity, 'print("replayed")'))
    expect(replayed).toMatchObject({ success: false, error: { code: 'bad-request' } })
    // the allowed node's id and key in `sender`, signed by the stranger
    const forged = { ...pythonRequest(stranger.identity, 'print("forged")') } as any
    forged.sender = { ...forged.sender, 'node/id': allowed.identity.nodeId, pubkey: allowed.identity.pubkey }
    const impersonated = await ask(stranger, executor, forged)
    expect(impersonated).toMatchObject({ success: false, error: { code: 'bad-request' } })
    expect(impersonated['correlation-id']).toMatch(/^unverified:/)
    // and the allowed node still gets its work done
    expect(await ask(allowed, executor, pythonRequest(allowed.identity, 'print(1+1)'))).toMatchObject({ success: true, result: { stdout: '2\n' } })
  })

  it('a hostile executor\'s lying receipts are caught by the delegating daemon; an honest one\'s is kept', async () => {
    for (const mode of ['tamper', 'no-receipt', 'foreign-key'] as const) {
      forgery = mode
      const r = await delegator.cli(['task', 'run', 'python-computation', '--code', 'print(6*7)', '--peer', forger.libp2p.peerId.toString(), '--json'])
      expect(r.json, mode).toMatchObject({ success: false, error: { code: 'bad-response' } })
      expect(r.stdout).not.toContain('1337')
    }
    const honest = await delegator.cli(['task', 'run', 'python-computation', '--code', 'print(6*7)', '--peer', executor.peerId, '--require-isolation', 'bwrap', '--json'])
    expect(honest.json).toMatchObject({ success: true, result: { stdout: '42\n' }, receipt: { isolation: 'bwrap', 'executed-by': executor.nodeId } })
    const audit = await eventually(async () => {
      const a = await delegator.json(['audit', '--limit', '1000'])
      return a.log.some((e: any) => e.kind === 'task.receipt' && e.correlationId === honest.json.correlationId) ? a : undefined
    }, { what: 'the honest receipt in the audit log' })
    expect(audit.intact).toBe(true)
    // only the honest executor's receipt was kept
    expect(audit.log.filter((e: any) => e.kind === 'task.receipt').map((e: any) => e.detail.peerId)).toEqual([executor.peerId])
    // and the liar's standing dropped (three proven lies), the honest executor's did not
    const rep = await delegator.json(['reputation', forger.identity.nodeId, executor.nodeId])
    const scores = new Map((Array.isArray(rep) ? rep : rep.records ?? rep.nodes ?? []).map((r: any) => [r.nodeId, r.score]))
    expect(scores.get(forger.identity.nodeId)).toBeLessThan(scores.get(executor.nodeId) as number)
  })

  it('a fake advert (expires in 9999, load 0) is believed for an hour at most and does not capture tasks from a reputable busy peer', async () => {
    const topic = topicNames.capabilities(FED)
    const pubsub = forger.libp2p.services.pubsub
    pubsub.subscribe(topic)
    const advert = (): Uint8Array => encode(buildCapabilityAdvert(forger.identity, {
      peerId: forger.libp2p.peerId.toString(), capabilities: ['python-execution'], taskTypes: ['python-computation'],
      queueLength: 0, running: 0, sequence: Date.now(), expiresAt: Date.parse('9999-12-31T00:00:00Z'), isolation: 'bwrap'
    }))
    // re-published: a publish made as a peer subscribes can be dropped
    const timer = setInterval(() => { void pubsub.publish(topic, advert()).catch(() => {}) }, 300)
    try {
      const fake = await eventually(async () => (await delegator.json(['capabilities'])).peers.find((p: any) => p.peerId === forger.libp2p.peerId.toString()),
        { what: 'the delegator hears the fake advert' })
      expect(Date.parse(fake.expiresAt)).toBeLessThanOrEqual(Date.now() + 3600_000 + 5_000)

      // the honest executor is busy (one long task of the allowed node), the fake claims an empty queue
      const long = ask(allowed, executor, pythonRequest(allowed.identity, 'import time; time.sleep(8)'))
      await eventually(async () => (await delegator.json(['capabilities'])).peers.find((p: any) => p.peerId === executor.peerId)?.running >= 1,
        { what: 'the executor advertises its running task' })
      // the liar has lost standing for its lying receipts: reputation ranks before self-reported load
      const r = await delegator.cli(['task', 'run', 'python-computation', '--code', 'print(6*7)', '--json'])
      expect(r.json).toMatchObject({ success: true, attempts: 1, executedBy: executor.peerId, result: { stdout: '42\n' } })
      expect(await long).toMatchObject({ success: true })
    } finally {
      clearInterval(timer)
    }
  })
})
