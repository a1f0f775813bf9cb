// The browser node's Ed25519 key, kept in IndexedDB as the libp2p protobuf private key, so a
// page keeps its peer id across reloads.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

const DB_NAME = 'swarmd'
const STORE = 'keys'

export interface KeystoreOptions {
  /** The record name; distinct names give distinct identities in one origin. @default 'node' */
  name?: string
  /** Where to keep it. @default globalThis.indexedDB */
  indexedDB?: IDBFactory
}

/** Loads the key named `name`, or creates and stores a new Ed25519 one. */
export async function loadOrCreateBrowserKey (options: KeystoreOptions = {}): Promise<PrivateKey> {
  const name = options.name ?? 'node'
  const idb = options.indexedDB ?? globalThis.indexedDB
  if (idb == null) return generateKeyPair('Ed25519') // no storage (e.g. a worker without IDB): ephemeral
  const db = await open(idb)
  try {
    const stored = await request<unknown>(db.transaction(STORE, 'readonly').objectStore(STORE).get(name))
    if (stored instanceof Uint8Array || stored instanceof ArrayBuffer) {
      const key = privateKeyFromProtobuf(new Uint8Array(stored))
      if (key.type === 'Ed25519') return key
    }
    const key = await generateKeyPair('Ed25519')
    await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(privateKeyToProtobuf(key), name))
    return key
  } finally {
    db.close()
  }
}

function open (idb: IDBFactory): Promise<IDBDatabase> {
  const req = idb.open(DB_NAME, 1)
  req.onupgradeneeded = () => { req.result.createObjectStore(STORE) }
  return request(req)
}

function request<T> (req: IDBRequest<any>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => { resolve(req.result) }
    req.onerror = () => { reject(req.error ?? new Error('indexedDB request failed')) }
  })
}
