// Soak and crash: five real daemons under steady question traffic. Driven through each
// daemon's control socket directly (a CLI process per question would measure process spawns,
// not swarmd). Size: SOAK_QUESTIONS, default 300 in `npm test` (the suite keeps under 10 minutes);
// `npm run soak` runs 5000 (about 2.5 minutes on two cores).

import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { ControlClient } from '../../src/control/client.ts'
import { cleanupHomes, eventually, startDaemons, stopAll, type TestDaemon } from '../helpers/daemons.ts'

const QUESTIONS = Number(process.env.SOAK_QUESTIONS ?? 300)
const IN_FLIGHT = 16

async function client (d: TestDaemon): Promise<ControlClient> {
  return await ControlClient.connect(join(d.home, 'swarm.sock'), d.home)
}

/** Memory after a full garbage collection (debug.gc), and the handles in use. */
async function memory (c: ControlClient): Promise<{ rssBytes: number, heapUsedBytes: number, activeResources: number }> {
  const collected = await c.call('debug.gc')
  return { ...collected, activeResources: (await c.call('stats')).memory.activeResources }
}

/** Runs `fn(i)` for i in [0, n) with at most `limit` in flight. */
async function pool (n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) { const i = next++; await fn(i) }
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => { await worker() }))
}

/** Answers as soon as the question has reached `c` (it may still be in flight). */
async function answerWhenReceived (c: ControlClient, id: string, text: string): Promise<string> {
  return await eventually(async () => {
    try {
      return (await c.call('answer', { id, text, kind: 'fact', confidence: 0.8 })).id as string
    } catch (err: any) {
      if (err.code === 'not-found') return undefined
      throw err
    }
  }, { timeoutMs: 30_000, intervalMs: 50, what: `answer to ${id}` })
}

// Soak traffic is one node asking hundreds of questions a second: lift the per-sender limit.
const cfg = {
  presence: { heartbeatSec: 2 },
  log: { level: 'info' },
  rateLimit: { perSender: { ratePerSec: 100_000, burst: 100_000 }, perScope: { ratePerSec: 100_000, burst: 100_000 } }
}

describe('soak: five daemons, steady questions with contributions', () => {
  const daemons: TestDaemon[] = []
  const clients: ControlClient[] = []
  afterAll(async () => {
    for (const c of clients) c.close()
    await stopAll(daemons)
    await cleanupHomes()
  })

  it(`${QUESTIONS} questions answered and closed: memory bounded, no leaked resources`, async () => {
    daemons.push(...await startDaemons(Array.from({ length: 5 }, () => ({ config: cfg, env: { SWARM_TEST_HOOKS: '1' } })), 'full'))
    clients.push(...await Promise.all(daemons.map(client)))
    const round = async (i: number): Promise<void> => {
      const asker = clients[i % 5]
      const answerer = clients[(i + 1) % 5]
      const { id } = await asker.call('ask', { text: `soak question ${i}: what is ${i} squared?`, ttlSec: 600 })
      await answerWhenReceived(answerer, id, `${i * i}`)
      await eventually(async () => (await asker.call('show', { id })).contributions.length > 0, { timeoutMs: 30_000, intervalMs: 50, what: `contribution on ${id as string}` })
      await asker.call('close', { id, resolution: 'resolved' })
    }
    const warm = Math.min(200, Math.floor(QUESTIONS / 10))
    await pool(warm, IN_FLIGHT, round)
    const before = await Promise.all(clients.map(memory))
    await pool(QUESTIONS - warm, IN_FLIGHT, async (i) => { await round(i + warm) })
    // let timers settle (heartbeats of closed channels stop, gossipsub caches age)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const after = await Promise.all(clients.map(memory))
    for (let k = 0; k < 5; k++) {
      // bounded: the heap that survives a full collection. Resident memory moved 22–102 MB here
      // with the machine's load (heap capacity and allocator pages a busy daemon keeps), too
      // noisy to tell a leak by. The collected heap grew 7.5–9.3 MB over 300 questions and 24 MB
      // over 1,800 (~13 KB a question), every node alike, all of it kept for a time or up to a
      // count: each question's record until ttl + 10 minutes (src/bus/watchdog.ts prune), the
      // envelopes relayed for 256 channels (src/bus/relay-cache.ts), envelope ids until they
      // expire, gossipsub's seen messages for two minutes; the quicker the run, the more of it.
      // The bound allows 16 MB and 20 KB a question: at `npm run soak`'s 4,800 questions a leak
      // as big as that retention fails it, at npm test's 300 one of ~50 KB a question.
      const growthMb = (after[k].heapUsedBytes - before[k].heapUsedBytes) / 2 ** 20
      const boundMb = 16 + (QUESTIONS - warm) * 20 / 1024
      console.log(`daemon ${k}: heap after GC ${(before[k].heapUsedBytes / 2 ** 20).toFixed(1)} → ${(after[k].heapUsedBytes / 2 ** 20).toFixed(1)} MB, RSS ${(before[k].rssBytes / 2 ** 20).toFixed(1)} → ${(after[k].rssBytes / 2 ** 20).toFixed(1)} MB`)
      expect(growthMb, `daemon ${k} heap growth after GC ${growthMb.toFixed(1)} MB`).toBeLessThan(boundMb)
      expect(after[k].activeResources, `daemon ${k} active handles`).toBeLessThanOrEqual(before[k].activeResources + 10)
    }
    const stats = await clients[0].call('stats')
    expect(stats.peers.connected).toBe(4)
  }, 60_000 + QUESTIONS * 200)
})

describe('crash: kill -9 during steady traffic', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('nothing acknowledged is lost, and a restarted daemon rejoins its channels', async () => {
    daemons.push(...await startDaemons([{ config: cfg }, { config: cfg }, { config: cfg }], 'full'))
    const [a, b, c] = daemons
    let ca = await client(a)
    const cc = await client(c)

    // A question b takes part in, opened before the crash
    const { id: openId } = await ca.call('ask', { text: 'a question that outlives a crash', ttlSec: 600 })
    let cb = await client(b)
    await answerWhenReceived(cb, openId, 'first answer, before the crash')

    // steady traffic from a; kill a in the middle of it
    const acknowledged: string[] = []
    let stop = false
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const { id } = await ca.call('ask', { text: `steady question ${i}`, ttlSec: 600 })
          acknowledged.push(id)
        } catch { return }
      }
    })()
    await eventually(() => acknowledged.length >= 50, { what: '50 acknowledged questions' })
    await a.kill()
    stop = true
    await traffic
    await a.start()
    ca.close()
    ca = await client(a)
    const after = new Set(((await ca.call('questions', { all: true })) as any[]).map((q) => q.id))
    const lost = acknowledged.filter((id) => !after.has(id))
    expect(lost).toEqual([])

    // b restarts mid-question: it rejoins the channel and sees what happened meanwhile
    cb.close()
    await b.kill()
    await b.start()
    await b.json(['connect', a.tcpAddr])
    await b.json(['connect', c.tcpAddr])
    cb = await client(b)
    const { id: later } = (await answerWhenReceived(cc, openId, 'second answer, while b was down').then(async (cid) => ({ id: cid })))
    await eventually(async () => {
      const shown = await cb.call('show', { id: openId })
      return shown.contributions.some((x: any) => x.id === later) ? shown : undefined
    }, { timeoutMs: 30_000, what: 'b sees the contribution made after its restart' })
    expect((await cb.call('show', { id: openId })).joined).toBe(true)
    ca.close(); cb.close(); cc.close()
  })
})
