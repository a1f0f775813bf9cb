// Bundles the CLI and daemon (src/cli/main.ts and everything it imports) into dist/swarm/,
// split at the dynamic imports so a CLI command loads only its small chunk, not the daemon's.
// Why: Node spends most of a daemon's start resolving and loading ~1,500 small ES modules;
// one bundled file starts the daemon in about a third of the time and keeps `swarm id` fast.
// The sources stay the truth: bin/swarm uses the bundle only while it is newer than every
// source file it was built from (dist/swarm/inputs.sh: the list as one sh variable, so the sh
// launcher checks it with test's -nt, forking nothing), and runs the sources otherwise.
// Run by `npm ci` (prepare), which also builds the browser bundle (dist/web, scripts/build-web.ts);
// `node scripts/build-dist.ts` rebuilds both by hand.

import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { spawnSync } from 'node:child_process'
import { join, relative } from 'node:path'
import { HELP_WIDTH } from '../src/cli/program.ts'
import { PACKAGE_ROOT } from '../src/root.ts'

export const DIST_DIR = join(PACKAGE_ROOT, 'dist', 'swarm')
export const DIST_FILE = join(DIST_DIR, 'main.mjs')
export const DIST_INPUTS = join(DIST_DIR, 'inputs.sh')

/** Packages with native parts or their own binaries stay outside the bundle. */
const EXTERNAL = ['classic-level', '@ipshipyard/node-datachannel', 'esbuild', 'playwright-core', 'fsevents']

/** Node's built-in modules reached through process.getBuiltinModule(), not `import`: an ES import of a builtin
 *  builds its module facade, which reads every export and so loads what the lazy getters guard
 *  (fs.promises → readline, util → parse_args, process.report, streams): ~15 ms of `swarm id`. */
const builtinsWithoutFacades = {
  name: 'builtins-without-facades',
  setup (build: { onResolve: Function, onLoad: Function }): void {
    // A dynamic import() stays a real one: esbuild would give a CommonJS shim only a default export
    build.onResolve({ filter: /^node:/ }, (args: { path: string, kind: string }) => args.kind === 'dynamic-import' ? { path: args.path, external: true } : { path: args.path, namespace: 'swarm-builtin' })
    build.onLoad({ filter: /.*/, namespace: 'swarm-builtin' }, (args: { path: string }) => ({ contents: builtinModule(args.path), loader: 'js' }))
  }
}

/** Builtins that cost milliseconds to load, or to copy: child_process alone is ~4 ms (commander
 *  pulls it in for executable subcommands we never use), and esbuild's CommonJS interop reads
 *  every property descriptor of node:util, which materialises its lazy exports (streams,
 *  worker_threads, TextDecoder: ~7 ms). Each stands in as one getter per export and loads on the
 *  first property read. Not process or console: their methods need `this` to be the real object. */
const LAZY_BUILTINS = new Set(['node:util', 'node:child_process', 'node:net', 'node:crypto', 'node:os', 'node:readline', 'node:http', 'node:https', 'node:zlib', 'node:dns', 'node:tls', 'node:worker_threads', 'node:dgram', 'node:perf_hooks', 'node:v8'])

function builtinModule (path: string): string {
  const load = `process.getBuiltinModule(${JSON.stringify(path)})`
  const exported = process.getBuiltinModule(path) as Record<string, unknown>
  // Only a plain namespace object can be stood in for; a module that exports a function or class
  // (events, stream, assert) is itself the value its users call or extend.
  if (!LAZY_BUILTINS.has(path) || typeof exported !== 'object') return `module.exports = ${load}`
  const getters = Object.keys(exported).map((k) => `get ${JSON.stringify(k)} () { return (m ??= ${load})[${JSON.stringify(k)}] }`)
  return `let m\nmodule.exports = {\n  ${getters.join(',\n  ')}\n}`
}

/** What bin/swarm's sh part execs once it has found the bundle fresh: the compile cache on
 *  before the first module loads (so it serves them all), then the CLI. */
