// File-analysis executor: length, line count, text/binary guess and SHA-256 of one file, for a
// peer that may only look inside the operator's safe prefixes. The spelled path is judged first,
// then its realpath, and then — because a directory can be swapped for a symlink between the
// check and the open — the opened descriptor itself: its real path (/proc/self/fd) must lie
// inside, and name the same device and inode. Anything outside is `path-refused`, whether or
// not it exists; `not-found` only ever describes a place inside a prefix.

import { createHash } from 'node:crypto'
import { constants as fsc } from 'node:fs'
import { lstat, open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises'
import { dirname, extname, resolve, sep } from 'node:path'
import { SwarmError } from '../../errors.ts'
import { FILE_ANALYSIS_MAX_BYTES, FILE_ANALYSIS_TIMEOUT_MS, FILE_SNIFF_BYTES } from '../constants.ts'

export interface AnalyzeFileOptions {
  signal?: AbortSignal
  /** Larger files are refused with `too-large` (default 64 MiB). */
  maxBytes?: number
  timeoutMs?: number
}

export interface FileAnalysis {
  /** The canonical path that was read (after realpath). */
  path: string
  length: number
  /** Newline-terminated lines plus a final unterminated one; null for binary files. */
  lines: number | null
  type: 'text' | 'binary'
  /** Lower-case extension without the dot, '' if none. */
  extension: string
  /** A guess from magic bytes, else the extension; 'application/octet-stream' if unknown. */
  mime: string
  sha256: string
}

const CHUNK_BYTES = 64 * 1024

/**
 * Analyses `path` if it lies under one of `safePrefixes`. A relative path is taken relative to
 * the first prefix (a peer names files inside the shared area, not in the daemon's cwd).
 */
export async function analyzeFile (path: string, safePrefixes: string[], options: AnalyzeFileOptions = {}): Promise<FileAnalysis> {
  const { maxBytes = FILE_ANALYSIS_MAX_BYTES, timeoutMs = FILE_ANALYSIS_TIMEOUT_MS } = options
  const signal = options.signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw refused(String(path))
  if (safePrefixes.length === 0) throw refused(path)
  if (signal.aborted) throw new SwarmError(stopCode(signal), `analysis of ${path} was stopped`)

  const prefixes = await canonicalPrefixes(safePrefixes)
  const wanted = resolve(resolve(safePrefixes[0]), path)
  // Judge the spelled path before touching it, so a peer cannot probe what exists outside.
  if (!prefixes.some(p => isUnder(wanted, p.lexical) || isUnder(wanted, p.real))) throw refused(path)

  let real: string
  try {
    real = await realpath(wanted)
  } catch (err: any) {
    if (err?.code === 'ENOENT' || err?.code === 'ENOTDIR') throw await whyMissing(path, wanted, prefixes)
    throw new SwarmError('path-refused', `cannot resolve ${path}: ${String(err?.code ?? err)}`, { detail: { path } })
  }
  if (!prefixes.some(p => isUnder(real, p.real))) throw refused(path)

  // O_NOFOLLOW + fstat on the opened handle: what we read is what we judged, and a FIFO or
  // device cannot stall the reader (O_NONBLOCK).
  let fh: FileHandle
  try {
    fh = await open(real, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK)
  } catch (err: any) {
    if (err?.code === 'EISDIR') throw notAFile(path)
    if (err?.code === 'ENOENT') throw new SwarmError('not-found', `no such file: ${path}`, { detail: { path } })
    throw new SwarmError('path-refused', `cannot open ${path}: ${String(err?.code ?? err)}`, { detail: { path } })
  }
  try {
    const st = await fh.stat()
    // What was opened, not what was checked: the race ends here.
    if (!await opensInside(fh, st, prefixes)) throw refused(path)
    if (!st.isFile()) throw notAFile(path)
    if (st.size > maxBytes) throw new SwarmError('too-large', `${path} is ${st.size} bytes; the limit is ${maxBytes}`, { detail: { path, length: st.size, maxBytes } })
    return await digest(fh, real, maxBytes, signal)
  } finally {
    await fh.close()
  }
}

async function digest (fh: FileHandle, real: string, maxBytes: number, signal: AbortSignal): Promise<FileAnalysis> {
  const hash = createHash('sha256')
  const buf = Buffer.alloc(CHUNK_BYTES)
  let length = 0
  let newlines = 0
  let last = -1
  let sniff: Buffer | undefined
  for (;;) {
    if (signal.aborted) throw new SwarmError(stopCode(signal), `analysis of ${real} was stopped`)
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, null)
    if (bytesRead === 0) break
    const chunk = buf.subarray(0, bytesRead)
    if (sniff === undefined) sniff = Buffer.from(chunk.subarray(0, FILE_SNIFF_BYTES))
    hash.update(chunk)
    length += bytesRead
    // The file may grow between fstat and the read; the limit still holds.
    if (length > maxBytes) throw new SwarmError('too-large', `${real} grew beyond ${maxBytes} bytes while being read`)
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++
    last = chunk[bytesRead - 1]
  }
  const head = sniff ?? Buffer.alloc(0)
  const type = isBinary(head) ? 'binary' : 'text'
  const extension = extname(real).slice(1).toLowerCase()
  return {
    path: real,
    length,
    lines: type === 'binary' ? null : newlines + (length > 0 && last !== 10 ? 1 : 0),
    type,
    extension,
    mime: sniffMime(head) ?? MIME_BY_EXTENSION[extension] ?? (type === 'text' ? 'text/plain' : 'application/octet-stream'),
    sha256: hash.digest('hex')
  }
}

