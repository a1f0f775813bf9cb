// Content ids and manifests (pure): every content gets one id; manifests round-trip and only the
// canonical text of the right hash is accepted; garbage is refused with a stable code.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunkCount, chunkRange, cidOf, DAG_JSON, decodeManifest, encodeManifest, matches, parseCid, rawCid, rootOf } from '../../../src/blobs/cid.ts'
import { parseRequest } from '../../../src/blobs/protocol.ts'
import { mediaTypeOf } from '../../../src/blobs/media-type.ts'
import { attachment } from '../../../src/envelope/schemas.ts'
import { buildQuestion, createSigner, EnvelopeValidator } from '../../../src/envelope/index.ts'

const code = (fn: () => unknown): string | undefined => { try { fn(); return undefined } catch (err: any) { return err.code } }

describe('blob ids', () => {
  it('known answers: the raw CID of empty and of "hello" (as `ipfs add --raw-leaves --cid-version 1`)', () => {
    expect(rawCid(new Uint8Array(0))).toBe('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
    expect(rawCid(new TextEncoder().encode('hello'))).toBe('bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq')
  })

  it('a chunk list gives one manifest, one id, and decodes back to itself', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 1024 * 1024 }), (n, last) => {
      const chunkBytes = 256 * 1024
      const size = (n - 1) * chunkBytes + Math.min(last, chunkBytes)
      const chunks = Array.from({ length: n }, (_, i) => rawCid(new Uint8Array([i & 255, i >> 8])))
      const r = rootOf(size, chunks, chunkBytes)
      expect(parseCid(r.cid).codec).toBe(DAG_JSON)
      expect(decodeManifest(r.cid, r.manifestBytes!)).toEqual({ size, chunkBytes, chunks })
      expect(chunkCount(size, chunkBytes)).toBe(n)
      expect(chunkRange({ size, chunkBytes }, n - 1).end).toBe(size)
    }), { numRuns: 50 })
  })

  it('a single chunk is named by its own raw CID', () => {
    const bytes = new Uint8Array([1, 2, 3])
    expect(rootOf(3, [rawCid(bytes)]).cid).toBe(rawCid(bytes))
    expect(matches(rawCid(bytes), bytes)).toBe(true)
    expect(matches(rawCid(bytes), new Uint8Array([1, 2, 4]))).toBe(false)
  })

  it('refuses a manifest that is altered, non-canonical, inconsistent, or of another id', () => {
    const chunks = [rawCid(new Uint8Array([1])), rawCid(new Uint8Array([2]))]
    const r = rootOf(300_000, chunks)
    const bytes = r.manifestBytes!
    const altered = Uint8Array.from(bytes); altered[altered.length - 2] ^= 1
    expect(code(() => decodeManifest(r.cid, altered))).toBe('bad-hash')
    const spaced = new TextEncoder().encode(new TextDecoder().decode(bytes).replace(',', ', '))
    expect(code(() => decodeManifest(cidOf(DAG_JSON, spaced), spaced))).toBe('bad-manifest')
    const wrongCount = encodeManifest({ size: 10 * 1024 * 1024, chunkBytes: 256 * 1024, chunks })
    expect(code(() => decodeManifest(cidOf(DAG_JSON, wrongCount), wrongCount))).toBe('bad-manifest')
    // one content, one id: a canonical manifest of the same bytes cut at another chunk size is refused
    for (const chunkBytes of [1024, 128 * 1024, 2 * 1024 * 1024]) {
      const size = chunkBytes + 1
      const other = encodeManifest({ size, chunkBytes, chunks })
      expect(code(() => decodeManifest(cidOf(DAG_JSON, other), other)), String(chunkBytes)).toBe('bad-manifest')
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
      expect(['bad-hash', 'bad-manifest']).toContain(code(() => decodeManifest(cidOf(DAG_JSON, junk), junk)))
    }))
  })

  it('parseCid accepts only CIDv1 sha2-256 raw or dag-json in base32', () => {
    expect(code(() => parseCid('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'))).toBe('bad-cid')
    expect(code(() => parseCid('not a cid'))).toBe('bad-cid')
    expect(code(() => parseCid('bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'))).toBe('bad-cid') // dag-cbor
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => { expect(['bad-cid', undefined]).toContain(code(() => parseCid(s))) }))
  })

  it('request frames: valid ones parse, garbage is bad-frame', () => {
    const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o))
    expect(parseRequest(enc({ cid: 'x', from: 3, count: 4 }))).toEqual({ cid: 'x', from: 3, count: 4 })
    expect(parseRequest(enc({ cid: 'x', want: 'manifest' }))).toEqual({ cid: 'x', want: 'manifest' })
    for (const bad of [{ cid: 'x' }, { cid: 'x', from: -1 }, { cid: 'x', from: 1, want: 'manifest' }, { cid: 'x', from: 0, count: 1000 }, { cid: 'x', from: 0, extra: 1 }, [1], null]) {
      expect(code(() => parseRequest(enc(bad)))).toBe('bad-frame')
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => { expect(['bad-frame', undefined]).toContain(code(() => parseRequest(b))) }))
  })

  it('media types from file names', () => {
    expect(mediaTypeOf('a.TXT')).toBe('text/plain')
    expect(mediaTypeOf('archive.tar.gz')).toBe('application/gzip')
    expect(mediaTypeOf('noext')).toBe('application/octet-stream')
    expect(mediaTypeOf('.hidden')).toBe('application/octet-stream')
  })
})

