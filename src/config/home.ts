// Creating a home: config.json, key (0600) and db/. Refuses to overwrite an existing home
// unless forced, and says plainly when the directory cannot be written.

import { mkdir, writeFile, access, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { SwarmError } from '../errors.ts'
import { createKeyFile, loadIdentity } from '../identity/index.ts'
import type { HomePaths } from './paths.ts'

export interface InitResult {
  nodeId: string
  peerId: string
  pubkey: string
  home: string
  federation: string
}

export async function homeExists (paths: HomePaths): Promise<boolean> {
  try { await access(paths.key); return true } catch { return false }
}

export async function initHome (paths: HomePaths, opts: { federation?: string, force?: boolean } = {}): Promise<InitResult> {
  const federation = opts.federation ?? 'fed:default'
  if (!/^fed:[A-Za-z0-9._-]{1,64}$/.test(federation)) throw new SwarmError('usage', `--federation must look like fed:name (letters, digits, . _ -), got '${federation}'`, { exitCode: 2 })
  if (await homeExists(paths)) {
    if (opts.force !== true) throw new SwarmError('home-exists', `home ${paths.home} already exists; use --force to replace its key and config`)
  }
  try {
    await mkdirp(paths.home, 0o700)
    const st = await stat(paths.home)
    if (!st.isDirectory()) throw new SwarmError('home-unwritable', `home ${paths.home} is not a directory`)
    if (opts.force === true) {
      await rm(paths.db, { recursive: true, force: true })
      await rm(paths.membership, { force: true })
    }
    await createKeyFile(paths.key)
    await writeFile(paths.config, JSON.stringify({ node: { federation } }, null, 2) + '\n', { mode: 0o600 })
    await mkdir(paths.db, { recursive: true, mode: 0o700 })
  } catch (err: any) {
    if (err instanceof SwarmError) throw err
    throw new SwarmError('home-unwritable', `cannot write home ${paths.home}: ${err.code === 'EACCES' ? 'permission denied' : err.message as string}`)
  }
  const id = await loadIdentity(paths.key, federation)
  return { nodeId: id.nodeId, peerId: id.peerId.toString(), pubkey: id.pubkey, home: paths.home, federation }
}

/**
 * `mkdir -p`, one level at a time. Node's own `recursive: true` never settles where mkdir keeps
 * answering ENOENT under an existing parent (e.g. /proc/x): here that is an error.
 */
async function mkdirp (dir: string, mode: number): Promise<void> {
  try {
    await mkdir(dir, { mode })
    return
  } catch (err: any) {
    if (err.code === 'EEXIST') return
    if (err.code !== 'ENOENT' || dirname(dir) === dir) throw err
  }
  await mkdirp(dirname(dir), mode)
  try {
    await mkdir(dir, { mode })
  } catch (err: any) {
    if (err.code !== 'EEXIST') throw err
  }
}
