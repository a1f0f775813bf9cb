// Launches the system's Debian chromium through playwright-core (never a downloaded build), with
// the flags WebRTC needs headless on loopback. Each page gets its own context — its own
// IndexedDB, so its own swarm identity, like a separate browser — granted `microphone`, without
// which Chromium hides host ICE candidates behind mDNS names and browser↔browser WebRTC fails.
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core'

export const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium']

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--allow-loopback-in-peer-connection'
]

/** The chromium binary: $SWARM_CHROMIUM, else the Debian paths (scripts/setup-system.sh installs it). */
export function findChromium (): string | undefined {
  const fromEnv = process.env.SWARM_CHROMIUM
  if (fromEnv != null && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : undefined
  return CHROMIUM_CANDIDATES.find(p => existsSync(p))
}

export interface ChromiumSession {
  browser: Browser
  /** Opens `url` in a fresh context; console lines are kept for `logs(page)`. */
  newPage(url: string): Promise<Page>
  /**
   * Waits until a loaded page's `window.swarm` is ready (with `backfilled`, also until it has
   * fetched what its daemon holds); a page that does not start fails the call with its console.
   */
  ready(page: Page, o?: { backfilled?: boolean }): Promise<void>
  /** `newPage`, then `ready`. */
  openPage(url: string, o?: { backfilled?: boolean }): Promise<Page>
  logs(page: Page): string[]
  close(): Promise<void>
}

export async function launchChromium (options: { executablePath?: string, args?: string[] } = {}): Promise<ChromiumSession> {
  const executablePath = options.executablePath ?? findChromium()
  if (executablePath == null) throw new Error('chromium not found: run scripts/setup-system.sh (or set SWARM_CHROMIUM)')
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...(options.args ?? [])], timeout: 30_000 })
  const contexts: BrowserContext[] = []
  const consoles = new WeakMap<Page, string[]>()
  let closed = false
  const newPage = async (url: string): Promise<Page> => {
    const context = await browser.newContext({ permissions: ['microphone'] })
    contexts.push(context)
    const page = await context.newPage()
    const lines: string[] = []
    consoles.set(page, lines)
    page.on('console', (msg: ConsoleMessage) => { lines.push(`${msg.type()}: ${msg.text()}`) })
    page.on('pageerror', err => { lines.push(`pageerror: ${err.message}`) })
    await page.goto(url)
    return page
  }
  const ready = async (page: Page, o: { backfilled?: boolean } = {}): Promise<void> => {
    try {
      await page.waitForFunction(() => window.swarm?.ready != null)
      await page.evaluate(async (backfilled) => {
        await window.swarm.ready
        if (backfilled) await window.swarm.backfilled
      }, o.backfilled === true)
    } catch (err) {
      throw new Error(`page did not start: ${(err as Error).message}\n${consoles.get(page)?.join('\n') ?? ''}`)
    }
  }
  return {
    browser,
    newPage,
    ready,
    async openPage (url, o) {
      const page = await newPage(url)
      await ready(page, o)
      return page
    },
    logs: page => consoles.get(page) ?? [],
    async close () {
      if (closed) return
      closed = true
      for (const context of contexts) await context.close().catch(() => {})
      await browser.close().catch(() => {})
    }
  }
}
