// The federation root key file (`federation-root` in the home, mode 0600, written atomically):
// the Ed25519 secret that issues certificates, rotations and revocations. A rotation moves the
// previous key out of the home (exported where the operator says, or destroyed): a key left
// beside the new one could still sign a competing rotation or back-dated envelopes.

import { randomBytes } from 'node:crypto'
import { readFile, rename, stat, writeFile } from 'node:fs/promises'
import { SwarmError } from '../errors.ts'
import { bytesToHex, hexToBytes, type Signer } from '../envelope/index.ts'
import { createRootSigner } from './envelopes.ts'

export interface RootKeyFile {
  type: 'ed25519-federation-root'
  federation: string
  secretKey: string
  pubkey: string
  createdAt: string
}

export interface RootKey {
  file: RootKeyFile
  signer: Signer
}

export function newRootKey (federation: string): RootKey {
  const seed = new Uint8Array(randomBytes(32))
  const signer = createRootSigner(seed, federation)
  return { signer, file: { type: 'ed25519-federation-root', federation, secretKey: bytesToHex(seed), pubkey: signer.pubkey, createdAt: new Date().toISOString() } }
}

async function exists (path: string): Promise<boolean> {
  try { await stat(path); return true } catch { return false }
}

export async function writeRootKey (path: string, key: RootKey, opts: { force?: boolean } = {}): Promise<void> {
  if (opts.force !== true && await exists(path)) {
    throw new SwarmError('root-exists', `a federation root key already exists at ${path}; use --force to replace it (the old root's certificates stop being issuable)`)
  }
  const tmp = `${path}.tmp`
  await writeFile(tmp, JSON.stringify(key.file, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, path)
}

export async function loadRootKey (path: string): Promise<RootKey> {
  let text: string
  try {
    const st = await stat(path)
    if ((st.mode & 0o077) !== 0) throw new SwarmError('key-permissions', `root key ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`)
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err instanceof SwarmError) throw err
    if (err.code === 'ENOENT') throw new SwarmError('no-root', `no federation root key in this home (${path}); create one with: swarm federation create fed:NAME`)
    throw new SwarmError('key-unreadable', `cannot read ${path}: ${err.message as string}`)
  }
  let file: RootKeyFile
  try {
    file = JSON.parse(text)
    if (file.type !== 'ed25519-federation-root' || !/^[0-9a-f]{64}$/.test(file.secretKey) || typeof file.federation !== 'string') throw new Error('shape')
  } catch {
    throw new SwarmError('key-corrupt', `${path} is not a swarmd federation root key`)
  }
  const signer = createRootSigner(hexToBytes(file.secretKey), file.federation)
  if (signer.pubkey !== file.pubkey) throw new SwarmError('key-mismatch', `${path} names root ${file.pubkey} but its key is ${signer.pubkey}`)
  return { file, signer }
}

/** Writes `key` to `path` (0600), never over an existing file. */
export async function exportRootKey (path: string, key: RootKey): Promise<void> {
  try {
    await writeFile(path, JSON.stringify(key.file, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err: any) {
    if (err.code === 'EEXIST') throw new SwarmError('export-exists', `${path} already exists; choose a new path for the old root key`)
    throw new SwarmError('export-failed', `cannot write the old root key to ${path}: ${err.message as string}`)
  }
}
