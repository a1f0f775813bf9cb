// The control methods' one table: good and bad params for every method, the daemon and the CLI
// refusing a bad one with the same code and message, every registered method declared (and
// every declared one registered), and docs/control.md in sync with the table.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ControlClient } from '../../../src/control/client.ts'
import { checkParams, handle, METHODS, parseParams, type MethodName } from '../../../src/control/methods/index.ts'
import { renderControlDoc } from '../../../src/control/methods/doc.ts'
import { ControlServer } from '../../../src/control/server.ts'

const Q = 'question:01HZY5K6V3Q8W2N4M7P9R1T3X5'
const ABS = '/tmp/some-file'

/** For each method: params it accepts, and (unless it takes none) params it refuses. */
const CASES: Record<MethodName, { good: Record<string, unknown>, bad?: Record<string, unknown> }> = {
  status: { good: {} },
  id: { good: {} },
  peers: { good: {} },
  connect: { good: { address: '/ip4/127.0.0.1/tcp/1' }, bad: { address: 7 } },
  ping: { good: { peerId: '12D3Koo', count: 3 }, bad: { peerId: '12D3Koo', count: 0 } },
  stats: { good: {} },
  'config.show': { good: {} },
  stop: { good: {} },
  events: { good: { types: ['question:received'] }, bad: { types: 'question:received' } },
  network: { good: {} },
  'network.punch': { good: { peerId: '12D3Koo' }, bad: {} },
  'bootstrap.list': { good: {} },
  'bootstrap.add': { good: { address: '/ip4/1.2.3.4/tcp/1/p2p/12D3Koo' }, bad: {} },
  'bootstrap.remove': { good: { address: '/ip4/1.2.3.4/tcp/1/p2p/12D3Koo' }, bad: { address: '' } },
  'federation.status': { good: {} },
  'federation.reload': { good: {} },
  ask: { good: { text: 'why?', scope: 'global', ttlSec: 60, urgency: 'high', tags: ['a'], parent: Q, attachments: [] }, bad: { text: 'why?', urgency: 'yesterday' } },
  questions: { good: { all: true }, bad: { all: 'yes' } },
  show: { good: { id: Q }, bad: { id: '' } },
  answer: { good: { id: Q, text: 'because', kind: 'fact', confidence: 0.9 }, bad: { id: Q, text: 'because', confidence: 2 } },
  watch: { good: { id: Q, timeoutSec: 5, replay: false }, bad: { id: Q, timeoutSec: -1 } },
  close: { good: { id: Q, resolution: 'resolved', accept: ['contribution:x'] }, bad: { id: Q, resolution: 'maybe' } },
  'bench.burst': { good: { n: 10 }, bad: { n: 0 } },
  'bench.raw-subscribe': { good: {} },
  'bench.raw-publish': { good: { text: 'q' }, bad: { text: 5 } },
  'bench.raw-burst': { good: { n: 10 }, bad: { n: 0 } },
  summarize: { good: { id: Q, final: true }, bad: { id: 'question:nope' } },
  decompose: { good: { id: Q, questions: ['a?', 'b?'], ttlSec: 60 }, bad: { id: Q, questions: [' '] } },
  reputation: { good: { nodeIds: ['node:x'] }, bad: { nodeIds: [''] } },
  'debug.push-contribution': { good: { questionId: Q, to: 'node:x', text: 't' }, bad: { questionId: Q, to: 'node:x', text: 't', kind: 'rant' } },
  'task.run': { good: { type: 'echo', data: { x: 1 }, timeoutSec: 5, requireIsolation: 'bwrap' }, bad: { type: 'echo', requireIsolation: 'Bad Class' } },
  'task.list': { good: { limit: 10, direction: 'in' }, bad: { direction: 'sideways' } },
  capabilities: { good: {} },
  audit: { good: { limit: 5, since: '2026-01-01T00:00:00Z' }, bad: { limit: 1.5 } },
  'consensus.propose': { good: { file: 'a.txt', operation: 'modify', content: 'x', timeoutSec: 10 }, bad: { file: 'a', operation: 'rename' } },
  'consensus.pending': { good: {} },
  'consensus.vote': { good: { id: 'proposal:x', vote: 'yes', reason: '' }, bad: { id: 'proposal:x', vote: 'maybe' } },
  'consensus.get': { good: { id: 'proposal:x' }, bad: {} },
  'consensus.list': { good: { limit: 5 }, bad: { limit: -5 } },
  'reflect.add': { good: { description: 'd', outcome: 'success', tags: ['t'], share: true }, bad: { description: 'd' } },
  'reflect.share': { good: { id: 'reflection:x' }, bad: { id: '' } },
  'reflect.unshare': { good: { id: 'reflection:x' }, bad: {} },
  'reflect.get': { good: { id: 'reflection:x' }, bad: { id: 3 } },
  'reflect.search': { good: { query: 'rotate keys', limit: 200 }, bad: { query: 'q', limit: 201 } },
  'reflect.list': { good: { source: 'swarm', limit: 1000 }, bad: { source: 'elsewhere' } },
  knowledge: { good: { query: 'q', limit: 20, timeoutSec: 60 }, bad: { query: '   ' } },
  'blob.put': { good: { path: ABS }, bad: { path: 'relative/file' } },
  'blob.get': { good: { cid: 'bafk', from: ['12D3Koo'], size: 10 }, bad: { cid: 'bafk', size: 'ten' } },
  'blob.list': { good: {} },
  'a2a.status': { good: {} },
  'debug.flood': { good: { topic: 't', count: 10, kind: 'garbage' }, bad: { topic: 't', kind: 'polite' } },
  'debug.gc': { good: {} }
}

