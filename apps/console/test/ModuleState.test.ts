/** A module's state on a scan's page: rate-limited until its source may go again, else what its tasks say. */
import { describe, expect, it } from "@effect/vitest"
import type { ModuleRow } from "../src/ModuleState.js"
import { stateOf } from "../src/ModuleState.js"

const now = Date.parse("2026-06-01T12:00:00Z")
const counts = (over: Partial<ModuleRow>): ModuleRow => ({
  module_id: "crtsh",
  queued: 0,
  running: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  result_count: 0,
  ...over
})
const source = (over: Record<string, unknown>) => ({
  id: "crtsh",
  name: "crt.sh",
  module_ids: ["crtsh"],
  rate_limit: { requests: 1, per_seconds: 1, burst: 1 },
  requires_key: false,
  key_configured: false,
  proxy: false,
  state: "ok" as const,
  rate_limited_until: null,
  last_error: null,
  last_error_at: null,
  keys: [],
  ...over
})

describe("module state", () => {
  it("a module with tasks to run whose source is paused is rate-limited until the source's time", () => {
    const limited = source({ state: "rate_limited", rate_limited_until: "2026-06-01T12:05:00Z" })
    const state = stateOf(counts({ queued: 2, running: 1 }), limited, now)
    expect(state.state).toBe("rate_limited")
    expect(state.text).toMatch(/^rate-limited until .*\d/)
  })

  it("a pause that has passed, or a module with nothing left to run, is not rate-limited", () => {
    const past = source({ state: "rate_limited", rate_limited_until: "2026-06-01T11:59:00Z" })
    expect(stateOf(counts({ running: 1 }), past, now).state).toBe("running")
    const limited = source({ state: "rate_limited", rate_limited_until: "2026-06-01T12:05:00Z" })
    expect(stateOf(counts({ completed: 3 }), limited, now).state).toBe("done")
  })

  it("failed tasks read as failed with their own error, else the source's last error; else queued, done or waiting", () => {
    const failing = source({ state: "failing", last_error: "HTTP 503 from crt.sh" })
    expect(stateOf(counts({ failed: 2, completed: 1 }), failing, now)).toEqual({
      state: "failed",
      text: "failed (2)",
      detail: "HTTP 503 from crt.sh"
    })
    expect(stateOf(counts({ failed: 1, last_error: "HTTP 401 from crt.sh" }), failing, now).detail)
      .toBe("HTTP 401 from crt.sh")
    expect(stateOf(counts({ failed: 1, last_error: null }), undefined, now).detail).toBeUndefined()
    expect(stateOf(counts({ queued: 4 }), undefined, now).state).toBe("queued")
    expect(stateOf(counts({ cancelled: 1 }), undefined, now).state).toBe("done")
    expect(stateOf(counts({}), undefined, now).state).toBe("waiting")
  })
})
