// Browser figures: page load → connected to the serving daemon, page load → first question
// received from it (medians of 10 fresh pages in real Chromium), and the minified bundle size.
// Chromium must run in a loopback-only network namespace: outside one, this re-executes itself
// through scripts/in-netns.sh and reads the figures back (one JSON line on stdout).
// Standalone: node scripts/bench/browser.ts [--runs N]

import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { figure, median, type Figure } from './figure.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const SELF = fileURLToPath(import.meta.url)
const RUNS = 10

export async function benchBrowser (runs = RUNS): Promise<Figure[]> {
  const bundle = await bundleFigure()
  if (process.env.SWARM_IN_NETNS === '1') return [...await measure(runs), bundle]
  const child = spawnSync('sh', [join(ROOT, 'scripts', 'in-netns.sh'), process.execPath, SELF, '--child', '--runs', String(runs)], {
    cwd: ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit']
  })
  const line = child.stdout?.trim().split('\n').at(-1) ?? ''
  try {
    return [...JSON.parse(line) as Figure[], bundle]
  } catch {
    process.stderr.write(`bench browser: the namespaced run failed (exit ${String(child.status)}; see above)\n`)
    return [
      { name: 'browser-connect-ms', value: NaN, unit: 'error', target: 'report', pass: false },
      { name: 'browser-first-question-ms', value: NaN, unit: 'error', target: 'report', pass: false },
      bundle
    ]
  }
}

async function bundleFigure (): Promise<Figure> {
  const { buildWebBundle, WEB_BUNDLE_TARGET_BYTES } = await import('../build-web.ts')
  const dir = await mkdtemp(join(tmpdir(), 'swarm-bench-web-'))
  try {
    const { bytes } = await buildWebBundle({ outdir: dir })
    return figure('web-bundle-bytes', bytes, 'bytes', { max: WEB_BUNDLE_TARGET_BYTES })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Inside the namespace: a real daemon serving the page, with an open question; `runs` fresh pages. */
async function measure (runs: number): Promise<Figure[]> {
  const { cleanupHomes, createDaemon, stopAll } = await import('../../test/helpers/daemons.ts')
  const { launchChromium } = await import('../../test/helpers/chromium.ts')
  const daemon = await createDaemon({ ws: true, webrtcDirect: true, flags: ['--web', '127.0.0.1:0'] })
  const chromium = await launchChromium()
  try {
    await daemon.start()
    const url: string = (await daemon.json(['stats'])).web.url
    // an open question: each page gets it when it subscribes (the asker re-announces it directly)
    await daemon.json(['ask', 'bench: is anyone there?', '--ttl', '600'])
    const warm = await chromium.newPage(url) // the first page also warms the bundle cache and V8
    await warm.evaluate(async () => { await window.swarm.ready })
    await warm.context().close()
    const connected: number[] = []
    const firstQuestion: number[] = []
    for (let i = 0; i < runs; i++) {
      const page = await chromium.newPage(url)
      await page.waitForFunction(() => window.swarm?.timings.firstQuestion != null && window.swarm.timings.connected != null, undefined, { timeout: 30_000 })
      // performance.now() in the page counts from navigation start
      const t = await page.evaluate(() => window.swarm.timings)
      connected.push(t.connected!)
      firstQuestion.push(t.firstQuestion!)
      await page.context().close()
    }
    process.stderr.write(`bench browser: connected ${JSON.stringify(connected.map(Math.round))} first question ${JSON.stringify(firstQuestion.map(Math.round))}\n`)
    return [
      figure('browser-connect-ms', median(connected), 'ms', {}),
      figure('browser-first-question-ms', median(firstQuestion), 'ms', {})
    ]
  } finally {
    await chromium.close()
    await stopAll([daemon])
    await cleanupHomes()
  }
}

if (process.argv[1] != null && resolve(process.argv[1]) === SELF) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--runs')
  const runs = at >= 0 ? Number(args[at + 1]) : RUNS
  if (args.includes('--child')) {
    process.stdout.write(JSON.stringify(await measure(runs)) + '\n')
  } else {
    process.stdout.write(JSON.stringify(await benchBrowser(runs), null, 2) + '\n')
  }
  process.exit(0)
}
