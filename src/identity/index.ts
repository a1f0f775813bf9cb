// The node's one Ed25519 key: libp2p peer id and envelope signing key at once. Kept in the
// home as `key` (JSON, mode 0600) with the node id it must produce, so a swapped or corrupted
// key file is caught at load instead of silently becoming another node.

import { createPrivateKey, createPublicKey, randomBytes, sign as edSign, type KeyObject } from 'node:crypto'
import { readFile, writeFile, stat, rename } from 'node:fs/promises'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey, PeerId } from '@libp2p/interface'
import { SwarmError } from '../errors.ts'
import { bytesToHex, formatPubkey, hexToBytes, nodeIdFromPublicKey } from '../envelope/keys.ts'
import { pkcs8Of } from '../envelope/der.ts'

export interface KeyFile {
  type: 'ed25519'
  secretKey: string
  nodeId: string
}

export interface Identity {
  nodeId: string
  peerId: PeerId
  /** `ed25519:<64 hex>` */
  pubkey: string
  publicKey: Uint8Array
  federation: string
  privateKey: PrivateKey
  sign: (data: Uint8Array) => Uint8Array
  /** The 32-byte seed; only for deriving the private-scope key agreement key. */
  seed: Uint8Array
}

export function seedToKeyObject (seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8Of(seed)), format: 'der', type: 'pkcs8' })
}

export async function identityFromSeed (seed: Uint8Array, federation: string): Promise<Identity> {
  const keyObject = seedToKeyObject(seed)
  const publicKey = new Uint8Array(createPublicKey(keyObject).export({ format: 'der', type: 'spki' }).subarray(12))
  // libp2p's raw Ed25519 key is seed ‖ public key. Its generateKeyPairFromSeed derives the public
  // key again in pure JS (noble), whose first use builds a point table: ~80–230 ms of a daemon's
  // start; node:crypto above derived the same key in microseconds.
  const raw = new Uint8Array(64)
  raw.set(seed, 0)
  raw.set(publicKey, 32)
  const privateKey = privateKeyFromRaw(raw)
  return {
    nodeId: nodeIdFromPublicKey(publicKey),
    peerId: peerIdFromPrivateKey(privateKey),
    pubkey: formatPubkey(publicKey),
    publicKey,
    federation,
    privateKey,
    seed,
    sign: (data) => new Uint8Array(edSign(null, data, keyObject))
  }
}

export function newSeed (): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

/** Writes a new key file (0600) atomically; returns the seed. */
export async function createKeyFile (path: string, seed: Uint8Array = newSeed()): Promise<Uint8Array> {
  const id = await identityFromSeed(seed, 'fed:default')
  const file: KeyFile = { type: 'ed25519', secretKey: bytesToHex(seed), nodeId: id.nodeId }
  const tmp = `${path}.tmp`
  await writeFile(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, path)
  return seed
}

/** Loads and checks the home key: mode 0600 (no group/other bits) and the node id it names. */
export async function loadIdentity (path: string, federation: string): Promise<Identity> {
  let text: string
  try {
    const st = await stat(path)
    if ((st.mode & 0o077) !== 0) {
      throw new SwarmError('key-permissions', `key file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`)
    }
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err instanceof SwarmError) throw err
    if (err.code === 'ENOENT') throw new SwarmError('no-key', `no key file at ${path}; create the home with: swarm init`)
    throw new SwarmError('key-unreadable', `cannot read key file ${path}: ${err.message as string}`)
  }
  let file: KeyFile
  try {
    file = JSON.parse(text)
    if (file.type !== 'ed25519' || typeof file.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(file.secretKey) || typeof file.nodeId !== 'string') throw new Error('bad shape')
  } catch {
    throw new SwarmError('key-corrupt', `key file ${path} is not a swarmd key (expected {"type":"ed25519","secretKey":<64 hex>,"nodeId":…})`)
  }
  const id = await identityFromSeed(hexToBytes(file.secretKey), federation)
  if (id.nodeId !== file.nodeId) {
    throw new SwarmError('key-mismatch', `key file ${path} does not match its node id: it names ${file.nodeId} but the key is ${id.nodeId}`)
  }
  return id
}

/** The node id of an Ed25519 libp2p peer (the same key), or undefined for other key types. */
export function nodeIdFromPeerId (peerId: PeerId | string): string | undefined {
  try {
    const p = typeof peerId === 'string' ? peerIdFromString(peerId) : peerId
    if (p.type !== 'Ed25519' || p.publicKey == null) return undefined
    return nodeIdFromPublicKey(p.publicKey.raw)
  } catch {
    return undefined
  }
}
