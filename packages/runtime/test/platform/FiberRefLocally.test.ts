/**
 * A fiber ref set for the length of an effect (patches/effect+3.22.4.patch): `Effect.provide*`, `Effect.locally`,
 * `withConcurrency`, a span's context, a body size limit. Effect did it with `acquireUseRelease` (get and set, the
 * effect, set back), 25 operations of the run loop for a provide; a gateway's request makes six or seven such, a third
 * of its operations. The patch sets and sets back in place, in 11, with the same guarantees, checked here: the
 * value is set inside and back after, however the effect ends (interrupted included, before any finalizer outside
 * it runs), and the effect stays as interruptible as its caller was.
 *
 * A set also asked whether the value set equals the one it replaces (`Equal.equals`), hashing both: a context, a map
 * of log annotations, each new one hashed and its hash stored on it, on every provide. A set now compares identity:
 * the value set is the value got.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Context,
  Deferred,
  Effect,
  Equal,
  Exit,
  Fiber,
  FiberRef,
  Hash,
  RuntimeFlags,
  RuntimeFlagsPatch,
  Supervisor
} from "effect"

class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}

/** A value equal to every other, counting how often it is hashed. */
class Hashed implements Equal.Equal {
  static hashed = 0;
  [Hash.symbol]() {
    Hashed.hashed++
    return 1
  }
  [Equal.symbol](that: Equal.Equal) {
    return that instanceof Hashed
  }
}

/** Counts the run loop's operations while it supervises an effect. */
class Operations extends Supervisor.AbstractSupervisor<number> {
  count = 0
  get value() {
    return Effect.sync(() => this.count)
  }
  override onEffect() {
    this.count++
  }
}

const operationsOf = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const operations = new Operations()
    yield* effect.pipe(
      Effect.supervised(operations),
      Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision))
    )
    return operations.count
  })

describe("a fiber ref set for the length of an effect", () => {
  it.effect("is set inside and set back after success, failure and defect", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake(0)
      expect(yield* Effect.locally(FiberRef.get(ref), ref, 1)).toBe(1)
      expect(yield* FiberRef.get(ref)).toBe(0)
      expect(yield* Effect.exit(Effect.locally(Effect.fail("no"), ref, 2))).toEqual(Exit.fail("no"))
      expect(yield* FiberRef.get(ref)).toBe(0)
      const died = yield* Effect.exit(Effect.locally(Effect.die("boom"), ref, 3))
      expect(Exit.isFailure(died)).toBe(true)
      expect(yield* FiberRef.get(ref)).toBe(0)
      // Nested, and set inside: the inner value inside, the outer one back after each.
      const seen = yield* Effect.locally(
        Effect.all([
          FiberRef.get(ref),
          Effect.locally(Effect.zipRight(FiberRef.set(ref, 9), FiberRef.get(ref)), ref, 5),
          FiberRef.get(ref)
        ]),
        ref,
        4
      )
      expect(seen).toEqual([4, 9, 4])
      expect(yield* FiberRef.get(ref)).toBe(0)
    }))

  it.effect("is set back when the effect is interrupted, before the finalizers outside it run", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake("outer")
      const started = yield* Deferred.make<void>()
      const seenByFinalizer = yield* Deferred.make<string>()
      const fiber = yield* Effect.fork(
        Effect.locally(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never), ref, "inner").pipe(
          Effect.onExit(() => Effect.flatMap(FiberRef.get(ref), (value) => Deferred.succeed(seenByFinalizer, value)))
        )
      )
      yield* Deferred.await(started)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(yield* Deferred.await(seenByFinalizer)).toBe("outer")
    }))

  it.effect("provides services the same way: the inner ones inside, the outer ones back after", () =>
    Effect.gen(function*() {
      const inner = Effect.provideService(Greeting, "inner")(Greeting)
      const outer = Effect.provideService(Effect.all([Greeting, inner, Greeting]), Greeting, "outer")
      expect(yield* outer).toEqual(["outer", "inner", "outer"])
      expect(Context.getOption(yield* Effect.context<never>(), Greeting)._tag).toBe("None")
    }))

  it.effect("leaves the effect as interruptible as its caller", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake(0)
      const interruptible = Effect.checkInterruptible((flag) => Effect.succeed(flag))
      expect(yield* Effect.locally(interruptible, ref, 1)).toBe(true)
      expect(yield* Effect.uninterruptible(Effect.locally(interruptible, ref, 1))).toBe(false)
      // A blocked effect inside is interrupted promptly, not held until it ends.
      const fiber = yield* Effect.fork(Effect.locally(Effect.never, ref, 1))
      yield* Effect.yieldNow()
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
    }))

  it.effect("costs less than half a release's operations of the run loop", () =>
    Effect.gen(function*() {
      const bare = yield* operationsOf(Effect.void)
      const provided = yield* operationsOf(Effect.provideService(Effect.void, Greeting, "hello"))
      // Patched: 11 (the provide's own six, and the context's copy read and set back); acquireUseRelease made it 25.
      expect(provided - bare).toBeLessThanOrEqual(12)
    }))

  it.effect("a set value is the value got, and is not hashed to compare it with the one it replaces", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake<Hashed>(new Hashed())
      const first = new Hashed()
      const second = new Hashed()
      Hashed.hashed = 0
      yield* FiberRef.set(ref, first)
      yield* FiberRef.set(ref, second)
      expect(yield* FiberRef.get(ref)).toBe(second)
      expect(yield* Effect.locally(FiberRef.get(ref), ref, first)).toBe(first)
      expect(yield* FiberRef.get(ref)).toBe(second)
      expect(Hashed.hashed).toBe(0)
    }))
})
