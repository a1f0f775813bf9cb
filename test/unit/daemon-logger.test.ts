import { describe, expect, it } from 'vitest'
import { mkdtemp, readFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/daemon/logger.ts'
import { Counters } from '../../src/daemon/counters.ts'
import { SwarmEvents } from '../../src/daemon/events.ts'

describe('daemon logger', () => {
  it('writes JSON lines with levels, redacts secrets, and rotates by size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swarm-log-'))
    const file = join(dir, 'daemon.log')
    const log = createLogger({ level: 'info', file, maxBytes: 2000, files: 2 })
    log.debug('hidden')
    log.child('bus').info('hello', { apiKey: 'sk-123', nested: { password: 'x', ok: 1 } })
    const first = JSON.parse((await readFile(file, 'utf8')).trim())
    expect(first).toMatchObject({ level: 'info', msg: 'hello', component: 'bus', apiKey: '[redacted]', nested: { password: '[redacted]', ok: 1 } })
    for (let i = 0; i < 100; i++) log.info('filler line number ' + String(i))
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
