// Every swarmd stream protocol is either judged by a closed federation's admission or open on
// purpose: a protocol added without being listed would serve strangers (as /swarm/history/2.0.0
// once did), so the sources are scanned for protocol names.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { GATED_PROTOCOLS, OPEN_PROTOCOLS } from '../../../src/daemon/gated-protocols.ts'

function sources (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('gated protocols', () => {
  it('lists every /swarm/ protocol the sources name, each once', () => {
    const named = new Set<string>()
    for (const f of sources('src')) {
      for (const m of readFileSync(f, 'utf8').matchAll(/'(\/swarm\/[a-z-]+\/\d+\.\d+\.\d+)'/g)) named.add(m[1])
    }
    expect(named.size).toBeGreaterThan(5)
    for (const p of named) expect(GATED_PROTOCOLS.has(p) || OPEN_PROTOCOLS.has(p), p).toBe(true)
    for (const p of GATED_PROTOCOLS) expect(OPEN_PROTOCOLS.has(p), p).toBe(false)
    expect(GATED_PROTOCOLS.has('/swarm/history/2.0.0')).toBe(true)
  })
})
