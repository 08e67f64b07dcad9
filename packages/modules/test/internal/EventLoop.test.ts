/** eventLoopTurn: a long piece of work that yields with it lets the event loop's pending callbacks run. */
import { describe, expect, it } from "@effect/vitest"
import { eventLoopTurn } from "@mirage/modules/internal/EventLoop"
import { Effect, Exit, Fiber } from "effect"

/** Whether a callback queued on the event loop ran before `yielding` resumed the fiber. */
const ranBefore = (yielding: Effect.Effect<void>) =>
  Effect.gen(function*() {
    let ran = false
    setImmediate(() => {
      ran = true
    })
    yield* yielding
    return ran
  })

describe("eventLoopTurn", () => {
  it.effect("lets the callbacks the event loop holds run, which Effect.yieldNow does not", () =>
    Effect.gen(function*() {
      expect(yield* ranBefore(Effect.yieldNow())).toBe(false)
      expect(yield* ranBefore(eventLoopTurn)).toBe(true)
    }))

  it.effect("can be interrupted while it waits", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(eventLoopTurn)
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
    }))
})
