// Bundles the browser client (src/web/entry.ts) into one ES module with esbuild. The daemon calls
// buildWebBundle() at start when dist/web/swarm.js is missing; `node scripts/build-web.ts` runs it
// standalone (flags: --outdir DIR, --no-minify).
import { stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const WEB_ENTRY = join(ROOT, 'src/web/entry.ts')
export const WEB_OUTDIR = join(ROOT, 'dist/web')
export const WEB_BUNDLE_NAME = 'swarm.js'

export interface BuildWebOptions {
  /** @default <repo>/dist/web */
  outdir?: string
  /** @default true */
  minify?: boolean
}

export async function buildWebBundle (options: BuildWebOptions = {}): Promise<{ file: string, bytes: number }> {
  const outdir = options.outdir ?? WEB_OUTDIR
  const file = join(outdir, WEB_BUNDLE_NAME)
  await build({
    entryPoints: [WEB_ENTRY],
    outfile: file,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // libp2p's packages ship "browser" maps (e.g. the private-address gater, the dial-only
    // webrtc-direct transport); the default conditions for platform browser pick them
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' }
  })
  return { file, bytes: (await stat(file)).size }
}

if (process.argv[1] != null && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--outdir')
  const started = performance.now()
  const { file, bytes } = await buildWebBundle({
    outdir: at >= 0 ? resolve(args[at + 1]) : undefined,
    minify: !args.includes('--no-minify')
  })
  process.stdout.write(`${file} ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB) in ${Math.round(performance.now() - started)} ms\n`)
}
