import { describe, it, expect } from 'vitest'
import { PeerDirectory, type DirectoryEntry } from '../../../src/net/directory.ts'
import { toEntry } from '../../../src/tasks/adverts.ts'
import { buildCapabilityAdvert, createSigner } from '../../../src/envelope/index.ts'
import { newSeed } from '../../../src/identity/index.ts'
import { ADVERT_MAX_TTL_SEC } from '../../../src/tasks/constants.ts'

const entry = (n: number, over: Partial<DirectoryEntry> = {}): DirectoryEntry => ({
  nodeId: `node:${n}`, peerId: `peer${n}`, federation: 'fed:t', capabilities: [], taskTypes: [], models: [], languages: [],
  queueLength: 0, running: 0, sequence: 1, expiresAt: 10_000, advert: {}, ...over
})

describe('PeerDirectory is bounded', () => {
  it('keeps at most maxEntries, evicting the one heard from least recently', () => {
    const d = new PeerDirectory(() => 0, 3)
    for (let i = 0; i < 3; i++) d.upsert(entry(i))
    d.upsert(entry(0, { sequence: 2 })) // node 0 heard again: now the freshest
    d.upsert(entry(3))
    expect(d.size).toBe(3)
    expect(d.get('node:1')).toBeUndefined()
    expect(d.get('node:0')).toBeDefined()
    expect(d.evicted).toBe(1)
  })

  it('drops expired entries before evicting live ones', () => {
    let now = 0
    const d = new PeerDirectory(() => now, 2)
    d.upsert(entry(0, { expiresAt: 5 }))
    d.upsert(entry(1))
    now = 6
    d.upsert(entry(2))
    expect(d.list().map((e) => e.nodeId).sort()).toEqual(['node:1', 'node:2'])
    expect(d.evicted).toBe(0)
  })

  it('a flood of fresh keys cannot grow it', () => {
    const d = new PeerDirectory(() => 0, 100)
    for (let i = 0; i < 10_000; i++) d.upsert(entry(i))
    expect(d.size).toBe(100)
  })
})

describe('advert expiry is capped', () => {
  it('an advert claiming to live for years is believed for ADVERT_MAX_TTL_SEC at most', () => {
    const signer = createSigner(newSeed(), 'fed:t')
    const now = Date.now()
    const advert = buildCapabilityAdvert(signer, { peerId: '12D3KooWAbcdefghijklmnopqrstu', sequence: 1, expiresAt: now + 10 * 365 * 86400_000, isolation: 'bwrap' })
    const e = toEntry(advert, now)
    expect(e.expiresAt).toBe(now + ADVERT_MAX_TTL_SEC * 1000)
    expect(e.isolation).toBe('bwrap')
    const short = toEntry(buildCapabilityAdvert(signer, { peerId: '12D3KooWAbcdefghijklmnopqrstu', sequence: 2, ttlSec: 60 }), now)
    expect(short.expiresAt).toBeLessThanOrEqual(now + 61_000)
    expect(short.isolation).toBeUndefined()
  })
})
