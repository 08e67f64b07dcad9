import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Schedule, TestClock } from "effect"
import * as Retry from "../../src/platform/Retry.js"

type Failure = { readonly _tag: "Transient" | "Fatal"; readonly attempt: number }

/** An operation that fails as `outcomes` says, attempt by attempt (then succeeds), recording when each attempt ran. */
const operation = (outcomes: ReadonlyArray<Failure["_tag"] | "ok">) => {
  const at: Array<number> = []
  const run = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    at.push(now)
    const outcome = outcomes[at.length - 1] ?? "ok"
    return outcome === "ok" ? Effect.succeed(at.length) : Effect.fail<Failure>({ _tag: outcome, attempt: at.length })
  })
  return { run, at }
}

const schedule = Schedule.exponential("50 millis").pipe(Schedule.intersect(Schedule.recurs(4)))
const transient = (error: Failure) => error._tag === "Transient"

/** Runs to its end on the TestClock: its exit and the times its attempts ran. */
const settle = <A, E>(run: Effect.Effect<A, E>, at: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(run)
    yield* TestClock.adjust("1 minute")
    return { exit: yield* Fiber.await(fiber), at: [...at] }
  })

describe("Retry.afterFailure", () => {
  const cases: ReadonlyArray<ReadonlyArray<Failure["_tag"] | "ok">> = [
    ["ok"],
    ["Transient", "ok"],
    ["Transient", "Transient", "Transient", "ok"],
    ["Transient", "Transient", "Transient", "Transient", "Transient", "Transient", "Transient"],
    ["Fatal"],
    ["Transient", "Fatal"]
  ]
  for (const outcomes of cases) {
    it.effect(`retries as Effect.retry does: ${outcomes.join(", ")}`, () =>
      Effect.gen(function*() {
        const ours = operation(outcomes)
        const theirs = operation(outcomes)
        const mine = yield* settle(Retry.afterFailure(schedule, { while: transient })(ours.run), ours.at)
        const reference = yield* settle(Effect.retry(theirs.run, { schedule, while: transient }), theirs.at)
        // The same outcome, after the same attempts at the same moments (relative to the first).
        expect(mine.exit).toEqual(reference.exit)
        const relative = (at: ReadonlyArray<number>) => at.map((t) => t - at[0]!)
        expect(relative(mine.at)).toEqual(relative(reference.at))
        expect(mine.at.length).toBe(reference.at.length)
      }))
  }

  it.effect("retries every failure without a predicate, and runs the first attempt at once", () =>
    Effect.gen(function*() {
      const { at, run } = operation(["Fatal", "Transient", "ok"])
      const result = yield* settle(Retry.afterFailure(schedule)(run), at)
      expect(result.exit).toEqual(yield* Effect.exit(Effect.succeed(3)))
      expect(result.at.map((t) => t - result.at[0]!)).toEqual([0, 50, 150])
    }))
})
