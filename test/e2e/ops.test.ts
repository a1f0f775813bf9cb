import { afterAll, describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cleanupHomes, createDaemon, eventually, stopAll, streamCli, type TestDaemon } from '../helpers/daemons.ts'

describe('operations: events, metrics, logs', () => {
  const daemons: TestDaemon[] = []
  afterAll(async () => { await stopAll(daemons); await cleanupHomes() })

  it('streams events, serves Prometheus metrics, and reads the structured log', async () => {
    const a = await createDaemon({ config: { metrics: { listen: '127.0.0.1:0' } } })
    const b = await createDaemon()
    daemons.push(a, b)
    await a.start()
    await b.start()

    const events = streamCli(['--home', a.home, 'events', '--json'])
    try {
      // the first line says the stream is live; a connect after it is seen
      await eventually(() => events.lines.find((e) => e.type === 'events:subscribed'), { what: 'events stream live' })
      await b.json(['connect', a.tcpAddr])
      await eventually(() => events.lines.find((e) => e.type === 'peer:joined' && e.peerId === b.peerId), { what: 'peer:joined event' })
    } finally {
      events.stop()
    }

    const api = JSON.parse(await readFile(join(a.home, 'api'), 'utf8'))
    expect(api.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const text = await (await fetch(api.metrics)).text()
    expect(text).toContain('swarmd_control_request_seconds')
    expect(text).toContain('swarmd_peers_connected')
    expect(text).toMatch(/libp2p_/)

    const log = await a.cli(['log', '--json', '--lines', '1000'])
    expect(log.code).toBe(0)
    expect(log.lines.some((l) => l.msg === 'daemon ready' && l.level === 'info')).toBe(true)
    const warnOnly = await a.cli(['log', '--json', '--level', 'warn'])
    expect(warnOnly.lines.every((l) => l.level === 'warn' || l.level === 'error')).toBe(true)
  })
})
