// The webrtc-direct TLS certificate (ECDSA P-256, self-signed X.509, RFC 5280) kept in the home,
// so the listener's /certhash/ — and with it every address a browser was given — survives restarts.
import { X509Certificate, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { TransportCertificate } from '@libp2p/webrtc'

/** The file name inside the daemon home. */
export const WEBRTC_CERT_FILE = 'webrtc-cert.pem'

export interface WebRTCCertificateOptions {
  /** How long a new certificate is valid. @default 365 days */
  lifespanMs?: number
  /** A stored certificate this close to expiry is replaced (the certhash changes then). @default 1 day */
  renewBeforeMs?: number
  /** Injectable clock for tests. */
  now?: () => number
}

const DAY = 86_400_000

/**
 * Loads the certificate at `path` (PEM: PKCS#8 key + certificate), or creates and stores one
 * (mode 0600). The result is handed to `webRTCDirect({ certificate })`; with it the transport
 * skips its own keychain/datastore-based generation and uses exactly this certificate.
 */
export async function loadOrCreateWebRTCCertificate (path: string, options: WebRTCCertificateOptions = {}): Promise<TransportCertificate> {
  const now = options.now?.() ?? Date.now()
  const renewBeforeMs = options.renewBeforeMs ?? DAY
  let text: string | undefined
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw err
  }
  if (text != null) {
    const stored = parseStored(text)
    if (stored != null && Date.parse(stored.cert.validTo) - renewBeforeMs > now) {
      return { privateKey: stored.keyPem, pem: stored.cert.toString(), certhash: certhashOf(stored.cert.raw) }
    }
  }
  const created = createCertificate(now, options.lifespanMs ?? 365 * DAY)
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, created.privateKey + created.pem, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, path)
  return created
}

/** The multiaddr certhash: multibase base64url ('u') of the sha2-256 multihash of the DER certificate. */
export function certhashOf (der: Uint8Array): string {
  const digest = createHash('sha256').update(der).digest()
  return 'u' + Buffer.concat([Buffer.from([0x12, 0x20]), digest]).toString('base64url')
}

function parseStored (text: string): { keyPem: string, cert: X509Certificate } | undefined {
  const keyPem = text.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/)?.[0]
  const certPem = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/)?.[0]
  if (keyPem == null || certPem == null) return undefined
  try {
    const key = createPrivateKey(keyPem)
    const cert = new X509Certificate(certPem)
    // only a P-256 certificate that matches its key is usable (Chromium rejects other curves)
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1' || !cert.checkPrivateKey(key)) return undefined
    return { keyPem: keyPem.endsWith('\n') ? keyPem : keyPem + '\n', cert }
  } catch {
    return undefined
  }
}

function createCertificate (now: number, lifespanMs: number): TransportCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const ecdsaWithSha256 = seq(hex('06082a8648ce3d040302'))
  const name = seq(set(seq(hex('0603550403'), tlv(0x0c, Buffer.from('swarmd')))))
  const serial = randomBytes(16)
  serial[0] &= 0x7f // a positive INTEGER
  serial[0] |= 0x01 // with no leading zero byte
  const tbs = seq(
    hex('a003020102'), // [0] version v3
    tlv(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(time(now - 3_600_000), time(now + lifespanMs)),
    name,
    spki
  )
  const signature = sign('sha256', tbs, privateKey) // DER ECDSA-Sig-Value
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const cert = new X509Certificate(der)
  if (!cert.verify(createPublicKey(privateKey))) throw new Error('webrtc-cert: generated certificate does not verify')
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pem: cert.toString(),
    certhash: certhashOf(der)
  }
}

// --- minimal DER (X.690) ---
function tlv (tag: number, body: Buffer): Buffer {
  const n = body.length
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  return Buffer.concat([Buffer.from([tag, ...len]), body])
}
function seq (...parts: Buffer[]): Buffer { return tlv(0x30, Buffer.concat(parts)) }
function set (...parts: Buffer[]): Buffer { return tlv(0x31, Buffer.concat(parts)) }
function hex (s: string): Buffer { return Buffer.from(s, 'hex') }
/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
function time (ms: number): Buffer {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString() // YYYY-MM-DDTHH:MM:SS.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z'
  const year = Number(iso.slice(0, 4))
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits))
}
