// Federation administration on home files: the old root key leaves the home at rotation, and a
// certificate from an untrusted issuer is installed only against its fingerprint.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { homePaths, type HomePaths } from '../../../src/config/paths.ts'
import { initHome } from '../../../src/config/home.ts'
import { createFederation, issueCertificate, joinFederation, rotateRoot } from '../../../src/federation/admin.ts'
import { rootFingerprint } from '../../../src/federation/envelopes.ts'

let dir: string
let rootHome: HomePaths
let memberHome: HomePaths

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-fedadmin-'))
  rootHome = homePaths(join(dir, 'root'))
  memberHome = homePaths(join(dir, 'member'))
  await initHome(rootHome, { federation: 'fed:acme' })
  await initHome(memberHome, { federation: 'fed:acme' })
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function memberNodeId (): Promise<string> {
  return JSON.parse(await readFile(memberHome.key, 'utf8')).nodeId
}

describe('federation join', () => {
  it('refuses an untrusted issuer, showing its fingerprint; takes it when the fingerprint is given back', async () => {
    const created = await createFederation(rootHome, 'fed:acme')
    expect(created.fingerprint).toBe(rootFingerprint(created.root))
    expect(created.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
    const cert = JSON.stringify(await issueCertificate(rootHome, await memberNodeId()))
    await expect(joinFederation(memberHome, cert)).rejects.toMatchObject({ code: 'unknown-issuer', message: expect.stringContaining(created.fingerprint) })
    await expect(joinFederation(memberHome, cert, { trustIssuer: 'SHA256:' + 'B'.repeat(43) })).rejects.toMatchObject({ code: 'fingerprint-mismatch' })
    const joined = await joinFederation(memberHome, cert, { trustIssuer: created.fingerprint })
    expect(joined).toMatchObject({ issuer: created.root, rootAdded: true, issuerFingerprint: created.fingerprint, mode: 'closed' })
    // now trusted: a second join needs nothing more
    expect(await joinFederation(memberHome, cert)).toMatchObject({ rootAdded: false })
  })
})

describe('federation rotate', () => {
  it('needs to be told where the old key goes, never inside the home', async () => {
    await createFederation(rootHome, 'fed:acme')
    await expect(rotateRoot(rootHome)).rejects.toMatchObject({ code: 'usage' })
    await expect(rotateRoot(rootHome, { exportOld: join(rootHome.home, 'keep.key') })).rejects.toMatchObject({ code: 'usage' })
    await expect(rotateRoot(rootHome, { exportOld: join(dir, 'x.key'), destroyOld: true })).rejects.toMatchObject({ code: 'usage' })
  })

  it('--export-old moves the old key out (0600, never overwriting); --destroy-old deletes it', async () => {
    const created = await createFederation(rootHome, 'fed:acme')
    const out = join(dir, 'old-root.key')
    const r = await rotateRoot(rootHome, { exportOld: out })
    expect(r).toMatchObject({ oldRoot: created.root, exported: out })
    expect(JSON.parse(await readFile(out, 'utf8')).pubkey).toBe(created.root)
    expect((await stat(out)).mode & 0o777).toBe(0o600)
    expect((await readdir(rootHome.home)).filter((f) => f.startsWith('federation-root'))).toEqual(['federation-root'])
    expect(JSON.parse(await readFile(rootHome.federationRoot, 'utf8')).pubkey).toBe(r.newRoot)
    await expect(rotateRoot(rootHome, { exportOld: out })).rejects.toMatchObject({ code: 'export-exists' })
    // the failed export changed nothing in the home
    expect(JSON.parse(await readFile(rootHome.federationRoot, 'utf8')).pubkey).toBe(r.newRoot)
    const d = await rotateRoot(rootHome, { destroyOld: true })
    expect(d).toMatchObject({ oldRoot: r.newRoot, exported: null })
    expect((await readdir(rootHome.home)).filter((f) => f.startsWith('federation-root'))).toEqual(['federation-root'])
  })
})
