import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { fixElectorate, type ConnectedPeer } from '../../../src/consensus/electorate.ts'

const node = fc.integer({ min: 0, max: 30 }).map((n) => `node:n${n}`)
const peerArb = fc.record({ nodeId: node, advertised: fc.option(fc.constantFrom('fed:a', 'fed:b'), { nil: undefined }) })
  .map(({ nodeId, advertised }): ConnectedPeer => advertised === undefined ? { peerId: `p-${nodeId}`, nodeId } : { peerId: `p-${nodeId}`, nodeId, advertised })
const members = fc.uniqueArray(node, { maxLength: 20 })

describe('fixElectorate', () => {
  it('closed: every elector but the proposer holds a valid certificate, whatever it advertises', () => {
    fc.assert(fc.property(fc.array(peerArb, { maxLength: 20 }), members, fc.uniqueArray(node, { maxLength: 5 }), (connected, certified, voters) => {
      const e = fixElectorate({ self: 'node:self', federation: 'fed:a', closed: true, whyNotMember: (id) => certified.includes(id) ? undefined : 'no-certificate', voters, connected })
      expect(e.kind).toBe('closed')
      expect(e.electors[0]).toBe('node:self')
      for (const id of e.ask) expect(certified).toContain(id)
      if (voters.length > 0) for (const id of e.ask) expect(voters).toContain(id)
      // every connected certified peer is asked when no list narrows it
      if (voters.length === 0) for (const p of connected) if (certified.includes(p.nodeId)) expect(e.ask).toContain(p.nodeId)
    }))
  })

  it('open with consensus.voters: exactly the list, connected or not; nobody else', () => {
    fc.assert(fc.property(fc.array(peerArb, { maxLength: 20 }), fc.uniqueArray(node, { minLength: 1, maxLength: 8 }), (connected, voters) => {
      const e = fixElectorate({ self: 'node:self', federation: 'fed:a', closed: false, whyNotMember: () => 'x', voters, connected })
      expect(e.kind).toBe('voters')
      expect(new Set(e.ask)).toEqual(new Set(voters))
      for (const p of connected) if (!voters.includes(p.nodeId)) expect(e.excluded.map((x) => x.nodeId)).toContain(p.nodeId)
    }))
  })

  it('open without a list: only connected peers whose signed advert names the federation', () => {
    fc.assert(fc.property(fc.array(peerArb, { maxLength: 20 }), (connected) => {
      const e = fixElectorate({ self: 'node:self', federation: 'fed:a', closed: false, whyNotMember: () => undefined, voters: [], connected })
      expect(e.kind).toBe('open')
      for (const id of e.ask) expect(connected.some((p) => p.nodeId === id && p.advertised === 'fed:a')).toBe(true)
      expect(new Set(e.ask).size).toBe(e.ask.length)
    }))
  })
})
