import { defineConfig } from 'vitest/config'

// Real Chromium; one file at a time (each starts daemons and browsers).
export default defineConfig({
  test: {
    // the daemon serves the prebuilt browser bundle: rebuilt here when a source changed
    globalSetup: ['test/helpers/web-bundle-setup.ts'],
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000
  }
})
