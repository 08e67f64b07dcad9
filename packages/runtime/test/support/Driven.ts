/**
 * Test support for effects that mix real I/O (fixture servers, Redis, MongoDB) with schedules on
 * the TestClock: runs the effect and, whenever it is parked on a TestClock sleep, moves the clock
 * to the earliest wake-up, so backoffs and Retry-After are exact and take no wall time.
 */
import { Clock, Duration, Effect, Fiber, Logger, LogLevel, Option, TestClock, TestServices } from "effect"

// How long to let real I/O progress before looking again; not a schedule, only a poll.
const ioPoll = TestServices.provideLive(Effect.sleep("2 millis"))

/**
 * Sleeps further away than `horizonMs` are left alone: they are timeouts running beside I/O (a
 * task's own timeout), which the driver must not fire while a request is in flight.
 */
export const driven = <A, E, R>(effect: Effect.Effect<A, E, R>, horizonMs = 120_000): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (;;) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return yield* done.value
      const now = yield* Clock.currentTimeMillis
      const sleeps = Array.from(yield* TestClock.sleeps()).filter((at) => at <= now + horizonMs)
      if (sleeps.length > 0) {
        yield* TestClock.setTime(Math.min(...sleeps))
      } else {
        yield* ioPoll
      }
    }
  })

/**
 * Moves the clock `duration` ahead, one wake-up at a time, each only once `sleepers` fibers are parked on it: for
 * fibers that sleep and do real I/O side by side, none of which may be overtaken while its request is in flight.
 */
export const advanceParked = (duration: Duration.DurationInput, sleepers: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    const target = (yield* Clock.currentTimeMillis) + Duration.toMillis(duration)
    for (;;) {
      let sleeps = Array.from(yield* TestClock.sleeps())
      while (sleeps.length < sleepers) {
        yield* ioPoll
        sleeps = Array.from(yield* TestClock.sleeps())
      }
      const next = Math.min(...sleeps)
      if (next > target) return yield* TestClock.setTime(target)
      yield* TestClock.setTime(next)
    }
  })

/** Every log line (all levels) as logfmt text, for checking what logs contain. */
export const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make<unknown, void>((options) => {
    lines.push(Logger.logfmtLogger.log(options))
  })
  return {
    lines,
    provide: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      effect.pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
  }
}
