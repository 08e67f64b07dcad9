/**
 * A Deferred made from a shared prototype (patches/effect+3.22.4.patch). Effect spread its prototype's properties into
 * every Deferred it made; eight of them are symbol-keyed, and V8 took its slow path for that copy: about 3 µs per
 * Deferred, against about 50 ns now (a scan's life makes about eight, the journal one per append, every queue wait
 * one). The patch puts them on one prototype, so a Deferred's own properties are its state and the fiber it blocks.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Equal, Exit, Fiber, FiberId, Hash } from "effect"

describe("Deferred", () => {
  it("holds only its state and the fiber it blocks; the rest is shared", () => {
    const a = Deferred.unsafeMake<number>(FiberId.none)
    const b = Deferred.unsafeMake<number>(FiberId.none)
    expect(Object.keys(a)).toEqual(["state", "blockingOn"])
    expect(Object.getOwnPropertySymbols(a)).toEqual([])
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b))
  })

  it.effect("behaves as a Deferred: completed once, awaited, yielded, equal only to itself", () =>
    Effect.gen(function*() {
      const d = yield* Deferred.make<number, string>()
      expect(Deferred.DeferredTypeId in d).toBe(true)
      const waiting = yield* Effect.fork(Deferred.await(d))
      expect(yield* Deferred.succeed(d, 1)).toBe(true)
      expect(yield* Deferred.fail(d, "late")).toBe(false)
      expect(yield* Fiber.join(waiting)).toBe(1)
      expect(yield* d).toBe(1)
      expect(yield* Deferred.isDone(d)).toBe(true)
      const other = yield* Deferred.make<number, string>()
      expect(Equal.equals(d, d)).toBe(true)
      expect(Equal.equals(d, other)).toBe(false)
      expect(Hash.hash(d)).toBe(Hash.hash(d))
      expect(yield* Deferred.fail(other, "no").pipe(Effect.zipRight(Effect.exit(Deferred.await(other))))).toEqual(
        Exit.fail("no")
      )
      const interrupted = yield* Deferred.make<number>()
      const blocked = yield* Effect.fork(Deferred.await(interrupted))
      yield* Deferred.interrupt(interrupted)
      expect(Exit.isInterrupted(yield* Fiber.await(blocked))).toBe(true)
    }))
})
