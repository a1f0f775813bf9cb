// Bundles the browser client (src/web/entry.ts: node, bus client, window.swarm and the page's
// app) into one minified ES module with esbuild, into dist/web/. A build step: `npm ci` (prepare,
// through build-dist.ts), `npm run build:web` and the test runner's global setup run it; the
// daemon only reads the result (src/web/bundle.ts). Flags: --outdir DIR, --no-minify, --analyze.
//
// Two things keep the bundle under its 800 KB target:
// - dedupe: npm nests identical versions of uint8arraylist, protons-runtime, uint8arrays, … under
//   a dozen libp2p packages; each bare import is resolved to one copy per name@version (−146 KB).
// - zod subset: the envelope schemas import `{ z } from 'zod'`, which keeps every locale and the
//   JSON-Schema converters; the browser gets zod's own builders through src/web/zod-subset.ts.
import { PACKAGE_ROOT } from '../src/root.ts'
import { WEB_OUTDIR, WEB_BUNDLE_NAME, WEB_META_NAME, isWebBundleStale } from '../src/web/bundle.ts'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Metafile, Plugin } from 'esbuild'

const ROOT = PACKAGE_ROOT
export const WEB_ENTRY = join(ROOT, 'src/web/entry.ts')
// where the bundle goes and how staleness is judged: declared once, beside the daemon's reader
export { WEB_OUTDIR, WEB_BUNDLE_NAME, WEB_META_NAME, isWebBundleStale } from '../src/web/bundle.ts'
/** The target for the minified bundle. */
export const WEB_BUNDLE_TARGET_BYTES = 800 * 1024

export interface BuildWebOptions {
  /** @default <repo>/dist/web */
  outdir?: string
  /** @default true */
  minify?: boolean
}

export interface WebBundle {
  file: string
  bytes: number
  /** Bytes per package (or source folder), largest first; with `analyze`. */
  parts?: Array<[string, number]>
}

export async function buildWebBundle (options: BuildWebOptions & { analyze?: boolean } = {}): Promise<WebBundle> {
  const outdir = options.outdir ?? WEB_OUTDIR
  const file = join(outdir, WEB_BUNDLE_NAME)
  const result = await build({
    entryPoints: [WEB_ENTRY],
    outfile: file,
    write: false,
    metafile: true,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: options.minify ?? true,
    charset: 'utf8',
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [zodSubset(), noNodeEd25519(), dedupePackages(ROOT)],
    // libp2p's packages ship "browser" maps (e.g. the private-address gater, the dial-only
    // webrtc-direct transport); the default conditions for platform browser pick them
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' }
  })
  const out = result.outputFiles[0]
  await mkdir(outdir, { recursive: true })
  // write then rename: daemons starting together may build at once, and a page may be loading
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  await writeFile(tmp, out.contents)
  await rename(tmp, file)
  // files only: a plugin's generated module (`namespace:name`) has no mtime to compare
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !/^[a-z-]+:/.test(p)).map((p) => relative(ROOT, resolve(ROOT, p)))
  await writeFile(join(outdir, WEB_META_NAME), JSON.stringify({ builtAt: new Date().toISOString(), bytes: out.contents.length, inputs }) + '\n')
  const bundle: WebBundle = { file, bytes: out.contents.length }
  if (options.analyze === true) bundle.parts = analyze(result.metafile)
  return bundle
}

/** Builds unless an up-to-date bundle is there. */
export async function ensureWebBundle (options: BuildWebOptions = {}): Promise<WebBundle & { built: boolean }> {
  const outdir = options.outdir ?? WEB_OUTDIR
  if (!(await isWebBundleStale(outdir))) {
    const file = join(outdir, WEB_BUNDLE_NAME)
    return { file, bytes: (await stat(file)).size, built: false }
  }
  return { ...await buildWebBundle(options), built: true }
}

function zodSubset (): Plugin {
  const zodDir = join(ROOT, 'node_modules', 'zod')
  return {
    name: 'swarm-zod-subset',
    setup (b) {
      b.onResolve({ filter: /^zod$/ }, (args) => args.importer.endsWith('zod-builders.ts') ? undefined : { path: join(ROOT, 'src/web/zod-subset.ts') })
      // zod's package "exports" hide the classic builders' own file; take it by path
      b.onResolve({ filter: /^zod\/v4\/classic\/schemas\.js$/ }, () => ({ path: join(zodDir, 'v4/classic/schemas.js') }))
    }
  }
}