describe('control methods table', () => {
  it('covers every method with a case', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(METHODS).sort())
  })

  for (const [name, c] of Object.entries(CASES) as Array<[MethodName, typeof CASES[MethodName]]>) {
    it(`${name}: accepts good params${c.bad === undefined ? '' : ', refuses bad ones with usage'}`, () => {
      expect(() => parseParams(name, c.good)).not.toThrow()
      if (c.bad !== undefined) {
        let err: any
        try { parseParams(name, c.bad) } catch (e) { err = e }
        expect(err?.code).toBe('usage')
        expect(err.message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: `))
      }
    })
  }

  it('reads null as absent and passes unnamed keys through', () => {
    expect(parseParams('ask', { text: 'q', scope: null, extra: 1 })).toEqual({ text: 'q', extra: 1 })
    expect(parseParams('status', null)).toEqual({})
  })

  it('lets a client send methods it does not know (a newer daemon may)', () => {
    expect(() => { checkParams('some.future-method', { anything: true }) }).not.toThrow()
  })
})

describe('the CLI and the daemon refuse a bad parameter alike', () => {
  let dir: string
  let server: ControlServer
  let client: ControlClient
  let handled = 0
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarm-methods-'))
    server = new ControlServer({ socketPath: join(dir, 'swarm.sock') })
    handle(server, 'ask', async (p) => { handled++; return { text: p.text } })
    await server.start()
    client = await ControlClient.connect(join(dir, 'swarm.sock'), dir)
  })
  afterAll(async () => {
    client.close()
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('same code and message, the client without sending', async () => {
    const bad = { text: 'q', urgency: 'yesterday' }
    const fromClient = await client.call('ask', bad).catch((e) => e)
    expect(handled).toBe(0)
    // the daemon's own answer to the same line, sent past the client's check
    const fromDaemon = await new Promise<any>((resolve, reject) => {
      const sock = connect(join(dir, 'swarm.sock'))
      let buf = ''
      sock.on('data', (d) => { buf += d.toString(); if (buf.includes('\n')) { sock.destroy(); resolve(JSON.parse(buf.split('\n')[0])) } })
      sock.on('error', reject)
      sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ask', params: bad }) + '\n')
    })
    expect(handled).toBe(0)
    expect(fromClient.code).toBe('usage')
    expect(fromDaemon.error.data.code).toBe('usage')
    expect(fromDaemon.error.data.message).toBe(fromClient.message)
    // and honest params still reach the handler
    expect(await client.call('ask', { text: 'q' })).toEqual({ text: 'q' })
    expect(handled).toBe(1)
  })
})

describe('registration and docs', () => {
  it('every method registered in src is declared in the table, and every declared one is registered', async () => {
    const root = join(import.meta.dirname, '../../../src')
    const registered = new Set<string>()
    for (const f of await readdir(root, { recursive: true })) {
      if (!f.endsWith('.ts')) continue
      const text = await readFile(join(root, f), 'utf8')
      for (const m of text.matchAll(/(?:\bhandle\([\w.]+, |\.register\()'([^']+)'/g)) registered.add(m[1])
    }
    expect([...registered].sort()).toEqual(Object.keys(METHODS).sort())
  })

  it('docs/control.md is generated from the table (node scripts/control-doc.ts)', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../../docs/control.md'), 'utf8')
    expect(doc).toBe(renderControlDoc())
  })
})
