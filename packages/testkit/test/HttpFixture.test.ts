import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import { Effect } from "effect"
import { HttpFixture } from "../src/index.js"

const hour = 3_600_000

describe("HttpFixture", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it.scopedLive("a delayed answer whose client gave up leaves no timer behind", () =>
    Effect.gen(function*() {
      const delays: Array<ReturnType<typeof setTimeout>> = []
      const setTimer = globalThis.setTimeout
      vi.spyOn(globalThis, "setTimeout").mockImplementation(
        ((callback: () => void, ms?: number) => {
          const timer = setTimer(callback, ms)
          if (ms === hour) delays.push(timer)
          return timer
        }) as typeof setTimeout
      )
      const cleared = vi.spyOn(globalThis, "clearTimeout")
      const fixture = yield* HttpFixture.make("https://example.com", () => HttpFixture.json({ ok: true }))
      yield* fixture.setLatency(hour)
      const controller = new AbortController()
      const request = fetch(`${fixture.url}/slow`, { signal: controller.signal }).catch(() => "aborted")
      // The server holds the request: its answer waits an hour on a timer.
      while (delays.length === 0) yield* Effect.sleep("5 millis")
      controller.abort()
      expect(yield* Effect.promise(() => request)).toBe("aborted")
      // The client left: the timer is cleared, and would not keep the process alive for the hour.
      for (let i = 0; i < 200 && !cleared.mock.calls.some(([timer]) => timer === delays[0]); i++) {
        yield* Effect.sleep("5 millis")
      }
      expect(cleared.mock.calls.some(([timer]) => timer === delays[0])).toBe(true)
    }))

  it.scopedLive("answers after the latency when the client waits", () =>
    Effect.gen(function*() {
      const fixture = yield* HttpFixture.make("https://example.com", () => HttpFixture.json({ ok: true }))
      yield* fixture.setLatency(30)
      const started = Date.now()
      const body = yield* Effect.promise(() => fetch(`${fixture.url}/x`).then((response) => response.json()))
      expect(body).toEqual({ ok: true })
      expect(Date.now() - started).toBeGreaterThanOrEqual(25)
    }))
})
