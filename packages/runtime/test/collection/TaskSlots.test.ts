/** Task slots of an organization in Redis: a bounded semaphore across nodes whose leases free themselves (TestClock). */
import { expect, layer } from "@effect/vitest"
import { OrganizationId } from "@mirage/domain/Ids"
import { TaskSlots } from "@mirage/runtime/collection/TaskSlots"
import * as TaskSlotsRedis from "@mirage/runtime/collection/TaskSlots/Redis"
import * as RedisClient from "@mirage/runtime/platform/RedisClient"
import { ScanQuotas } from "@mirage/runtime/scans/Quotas"
import { Admission } from "@mirage/runtime/scans/Quotas"
import { freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Clock, Deferred, Effect, Fiber, Layer, TestClock, TestServices } from "effect"
import { randomUUID } from "node:crypto"
import { advanceParked, driven } from "../support/Driven.js"

/** Quotas fixed in memory: 2 concurrent tasks for every organization. */
const quotas = Layer.succeed(
  ScanQuotas,
  ScanQuotas.of({
    limits: () => Effect.succeed({ max_running_scans: 1, max_concurrent_tasks: 2 }),
    overrides: () => Effect.succeed({ max_running_scans: null, max_concurrent_tasks: null }),
    override: () => Effect.void,
    admit: () => Effect.succeed({ admission: Admission.Admitted(), alsoStart: [] }),
    position: () => Effect.succeed(null),
    unstarted: () => Effect.succeed([]),
    release: () => Effect.succeed([])
  })
)

const slotsLayer = (options: { readonly leaseMs: number; readonly pollMs: number }) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const prefix = (yield* freshRedisPrefix).replace(/:$/, "")
    const url = yield* redisUrl
    return TaskSlotsRedis.layerWith(options).pipe(
      Layer.provide(quotas),
      Layer.provide(RedisClient.layerWith({ url, prefix }))
    )
  }))

const TestLayer = slotsLayer({ leaseMs: 1000, pollMs: 100 })

/** Real time, for waiting on real I/O while the TestClock stands still. */
const pause = TestServices.provideLive(Effect.sleep("5 millis"))

layer(TestLayer)("TaskSlots", (it) => {
  it.effect("holds at most max slots; a release lets the next waiter in", () =>
    Effect.gen(function*() {
      const slots = yield* TaskSlots
      const org = OrganizationId.make(randomUUID())
      expect(yield* slots.tryAcquire(org, "a", 2)).toBe(true)
      expect(yield* slots.tryAcquire(org, "b", 2)).toBe(true)
      expect(yield* slots.tryAcquire(org, "c", 2)).toBe(false)
      expect(yield* slots.tryAcquire(org, "a", 2)).toBe(true)
      expect(yield* slots.held(org)).toBe(2)
      yield* slots.release(org, "a")
      expect(yield* slots.tryAcquire(org, "c", 2)).toBe(true)
    }))

  it.effect("a slot whose holder stopped renewing frees itself after the lease", () =>
    Effect.gen(function*() {
      const slots = yield* TaskSlots
      const org = OrganizationId.make(randomUUID())
      const start = yield* Clock.currentTimeMillis
      // Two holders that "crashed": acquired, never renewed, never released.
      yield* slots.tryAcquire(org, "dead-1", 2)
      yield* slots.tryAcquire(org, "dead-2", 2)
      // The waiter polls every 100 ms; the dead leases end 1000 ms after they were taken.
      const ranAt = yield* driven(slots.withSlot(org, "live", Clock.currentTimeMillis))
      expect(ranAt - start).toBeGreaterThanOrEqual(1000)
      expect(ranAt - start).toBeLessThanOrEqual(1100)
      expect(yield* slots.held(org)).toBe(0)
    }))

  it.effect("withSlot renews its lease while the task runs and gives the slot back after", () =>
    Effect.gen(function*() {
      const slots = yield* TaskSlots
      const org = OrganizationId.make(randomUUID())
      const long = yield* Effect.fork(slots.withSlot(org, "long", Effect.sleep("5 seconds")))
      // The renewal loop and the task both sleep on the clock: it moves only once both are parked.
      yield* advanceParked("3 seconds", 2)
      // Three lease lengths later the slot is still held: renewed.
      expect(yield* slots.held(org)).toBe(1)
      yield* driven(Fiber.join(long))
      expect(yield* slots.held(org)).toBe(0)
    }))

  it.effect("one fiber renews every slot the process holds, and stops when none is held", () =>
    Effect.gen(function*() {
      const slots = yield* TaskSlots
      const [first, second] = [OrganizationId.make(randomUUID()), OrganizationId.make(randomUUID())]
      const tasks = yield* Effect.forEach(
        [[first, "a"], [first, "b"], [second, "c"]] as const,
        ([org, holder]) => Effect.fork(slots.withSlot(org, holder, Effect.sleep("5 seconds"))),
        { concurrency: "unbounded" }
      )
      // Three tasks and one renewer parked on the clock, not a renewer per task.
      yield* advanceParked("3 seconds", 4)
      expect(Array.from(yield* TestClock.sleeps()).length).toBe(4)
      expect(yield* slots.held(first)).toBe(2)
      expect(yield* slots.held(second)).toBe(1)
      yield* driven(Fiber.joinAll(tasks))
      expect(yield* slots.held(first)).toBe(0)
      expect(yield* slots.held(second)).toBe(0)
      // Nothing held: the renewer ends at its next wake-up.
      yield* driven(Effect.sleep("1 second"))
      expect(Array.from(yield* TestClock.sleeps()).length).toBe(0)
    }))
})

// Polls a minute apart: within the test only the release's wake-up can let the waiter in.
layer(slotsLayer({ leaseMs: 1000, pollMs: 60_000 }))("TaskSlots waiters", (it) => {
  it.effect("a slot given back on this process lets its waiter in at once, not at its next poll", () =>
    Effect.gen(function*() {
      const slots = yield* TaskSlots
      const org = OrganizationId.make(randomUUID())
      const done = yield* Deferred.make<void>()
      yield* Effect.fork(slots.withSlot(org, "a", Deferred.await(done)))
      const b = yield* Effect.fork(slots.withSlot(org, "b", Effect.never))
      while ((yield* slots.held(org)) < 2) yield* pause
      const now = yield* Clock.currentTimeMillis
      const c = yield* Effect.fork(slots.withSlot(org, "c", Effect.succeed("ran")))
      // The waiter was refused and is parked on its next poll, a minute away.
      while (!Array.from(yield* TestClock.sleeps()).some((at) => at >= now + 60_000)) yield* pause
      yield* Deferred.succeed(done, undefined)
      const ran = yield* TestServices.provideLive(Effect.timeout(Fiber.join(c), "10 seconds"))
      expect(ran).toBe("ran")
      expect(yield* Clock.currentTimeMillis).toBe(now)
      yield* Fiber.interrupt(b)
      expect(yield* slots.held(org)).toBe(0)
    }))
})
