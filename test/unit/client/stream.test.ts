// The client library's streams against a real control server: events in order, the daemon's
// final answer, errors with their codes, and leaving a loop early cancels the stream upstream.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ControlServer } from '../../../src/control/server.ts'
import { ControlClient } from '../../../src/control/client.ts'
import { SwarmClient } from '../../../src/client/swarm-client.ts'
import { openStream } from '../../../src/client/stream.ts'
import { LocalControl, type ControlTransport } from '../../../src/client/transport.ts'
import { SwarmError } from '../../../src/errors.ts'

describe.each(['socket', 'in-process'] as const)('client streams (async iterators) over the %s transport', (transport) => {
  let dir = ''
  let server: ControlServer | undefined
  let control: ControlTransport | undefined
  const cancelled: string[] = []
  afterEach(async () => { control?.close(); await server?.stop(); await rm(dir, { recursive: true, force: true }) })

  async function start (): Promise<ControlTransport> {
    dir = await mkdtemp(join(tmpdir(), 'swarm-client-'))
    const path = join(dir, 'swarm.sock')
    server = new ControlServer({ socketPath: path })
    server.register('count', async (p: { n: number }, ctx) => {
      for (let i = 0; i < p.n; i++) ctx.notify({ type: 'n', i })
      return { counted: p.n }
    })
    server.register('forever', async (_p, ctx) => {
      let i = 0
      const t = setInterval(() => { ctx.notify({ type: 'tick', i: i++ }) }, 5)
      await new Promise<void>((resolve) => { ctx.signal.addEventListener('abort', () => { clearInterval(t); cancelled.push('forever'); resolve() }, { once: true }) })
      return null
    })
    server.register('broken', async (_p, ctx) => { ctx.notify({ type: 'x' }); throw new SwarmError('not-found', 'question question:x not found') })
    if (transport === 'socket') {
      await server.start()
      control = await ControlClient.connect(path, dir)
    } else {
      control = new LocalControl(server.dispatch.bind(server))
    }
    return control
  }

  it('yields every event in order, then ends with the final answer', async () => {
    const c = await start()
    const s = openStream<{ i: number }, { counted: number }>(c, 'count', { n: 50 })
    const seen: number[] = []
    for await (const e of s) seen.push(e.i)
    expect(seen).toEqual([...Array(50).keys()])
    await expect(s.end).resolves.toEqual({ counted: 50 })
  })

  it('leaving the loop cancels the stream on the server; the connection stays usable', async () => {
    const c = await start()
    const s = openStream<{ i: number }, null>(c, 'forever', {})
    let n = 0
    for await (const e of s) { n++; if (e.i >= 3) break }
    expect(n).toBe(4)
    await expect(s.end).resolves.toBeUndefined()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(cancelled).toContain('forever')
    const again = openStream<{ i: number }, { counted: number }>(c, 'count', { n: 2 })
    const got: unknown[] = []
    for await (const e of again) got.push(e)
    expect(got).toHaveLength(2)
  })

  it('an aborted signal ends the iterator; an upstream error is thrown with its code', async () => {
    const c = await start()
    const ac = new AbortController()
    const s = openStream<{ i: number }, null>(c, 'forever', {}, ac.signal)
    const first = await s.next()
    expect(first.done).toBe(false)
    ac.abort()
    for await (const _ of s) { /* drains what was queued, then ends */ }
    const broken = openStream(c, 'broken', {})
    const err = await (async () => { try { for await (const _ of broken) { /* one event first */ } } catch (e) { return e } })()
    expect(err).toBeInstanceOf(SwarmError)
    expect((err as SwarmError).code).toBe('not-found')
    await expect(broken.end).rejects.toMatchObject({ code: 'not-found' })
  })

  it('SwarmClient.watch and events ride on the same streams', async () => {
    const c = await start()
    server!.register('watch', async (p: { id: string, replay?: boolean }, ctx) => { ctx.notify({ type: 'state', questionId: p.id, state: 'open' }); return { id: p.id, state: 'expired' } })
    server!.register('events', async (p: { types?: string[] }, ctx) => { ctx.notify({ type: 'events:subscribed', types: p.types }); return null })
    const client = new SwarmClient(c)
    const w = client.watch('question:x', { replay: false })
    const events = []
    for await (const e of w) events.push(e)
    expect(events).toEqual([{ type: 'state', questionId: 'question:x', state: 'open' }])
    await expect(w.end).resolves.toEqual({ id: 'question:x', state: 'expired' })
    const ev = client.events({ types: ['question:received'] })
    expect((await ev.next()).value).toEqual({ type: 'events:subscribed', types: ['question:received'] })
  })

  it('calls answer, time out and end with the connection', async () => {
    const c = await start()
    server!.register('slow', async () => await new Promise((resolve) => setTimeout(resolve, 5000)))
    await expect(c.call('echo-missing')).rejects.toMatchObject({ code: 'unknown-method' })
    await expect(c.call('slow', {}, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'timeout' })
    const pending = c.call('slow')
    c.close()
    await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/daemon-gone|socket-error/) })
    expect(c.isClosed).toBe(true)
  })
})
