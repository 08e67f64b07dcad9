import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "infra/test/**/*.test.ts"],
    globalSetup: ["./infra/vitest.global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fakeTimers: { toFake: [] }
  }
})