const CLI_ENTRY = `// Written by scripts/build-dist.ts; run by bin/swarm.
// \`--version\` alone needs only package.json, not the CLI (as in bin/swarm's own JavaScript), and
// \`--help\` alone the text this bundle printed when it was built (help.txt), unless stdout is a
// terminal narrower than the width help wraps at (src/cli/program.ts, HELP_WIDTH).
const args = process.argv.slice(2)
const fs = process.getBuiltinModule('node:fs')
function builtHelp () {
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return undefined
  if (process.stdout.isTTY && process.stdout.columns > 0 && process.stdout.columns < ${HELP_WIDTH}) return undefined
  try { return fs.readFileSync(new URL('./help.txt', import.meta.url), 'utf8') } catch { return undefined }
}
try {
  let help
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    const pkg = fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    process.stdout.write(JSON.parse(pkg).version + '\\n')
  } else if ((help = builtHelp()) !== undefined) {
    process.stdout.write(help)
  } else {
    process.getBuiltinModule('node:module').enableCompileCache?.()
    const { main } = await import('./main.mjs')
    await main(args)
  }
} catch (err) {
  process.stderr.write(\`swarm: \${err && err.message ? err.message : String(err)}\\n\`)
  process.exit(1)
}
`

/** The bundle's inputs as bin/swarm sources them (`. inputs.sh`; dash reads a sourced file in
 *  blocks, where its `read` builtin would take a syscall per byte). Paths are split on spaces
 *  unquoted, so only plain ones are allowed. */
export function inputsScript (inputs: string[]): string {
  const odd = inputs.find((p) => !/^[\w./@+-]+$/.test(p))
  if (odd !== undefined) throw new Error(`build-dist: source path ${JSON.stringify(odd)} has characters the launcher's freshness check cannot take`)
  return `# Written by scripts/build-dist.ts: the files dist/swarm was built from (bin/swarm checks them).\nswarm_inputs='${inputs.join(' ')}'\n`
}

/** The list back from inputs.sh (bin/swarm's JavaScript and the bench read it too). */
export function parseInputsScript (text: string): string[] {
  return /^swarm_inputs='([^']*)'$/m.exec(text)?.[1].split(' ').filter((p) => p !== '') ?? []
}

export async function buildDist (): Promise<{ file: string, bytes: number }> {
  const esbuild = await import('esbuild')
  const tmp = `${DIST_DIR}.${process.pid}.tmp`
  await mkdir(join(PACKAGE_ROOT, 'dist'), { recursive: true })
  await rm(tmp, { recursive: true, force: true })
  const result = await esbuild.build({
    entryPoints: [join(PACKAGE_ROOT, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    splitting: true,
    external: EXTERNAL,
    metafile: true,
    plugins: [builtinsWithoutFacades],
    logLevel: 'warning',
    legalComments: 'none',
    // Whitespace and comments out (commander alone is 110 KB of JSDoc): less for every command to
    // read and hash; `swarm id` measured ~7 ms faster. Names stay, so stack traces still read, and
    // the linked source maps give their lines back (NODE_OPTIONS=--enable-source-maps).
    minifyWhitespace: true,
    sourcemap: 'linked',
    // CommonJS dependencies call require(); give the ES module bundle one.
    banner: { js: "import { createRequire as __swarmRequire } from 'node:module'; const require = __swarmRequire(import.meta.url);" }
  })
  const local = Object.keys(result.metafile.inputs)
    .filter((p) => !p.startsWith('swarm-builtin:'))
    .map((p) => relative(PACKAGE_ROOT, join(PACKAGE_ROOT, p)))
    .filter((p) => !p.startsWith('node_modules') && !p.startsWith('..'))
  await writeFile(join(tmp, 'inputs.sh'), inputsScript([...local, 'package-lock.json']))
  await writeFile(join(tmp, 'cli.mjs'), CLI_ENTRY)
  // the top-level help, as this very bundle prints it into a pipe (HELP_WIDTH columns)
  const help = spawnSync(process.execPath, [join(tmp, 'cli.mjs'), '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
  if (help.status === 0 && help.stdout.includes('Usage:')) await writeFile(join(tmp, 'help.txt'), help.stdout)
  else process.stderr.write(`build-dist: help.txt not written (swarm --help exited ${String(help.status)}): ${help.stderr}\n`)
  // Swap the whole directory: a concurrent reader sees the old bundle or the new one.
  const old = `${DIST_DIR}.${process.pid}.old`
  await rename(DIST_DIR, old).catch(() => {})
  await rename(tmp, DIST_DIR)
  await rm(old, { recursive: true, force: true })
  await rm(join(PACKAGE_ROOT, 'dist', 'swarm.inputs.json'), { force: true }) // where older builds kept the list
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
  return { file: DIST_FILE, bytes }
}

if (import.meta.main) {
  const { file } = await buildDist()
  console.log(`built ${relative(PACKAGE_ROOT, file)}`)
  // the browser bundle the daemon's web service serves (it never builds at run time)
  const { ensureWebBundle } = await import('./build-web.ts')
  const web = await ensureWebBundle()
  console.log(`${web.built ? 'built' : 'up to date:'} ${relative(PACKAGE_ROOT, web.file)}`)
}
