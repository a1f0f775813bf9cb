// swarm envelope …, spawned as a user runs it: conformance vectors through signing-input and
// sign, question → verify round trips on a temporary home, exit codes 0 / 1 / 2.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSigner } from '../../src/envelope/index.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const NODE = join(ROOT, 'node_modules', '.bin', 'node')
const BIN = join(ROOT, 'bin', 'swarm')
const VECTORS = join(ROOT, 'test', 'fixtures', 'orbiplex-signing')
const vectors = JSON.parse(readFileSync(join(VECTORS, 'vectors.json'), 'utf8'))
const SEED_HEX = '29'.repeat(32)

interface Run { code: number, stdout: string, stderr: string }

async function swarm (args: string[], input?: string): Promise<Run> {
  return await new Promise((resolve, reject) => {
    const child = spawn(NODE, [BIN, ...args], { cwd: ROOT, env: { ...process.env, SWARM_HOME: undefined } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += String(d) })
    child.stderr.on('data', (d) => { stderr += String(d) })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}

let home: string
const inHome = (...args: string[]): string[] => ['--home', home, ...args]

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'swarm-envelope-'))
  // the key file as `swarm init` writes it (JSON, 0600), with the vectors' key
  const nodeId = createSigner(new Uint8Array(32).fill(0x29)).nodeId
  await writeFile(join(home, 'key'), JSON.stringify({ type: 'ed25519', secretKey: SEED_HEX, nodeId }), { mode: 0o600 })
  await chmod(join(home, 'key'), 0o600)
})

afterAll(async () => {
  await rm(home, { recursive: true, force: true })
})

describe('swarm envelope signing-input / sign reproduce the Orbiplex vectors', () => {
  for (const v of vectors.vectors) {
    const unsigned = (v['unsigned-fields'] as string[]).filter((f) => f !== 'signature').flatMap((f) => ['--unsigned', f])
    const file = join(VECTORS, v.fixture)

    it(`${v.fixture}: signing input hex`, async () => {
      const r = await swarm(['envelope', 'signing-input', '--domain', v.domain, ...unsigned, file])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout.trim()).toBe(v['signing-input-hex'])
    })

    it(`${v.fixture}: signature`, async () => {
      const r = await swarm(['envelope', 'sign', '--domain', v.domain, '--secret-key-hex', SEED_HEX, ...unsigned, '-'], readFileSync(file, 'utf8'))
      expect(r.code).toBe(0)
      expect(r.stdout.trim()).toBe(v['signature-base64url'])
    })
  }

  it('--json wraps the answers in objects', async () => {
    const v = vectors.vectors[1]
    const file = join(VECTORS, v.fixture)
    const hex = JSON.parse((await swarm(['--json', 'envelope', 'signing-input', '--domain', v.domain, file])).stdout)
    expect(hex).toEqual({ domain: v.domain, hex: v['signing-input-hex'] })
    const sig = JSON.parse((await swarm(['--json', 'envelope', 'sign', '--domain', v.domain, '--secret-key-hex', SEED_HEX, '--unsigned', 'signature', file])).stdout)
    expect(sig.signature).toBe(v['signature-base64url'])
  })
})

describe('swarm envelope question → verify', () => {
  it('makes a signed question with the home key that verifies (file and stdin)', async () => {
    const r = await swarm(inHome('envelope', 'question', 'How do I rotate a trust root?', '--scope', 'global', '--ttl', '600', '--urgency', 'high',
      '--tag', 'trust', '--tag', 'rotation', '--no-follow-ups', '--require-model', 'model:a', '--exclude-model', 'model:b', '--min-reputation', '0.5', '--lang', 'en'))
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const q = JSON.parse(r.stdout)
    expect(q).toMatchObject({
      type: 'swarm/question',
      sender: { 'node/id': vectors.signer['node-id'], 'federation/id': 'fed:default' },
      'ttl-sec': 600,
      question: { text: 'How do I rotate a trust root?', tags: ['trust', 'rotation'], urgency: 'high' },
      delivery: { scope: 'global', 'response-channel/id': q.id, 'response-channel/mode': 'global', 'follow-ups?': false },
      filters: { 'models/require': ['model:a'], 'models/exclude': ['model:b'], 'responder/min-reputation': 0.5, languages: ['en'] },
      signature: { alg: 'ed25519' }
    })
    const file = join(home, 'q.json')
    await writeFile(file, r.stdout)
    const ok = await swarm(['envelope', 'verify', file])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true, type: 'swarm/question', id: q.id })
    const viaStdin = await swarm(['--json', 'envelope', 'verify', '-'], r.stdout)
    expect(viaStdin.code).toBe(0)
    expect(JSON.parse(viaStdin.stdout).valid).toBe(true)

    const tampered = await swarm(['--json', 'envelope', 'verify', '-'], r.stdout.replace('rotate', 'rotatE'))
    expect(tampered.code).toBe(1)
    expect(JSON.parse(tampered.stdout)).toMatchObject({ valid: false, reason: 'bad-signature', id: q.id })
  })

  it('judges expiry against the current time', async () => {
    const old = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z')
    const r = await swarm(inHome('envelope', 'question', 'stale?', '--ttl', '60', '--created-at', old))
    expect(r.code).toBe(0)
    const v = await swarm(['envelope', 'verify', '-'], r.stdout)
    expect(v.code).toBe(1)
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: false, reason: 'expired' })
  })

  it('garbage is bad-json, a schema slip names its field', async () => {
    const g = await swarm(['envelope', 'verify', '-'], 'not json')
    expect(g.code).toBe(1)
    expect(JSON.parse(g.stdout)).toMatchObject({ valid: false, reason: 'bad-json' })
    const q = JSON.parse((await swarm(inHome('envelope', 'question', 'x'))).stdout)
    q.question.urgency = 'panic'
    const s = await swarm(['envelope', 'verify', '-'], JSON.stringify(q))
    expect(s.code).toBe(1)
    expect(JSON.parse(s.stdout)).toMatchObject({ valid: false, reason: 'bad-schema', path: 'question.urgency' })
  })

  it('a home without a key fails with exit 1 and says how to make one', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'swarm-envelope-empty-'))
    try {
      const r = await swarm(['--home', empty, 'envelope', 'question', 'x'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/swarm init/)
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })
})

describe('bad usage exits 2', () => {
  const cases: string[][] = [
    ['envelope', 'question', 'x', '--urgency', 'panic'],
    ['envelope', 'question', 'x', '--scope', 'everywhere'],
    ['envelope', 'question', 'x', '--ttl', '0'],
    ['envelope', 'question', 'x', '--ttl', 'soon'],
    ['envelope', 'question', 'x', '--min-reputation', '1.5'],
    ['envelope', 'question', 'x', '--created-at', 'yesterday'],
    ['envelope', 'sign', '--domain', 'd', '--secret-key-hex', 'zz', 'f.json'],
    ['envelope', 'signing-input', 'f.json'],
    ['envelope', 'verify']
  ]
  for (const args of cases) {
    it(args.slice(1).join(' '), async () => {
      const r = await swarm(inHome(...args))
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
    })
  }
})
