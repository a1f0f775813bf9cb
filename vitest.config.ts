import { defineConfig } from 'vitest/config'

// Unit, integration and end-to-end suites run here; the browser suite runs separately inside a
// loopback-only network namespace (scripts/test.ts). Three workers on the machine's two cores: the
// end-to-end tests spend most of their time waiting on the daemons they spawn, so a third file in
// flight keeps the cores busy and the suite under ten minutes.
export default defineConfig({
  test: {
    // the daemon serves the prebuilt browser bundle: rebuilt here when a source changed
    globalSetup: ['test/helpers/web-bundle-setup.ts'],
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/adversarial/**/*.test.ts', 'test/scale/**/*.test.ts', 'test/soak/**/*.test.ts', 'test/netns/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default']
  }
})
