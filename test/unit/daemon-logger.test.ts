import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp as mkdtempRaw, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/kernel/logger.ts'
import { prettyLine } from '../../src/kernel/log-pretty.ts'
import { Counters } from '../../src/kernel/counters.ts'
import { SwarmEvents } from '../../src/kernel/events.ts'

const made: string[] = []
/** Temp dirs of this file, removed when it ends. */
async function mkdtemp (prefix: string): Promise<string> {
  const d = await mkdtempRaw(prefix)
  made.push(d)
  return d
}
afterAll(async () => { for (const d of made) await rm(d, { recursive: true, force: true }) })

describe('daemon logger', () => {
  it('writes JSON lines with levels, redacts secrets, and rotates by size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swarm-log-'))
    const file = join(dir, 'daemon.log')
    const log = createLogger({ level: 'info', file, maxBytes: 2000, files: 2 })
    log.debug('hidden')
    log.child('bus').info('hello', { apiKey: 'sk-123', nested: { password: 'x', ok: 1 } })
    await log.flush?.()
    const first = JSON.parse((await readFile(file, 'utf8')).trim())
    expect(first).toMatchObject({ level: 'info', msg: 'hello', component: 'bus', apiKey: '[redacted]', nested: { password: '[redacted]', ok: 1 } })
    for (let i = 0; i < 100; i++) log.info('filler line number ' + String(i))
    await log.close?.()
    const files = (await readdir(dir)).sort()
    expect(files).toEqual(['daemon.log', 'daemon.log.1', 'daemon.log.2'])
    expect((await readFile(file, 'utf8')).length).toBeLessThanOrEqual(2000)
  })
})

describe('counters and events', () => {
  it('counts by label and notifies observers', () => {
    const c = new Counters()
    const seen: string[] = []
    c.onIncrement = (n, l) => seen.push(`${n}/${l}`)
    c.inc('envelopes.rejected', 'bad-signature')
    c.inc('envelopes.rejected', 'bad-signature')
    c.inc('envelopes.rejected', 'expired')
    expect(c.byLabel('envelopes.rejected')).toEqual({ 'bad-signature': 2, expired: 1 })
    expect(seen).toHaveLength(3)
  })

  it('delivers events in order and survives a throwing listener', () => {
    const ev = new SwarmEvents()
    const got: string[] = []
    ev.on(() => { throw new Error('bad listener') })
    const ac = new AbortController()
    ev.until(ac.signal, (e) => got.push(e.type))
    ev.emit('a')
    ac.abort()
    ev.emit('b')
    expect(got).toEqual(['a'])
  })
})

describe('daemon logger: libp2p lines and the terminal', () => {
  it('routes libp2p namespaces in at their own level, each line naming its part', async () => {
    const { logger: libp2pLogger } = await import('@libp2p/logger')
    const dir = await mkdtemp(join(tmpdir(), 'swarm-log-'))
    const file = join(dir, 'daemon.log')
    const log = createLogger({ level: 'info', file, libp2p: 'debug' })
    const l = libp2pLogger('libp2p:test-part')
    l('dialled %s', 'somewhere')
    l.error('stream reset')
    log.info('own line')
    await log.close?.()
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((x) => JSON.parse(x))
    expect(lines).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 'debug', component: 'libp2p:test-part', msg: 'dialled somewhere' }),
      expect.objectContaining({ level: 'warn', component: 'libp2p:test-part', msg: 'stream reset' }),
      expect.objectContaining({ level: 'info', msg: 'own line' })
    ]))
    expect(process.env.DEBUG).toBeUndefined()
    // once closed, libp2p lines go nowhere
    l('after close')
  })

  it('a libp2p level above debug keeps libp2p chatter out', async () => {
    const { logger: libp2pLogger } = await import('@libp2p/logger')
    const dir = await mkdtemp(join(tmpdir(), 'swarm-log-'))
    const file = join(dir, 'daemon.log')
    const log = createLogger({ level: 'debug', file, libp2p: 'warn' })
    const l = libp2pLogger('libp2p:quiet')
    l('chatter')
    l.error('worth a line')
    await log.close?.()
    const text = await readFile(file, 'utf8')
    expect(text).not.toContain('chatter')
    expect(text).toContain('worth a line')
  })

  it('prints readable lines for a terminal: time, level, part, message, a few fields', () => {
    const line = prettyLine(JSON.stringify({ level: 'info', time: '2026-01-02T03:04:05.678Z', component: 'bus', msg: 'question received', id: 'question:01J', from: 'node:x', a: 1, b: 2, c: 3 }), false)
    expect(line).toBe('03:04:05.678 INFO  [bus] question received  id=question:01J from=node:x a=1 b=2 …\n')
    expect(prettyLine('not json', false)).toBe('not json\n')
  })
})
