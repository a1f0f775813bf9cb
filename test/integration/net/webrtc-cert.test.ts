// The webrtc-direct certificate kept in the home: same certhash across daemon restarts.
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@libp2p/noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { webRTCDirect } from '@libp2p/webrtc'
import { createLibp2p } from 'libp2p'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadOrCreateWebRTCCertificate, WEBRTC_CERT_FILE } from '../../../src/net/webrtc-cert.ts'

let home: string
let file: string
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'swarm-cert-'))
  file = join(home, WEBRTC_CERT_FILE)
})
afterEach(async () => { await rm(home, { recursive: true, force: true }) })

describe('loadOrCreateWebRTCCertificate', () => {
  it('creates a 0600 P-256 certificate whose certhash is the sha2-256 multihash of its DER', async () => {
    const cert = await loadOrCreateWebRTCCertificate(file)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const x509 = new X509Certificate(cert.pem)
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    const mh = Buffer.concat([Buffer.from([0x12, 0x20]), createHash('sha256').update(x509.raw).digest()])
    expect(cert.certhash).toBe('u' + mh.toString('base64url'))
  })

  it('returns the stored certificate on the next load', async () => {
    const a = await loadOrCreateWebRTCCertificate(file)
    const b = await loadOrCreateWebRTCCertificate(file)
    expect(b).toEqual(a)
  })

  it('replaces a certificate about to expire, and a corrupt file', async () => {
    const a = await loadOrCreateWebRTCCertificate(file, { lifespanMs: 2 * 86_400_000 })
    const later = Date.now() + 1.5 * 86_400_000
    const b = await loadOrCreateWebRTCCertificate(file, { now: () => later })
    expect(b.certhash).not.toBe(a.certhash)
    await writeFile(file, 'garbage')
    const c = await loadOrCreateWebRTCCertificate(file)
    expect(c.certhash).not.toBe(b.certhash)
    expect(await readFile(file, 'utf8')).toContain('BEGIN CERTIFICATE')
  })

  it('keeps the webrtc-direct certhash of a real libp2p listener across restarts', async () => {
    const start = async () => createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/udp/0/webrtc-direct'] },
      transports: [webRTCDirect({ certificate: await loadOrCreateWebRTCCertificate(file), rtcConfiguration: { iceServers: [] } })],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()]
    })
    const certhashes: string[] = []
    for (let run = 0; run < 2; run++) {
      const node = await start()
      const addr = node.getMultiaddrs().map(a => a.toString()).find(a => a.includes('/certhash/'))
      await node.stop()
      certhashes.push(addr?.match(/\/certhash\/([^/]+)/)?.[1] ?? '')
    }
    expect(certhashes[0]).toMatch(/^uEi/)
    expect(certhashes[1]).toBe(certhashes[0])
  })
})