describe('attachments in envelopes', () => {
  const signer = createSigner(new Uint8Array(32).fill(3), 'fed:test')
  const a = { cid: rawCid(new Uint8Array([1])), size: 1, 'media-type': 'text/plain', name: 'one.txt' }

  it('a question without attachments keeps the seed shape; with them it signs and verifies', async () => {
    const validator = new EnvelopeValidator()
    const plain = buildQuestion(signer, { text: 'q?' })
    expect(Object.keys(plain)).not.toContain('attachments')
    expect(Object.keys(buildQuestion(signer, { text: 'q?', attachments: [] }))).not.toContain('attachments')
    const q = buildQuestion(signer, { text: 'q?', attachments: [a] })
    expect(q.attachments).toEqual([a])
    expect((await validator.validate(JSON.stringify(q))).action).toBe('accept')
    // the signature covers the ids: swapping one breaks it
    const swapped = { ...q, attachments: [{ ...a, cid: rawCid(new Uint8Array([2])) }] }
    const v = await new EnvelopeValidator().validate(JSON.stringify(swapped))
    expect(v.action).toBe('reject')
    expect(v.action === 'accept' ? undefined : v.reason).toBe('bad-signature')
  })

  it('the schema refuses paths as names, bad media types and non-CIDs', () => {
    expect(attachment.safeParse(a).success).toBe(true)
    expect(attachment.safeParse({ ...a, name: '../etc/passwd' }).success).toBe(false)
    // names that would not read as what they are: controls (C0, DEL, C1) and bidi marks or overrides
    for (const name of ['report\u202etxt.sh', 'a\u2066b', 'x\u200fy', 'bell\u0007', 'del\u007f', 'csi\u009b2J']) expect(attachment.safeParse({ ...a, name }).success, JSON.stringify(name)).toBe(false)
    for (const name of ['résumé (final).pdf', '漢字.txt', 'naïve — notes 🐝.md']) expect(attachment.safeParse({ ...a, name }).success, name).toBe(true)
    expect(attachment.safeParse({ ...a, 'media-type': 'text' }).success).toBe(false)
    expect(attachment.safeParse({ ...a, cid: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' }).success).toBe(false)
    expect(attachment.safeParse({ ...a, size: -1 }).success).toBe(false)
    expect(attachment.safeParse({ ...a, extra: 1 }).success).toBe(false)
  })
})