/**
 * The node:crypto Ed25519 backend (src/envelope/ed25519-node.ts) finds no node:crypto in a
 * browser and returns undefined there; the bundle gets that answer without the 1 KB of code.
 */
function noNodeEd25519 (): Plugin {
  return {
    name: 'swarm-no-node-ed25519',
    setup (b) {
      b.onResolve({ filter: /\/ed25519-node\.ts$/ }, () => ({ path: 'ed25519-node', namespace: 'swarm-stub' }))
      b.onLoad({ filter: /.*/, namespace: 'swarm-stub' }, () => ({ contents: 'export const createNodeEd25519 = () => undefined', loader: 'ts' }))
    }
  }
}

/** Resolves every bare import to one copy per package name and version. */
function dedupePackages (root: string): Plugin {
  const canonical = new Map<string, string>() // name@version → package dir
  const scanned = new Set<string>()
  const versionOf = (dir: string): string | undefined => {
    try { return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version } catch { return undefined }
  }
  const scan = (name: string): void => {
    if (scanned.has(name)) return
    scanned.add(name)
    const dirs: string[] = []
    const walk = (nodeModules: string, depth: number): void => {
      if (depth > 6 || !existsSync(nodeModules)) return
      if (existsSync(join(nodeModules, name, 'package.json'))) dirs.push(join(nodeModules, name))
      for (const e of readdirSync(nodeModules, { withFileTypes: true })) {
        if (!e.isDirectory() || e.name.startsWith('.')) continue
        if (e.name.startsWith('@')) {
          for (const s of readdirSync(join(nodeModules, e.name))) walk(join(nodeModules, e.name, s, 'node_modules'), depth + 1)
        } else {
          walk(join(nodeModules, e.name, 'node_modules'), depth + 1)
        }
      }
    }
    walk(join(root, 'node_modules'), 0)
    // the shallowest copy wins, then by path: the same choice on every build
    dirs.sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
    for (const d of dirs) {
      const key = `${name}@${versionOf(d) ?? '?'}`
      if (!canonical.has(key)) canonical.set(key, d)
    }
  }
  return {
    name: 'swarm-dedupe',
    setup (b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.dedupe === true || args.path.startsWith('node:')) return undefined
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { dedupe: true } })
        if (r.errors.length > 0 || r.external) return undefined
        const name = /^(@[^/]+\/[^/]+|[^/]+)/.exec(args.path)?.[1]
        if (name === undefined) return undefined
        const marker = `${sep}node_modules${sep}${name}${sep}`
        const at = r.path.lastIndexOf(marker)
        if (at < 0) return { path: r.path, sideEffects: r.sideEffects }
        const dir = r.path.slice(0, at + marker.length - 1)
        scan(name)
        const target = canonical.get(`${name}@${versionOf(dir) ?? '?'}`) ?? dir
        return { path: target + r.path.slice(dir.length), sideEffects: r.sideEffects }
      })
    }
  }
}

function analyze (meta: Metafile): Array<[string, number]> {
  const by = new Map<string, number>()
  for (const output of Object.values(meta.outputs)) {
    for (const [path, v] of Object.entries(output.inputs)) {
      const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(path)
      const key = m?.[1] ?? path.split('/').slice(0, 2).join('/')
      by.set(key, (by.get(key) ?? 0) + v.bytesInOutput)
    }
  }
  return [...by].sort((a, b) => b[1] - a[1])
}

if (process.argv[1] != null && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--outdir')
  const started = performance.now()
  const { file, bytes, parts } = await buildWebBundle({
    outdir: at >= 0 ? resolve(args[at + 1]) : undefined,
    minify: !args.includes('--no-minify'),
    analyze: args.includes('--analyze')
  })
  process.stdout.write(`${file} ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB; target ${WEB_BUNDLE_TARGET_BYTES}) in ${Math.round(performance.now() - started)} ms\n`)
  for (const [name, n] of parts ?? []) if (n >= 2048) process.stdout.write(`  ${String(n).padStart(7)}  ${name}\n`)
}
