/** Group commit: what queues while a batch runs goes out in the next, within the limit; a batch that dies is answered. */
import { describe, expect, it } from "@effect/vitest"
import * as GroupCommit from "@mirage/runtime/platform/GroupCommit"
import { Deferred, Effect, Exit } from "effect"

describe("GroupCommit", () => {
  it.scoped("answers requests in batches of what queued meanwhile, each batch within the limit by weight", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<number>> = []
      const gate = yield* Deferred.make<void>()
      const submit = yield* GroupCommit.make<number, number, never>({
        workers: 1,
        limit: 10,
        weight: (n) => n,
        run: (batch) =>
          Effect.gen(function*() {
            batches.push(batch.map((waiting) => waiting.input))
            if (batches.length === 1) yield* Deferred.await(gate)
            for (const waiting of batch) yield* Deferred.succeed(waiting.done, waiting.input * 2)
          })
      })
      const first = yield* Effect.fork(submit(1))
      while (batches.length === 0) yield* Effect.yieldNow()
      const rest = yield* Effect.fork(Effect.all([3, 4, 5, 6].map(submit), { concurrency: "unbounded" }))
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      expect(yield* first.await).toEqual(Exit.succeed(2))
      expect(yield* rest.await).toEqual(Exit.succeed([6, 8, 10, 12]))
      // 3 + 4 + 5 reach the limit of 10: 6 waits for the next batch.
      expect(batches).toEqual([[1], [3, 4, 5], [6]])
    }))

  it.scoped("answers a batch its run dies on with that cause, and goes on with the next", () =>
    Effect.gen(function*() {
      const submit = yield* GroupCommit.make<string, string, never>({
        workers: 1,
        limit: 8,
        run: (batch) =>
          batch[0]!.input === "boom"
            ? Effect.dieMessage("broken batch")
            : Effect.forEach(batch, (waiting) => Deferred.succeed(waiting.done, waiting.input), { discard: true })
      })
      const died = yield* Effect.exit(submit("boom"))
      expect(Exit.isFailure(died) && String(died.cause)).toContain("broken batch")
      expect(yield* submit("fine")).toBe("fine")
    }))
})
