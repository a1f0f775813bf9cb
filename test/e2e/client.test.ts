// The typed client library as a user's program meets it: `import { connect } from 'swarmd'`
// (the package's own exports, from a separate Node process), typed calls, and async iterators
// over the daemon's streams (watch, events) that cancel cleanly when the loop is left.

import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { connect, SwarmError, type ChannelEvent } from '../../src/index.ts'
import { cleanupHomes, NODE, ROOT, startDaemons, stopAll, tempHome, type TestDaemon } from '../helpers/daemons.ts'

const fast = { presence: { heartbeatSec: 0.5 } }

// generous: the suite shares two cores with many daemons
describe('client library: connect, typed calls, async-iterator streams', { timeout: 300_000 }, () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('asks, watches and answers through async iterators', async () => {
    daemons.push(...await startDaemons([{ config: fast }, { config: fast }], 'full'))
    const [a, b] = daemons
    const sa = await connect({ home: a.home })
    const sb = await connect({ home: b.home })
    try {
      expect((await sa.status()).nodeId).toBe(a.nodeId)
      // events: the first is the subscription marker, then b hears the question
      const events = sb.events({ types: ['events:subscribed', 'question:received'] })
      const first = await events.next()
      expect(first.value).toMatchObject({ type: 'events:subscribed' })
      const { id } = await sa.ask({ text: 'Which cipher suite for the relay?', urgency: 'high', ttlSec: 120, tags: ['crypto'] })
      expect(id).toMatch(/^question:/)
      let heard: any
      for await (const e of events) if (e.type === 'question:received' && e.id === id) { heard = e; break }
      expect(heard).toMatchObject({ id, from: a.nodeId, eligible: true })
      await expect(events.end).resolves.toBeUndefined() // leaving the loop cancelled the stream

      const rows = await sb.questions()
      expect(rows.find((q) => q.id === id)).toMatchObject({ urgency: 'high', state: 'open', role: 'receiver' })
      const seen: ChannelEvent[] = []
      const watching = (async () => {
        for await (const e of sa.watch(id, { timeoutSec: 30 })) {
          seen.push(e)
          if (e.type === 'contribution') return e
        }
      })()
      const ans = await sb.answer({ id, text: 'TLS 1.3 with X25519.', kind: 'recommendation', confidence: 0.7, sources: ['rfc:8446'] })
      expect(ans.questionId).toBe(id)
      const got = await watching
      expect(got).toMatchObject({ type: 'contribution', id: ans.id, from: b.nodeId })
      expect(got?.envelope).toMatchObject({ kind: 'recommendation', text: 'TLS 1.3 with X25519.' })
      expect(seen.some((e) => e.type === 'state')).toBe(true)
      const closed = await sa.close(id, { accept: [ans.id] })
      expect(closed.state).toBe('resolved')
      // a watch on a closed channel replays it and ends by itself with the daemon's answer
      const replay = sa.watch(id)
      const types: string[] = []
      for await (const e of replay) types.push(e.type)
      expect(types).toContain('close')
      await expect(replay.end).resolves.toMatchObject({ id, state: 'resolved' })
      // errors keep their stable codes
      const err = await sa.answer({ id, text: '' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SwarmError)
      expect((err as SwarmError).code).toBe('usage')
    } finally {
      sa.disconnect()
      sb.disconnect()
    }
    // no daemon: a typed not-running error
    const none = await connect({ home: join(await tempHome(), 'none') }).catch((e: unknown) => e)
    expect((none as SwarmError).code).toBe('not-running')
  })

  it("is the package's public entry: import { connect } from 'swarmd'", async () => {
    const [a] = daemons
    const dir = await tempHome('swarm-client-')
    // a script inside the package resolves its own name through package.json "exports"
    const script = join(ROOT, 'test', `.client-entry-${process.pid}.mts`)
    await writeFile(script, "import { connect } from 'swarmd'\nconst s = await connect({ home: process.argv[2] })\nconst st = await s.status()\nconst stream = s.watch('question:01JZZZZZZZZZZZZZZZZZZZZZZZ', { timeoutSec: 1 })\nconsole.log(JSON.stringify({ nodeId: st.nodeId, iterator: typeof stream[Symbol.asyncIterator] }))\nstream.cancel()\ns.disconnect()\n")
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(NODE, [script, a.home], { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) => { if (err != null) reject(new Error(`${err.message} ${stderr}`)); else resolve(stdout) })
      })
      expect(JSON.parse(out)).toEqual({ nodeId: a.nodeId, iterator: 'function' })
    } finally {
      const { rm } = await import('node:fs/promises')
      await rm(script, { force: true })
    }
  })
})
