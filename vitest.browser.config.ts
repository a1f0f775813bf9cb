import { defineConfig } from 'vitest/config'

// Real Chromium; one file at a time (each starts daemons and browsers).
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000
  }
})
