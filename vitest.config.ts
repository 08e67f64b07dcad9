import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "infra/test/**/*.test.ts"],
    globalSetup: ["./infra/vitest.global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: {
      forks: {
        // A fork runs file after file on one module graph: the files share their imports (Effect, the platform, the
        // sources under test) instead of loading and transforming them again each, which took longer than the tests.
        // Every test makes its own stores and closes what it opens; what modules keep (memos keyed by content,
        // per-object caches, the metrics registry) may outlive a file, so no test asserts on another file's traces.
        isolate: false,
        // At least two at a time (vitest's default is one fork fewer than cores: one on two): the integration tests
        // spend much of their time waiting on the stores and on spawned processes.
        maxForks: Math.max(2, availableParallelism() - 1)
      }
    },
    fakeTimers: { toFake: [] }
  }
})
