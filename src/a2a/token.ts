// The A2A endpoint's bearer token: 32 random bytes in `<home>/a2a-token` (0600), made on first
// use. Only a caller that can read the home (the operator, or an agent it handed the token to)
// can drive the endpoint.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const TOKEN_FILE = 'a2a-token'

export function tokenPath (home: string): string { return join(home, TOKEN_FILE) }

/** Reads the token, creating it (0600) when missing; a too-short file is replaced. */
export async function loadOrCreateToken (home: string): Promise<string> {
  const file = tokenPath(home)
  try {
    const t = (await readFile(file, 'utf8')).trim()
    if (t.length >= 32) { await chmod(file, 0o600); return t }
  } catch (err: any) {
    if (err?.code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('base64url')
  await writeFile(file, token + '\n', { mode: 0o600 })
  await chmod(file, 0o600)
  return token
}

/** True when an `Authorization` header carries exactly this bearer token (constant time). */
export function bearerMatches (header: string | undefined, token: string): boolean {
  if (typeof header !== 'string') return false
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (m === null) return false
  const given = Buffer.from(m[1])
  const want = Buffer.from(token)
  return given.length === want.length && timingSafeEqual(given, want)
}
