import { afterEach, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlServer } from '../../../src/control/server.ts'
import { ControlClient } from '../../../src/control/client.ts'
import { LineSplitter } from '../../../src/control/protocol.ts'
import { SwarmError } from '../../../src/errors.ts'
import { MAX_CONTROL_LINE_BYTES } from '../../../src/constants.ts'

async function rawExchange (path: string, payload: string, lines: number): Promise<any[]> {
  const sock = connect(path)
  const got: any[] = []
  let buf = ''
  return await new Promise((resolve, reject) => {
    sock.on('data', (d) => {
      buf += d.toString()
      const parts = buf.split('\n')
      buf = parts.pop() ?? ''
      for (const p of parts) got.push(JSON.parse(p))
      if (got.length >= lines) { sock.destroy(); resolve(got) }
    })
    sock.on('error', reject)
    sock.write(payload)
  })
}

describe('control server', () => {
  let dir = ''
  let server: ControlServer | undefined
  afterEach(async () => { await server?.stop(); await rm(dir, { recursive: true, force: true }) })

  async function start (): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'swarm-ctl-'))
    const path = join(dir, 'swarm.sock')
    server = new ControlServer({ socketPath: path })
    server.register('echo', async (p) => p)
    server.register('fail', async () => { throw new SwarmError('late', 'too late') })
    server.register('count', async (p: { n: number }, ctx) => {
      for (let i = 0; i < p.n; i++) ctx.notify({ i })
      return { done: true }
    })
    server.register('forever', async (_p, ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => { resolve() }))
      return null
    })
    await server.start()
    return path
  }

  it('creates the socket owner-only', async () => {
    const path = await start()
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('answers calls, carries stable error codes, streams notifications', async () => {
    const path = await start()
    const c = await ControlClient.connect(path, dir)
    expect(await c.call('echo', { a: 1 })).toEqual({ a: 1 })
    await expect(c.call('fail')).rejects.toMatchObject({ code: 'late' })
    await expect(c.call('nope')).rejects.toMatchObject({ code: 'unknown-method' })
    const events: any[] = []
    expect(await c.stream('count', { n: 3 }, (e) => events.push(e))).toEqual({ done: true })
    expect(events).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }])
    c.close()
  })

  it('a malformed, non-RPC or oversized request gets an error reply and the server keeps serving', async () => {
    const path = await start()
    const replies = await rawExchange(path, 'not json\n{"jsonrpc":"1.0"}\n' + 'x'.repeat(MAX_CONTROL_LINE_BYTES + 10) + '\n' + '{"jsonrpc":"2.0","id":7,"method":"echo","params":{"ok":true}}\n', 4)
    expect(replies[0].error.data.code).toBe('bad-json')
    expect(replies[1].error.data.code).toBe('bad-request')
    expect(replies[2].error.data.code).toBe('too-large')
    expect(replies[3]).toEqual({ jsonrpc: '2.0', id: 7, result: { ok: true } })
  })

  it('cancelling a stream aborts it on the server', async () => {
    const path = await start()
    const c = await ControlClient.connect(path, dir)
    const ac = new AbortController()
    const p = c.stream('forever', {}, () => {}, { signal: ac.signal })
    setTimeout(() => { ac.abort() }, 50)
    await expect(p).rejects.toMatchObject({ code: 'aborted' })
    expect(await c.call('echo', 1)).toBe(1)
    c.close()
  })

  it('a refused connection is closed, so a graceful stop does not wait on it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarm-ctl-'))
    const path = join(dir, 'swarm.sock')
    server = new ControlServer({ socketPath: path, authorize: () => false })
    await server.start()
    const [refused] = await rawExchange(path, '{"jsonrpc":"2.0","id":1,"method":"echo"}\n', 1)
    expect(refused.error.data.code).toBe('forbidden')
    // the refused peer's request was never read; before the fix the server held that socket open
    // and server.close() waited on it forever (a daemon that once refused someone never stopped)
    const stopped = await Promise.race([server.stop().then(() => true), new Promise((resolve) => setTimeout(() => { resolve(false) }, 3000))])
    expect(stopped).toBe(true)
    server = undefined
  })

  it('a missing socket is "daemon not running" (exit 3)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarm-ctl-'))
    await expect(ControlClient.connect(join(dir, 'none.sock'), dir)).rejects.toMatchObject({ code: 'not-running', exitCode: 3 })
  })
})

describe('line splitter', () => {
  it('splits across chunks and drops oversized lines whole', () => {
    const s = new LineSplitter(5)
    expect(s.push('ab')).toEqual([])
    expect(s.push('c\nde')).toEqual(['abc'])
    expect(s.push('fghijk')).toEqual([])
    expect(s.push('lmn\nok\n')).toEqual([null, 'ok'])
  })
})