/** Our own deadline reads as `timeout`; the caller's abort as `aborted`. */
function stopCode (signal: AbortSignal): string {
  return (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError' ? 'timeout' : 'aborted'
}

/** Binary if the sniffed head holds a NUL byte or is not UTF-8 (a cut final character is fine). */
function isBinary (head: Buffer): boolean {
  if (head.includes(0)) return true
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    return false
  } catch {
    return true
  }
}

/**
 * The opened descriptor's own path (the kernel's answer, after every symlink and rename) lies
 * inside a prefix and still names this very file (same device and inode). Linux /proc; where
 * it cannot be read, the answer is no.
 */
async function opensInside (fh: FileHandle, st: { dev: number, ino: number }, prefixes: Prefix[]): Promise<boolean> {
  let actual: string
  try { actual = await readlink(`/proc/self/fd/${fh.fd}`) } catch { return false }
  if (!prefixes.some(p => isUnder(actual, p.real))) return false
  try {
    const now = await stat(actual)
    return now.dev === st.dev && now.ino === st.ino
  } catch {
    return false
  }
}

/**
 * A path that does not resolve: `not-found` only when the first missing component sits in a
 * real directory inside a prefix; a dangling symlink, or a missing place outside, is refused
 * (so a peer cannot learn what exists outside through the difference).
 */
async function whyMissing (path: string, wanted: string, prefixes: Prefix[]): Promise<SwarmError> {
  let at = wanted
  for (;;) {
    try {
      await lstat(at)
      // it exists as an entry yet does not resolve: a dangling (or swapped) symlink
      return refused(path)
    } catch { /* missing: look at its parent */ }
    const parent = dirname(at)
    if (parent === at) return refused(path)
    try {
      const real = await realpath(parent)
      return prefixes.some(p => isUnder(real, p.real))
        ? new SwarmError('not-found', `no such file: ${path}`, { detail: { path } })
        : refused(path)
    } catch {
      at = parent
    }
  }
}

interface Prefix { lexical: string, real: string }

async function canonicalPrefixes (safePrefixes: string[]): Promise<Prefix[]> {
  const out: Prefix[] = []
  for (const p of safePrefixes) {
    const lexical = resolve(p)
    // A prefix that does not exist cannot contain anything; skip it rather than fail the task.
    try { out.push({ lexical, real: await realpath(lexical) }) } catch {}
  }
  return out
}

/** `child` equals `dir` or lies below it on a segment boundary (/srv/data2 is not in /srv/data). */
export function isUnder (child: string, dir: string): boolean {
  if (child === dir) return true
  const base = dir.endsWith(sep) ? dir : dir + sep
  return child.startsWith(base)
}

function refused (path: string): SwarmError {
  return new SwarmError('path-refused', `${path} is outside the safe prefixes`, { detail: { path } })
}

function notAFile (path: string): SwarmError {
  return new SwarmError('not-a-file', `${path} is not a regular file`, { detail: { path } })
}

const MAGIC: Array<[number[], string]> = [
  [[0x89, 0x50, 0x4e, 0x47], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'image/gif'],
  [[0x25, 0x50, 0x44, 0x46], 'application/pdf'],
  [[0x50, 0x4b, 0x03, 0x04], 'application/zip'],
  [[0x1f, 0x8b], 'application/gzip'],
  [[0x7f, 0x45, 0x4c, 0x46], 'application/x-elf'],
  [[0x00, 0x61, 0x73, 0x6d], 'application/wasm'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'application/zstd']
]

function sniffMime (head: Buffer): string | undefined {
  for (const [magic, mime] of MAGIC) {
    if (magic.every((b, i) => head[i] === b)) return mime
  }
  return undefined
}

const MIME_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', json: 'application/json', csv: 'text/csv',
  html: 'text/html', css: 'text/css', xml: 'application/xml', yaml: 'application/yaml', yml: 'application/yaml',
  js: 'text/javascript', mjs: 'text/javascript', ts: 'text/x-typescript', py: 'text/x-python',
  sh: 'text/x-shellscript', rs: 'text/x-rust', go: 'text/x-go', c: 'text/x-c', h: 'text/x-c',
  toml: 'application/toml', svg: 'image/svg+xml', webp: 'image/webp', tar: 'application/x-tar'
}
