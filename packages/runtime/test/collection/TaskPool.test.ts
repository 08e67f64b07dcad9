import { describe, expect, it } from "@effect/vitest"
import type { Priority } from "@mirage/domain/Scan"
import { Context, Deferred, Effect, Fiber, TestClock } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as TaskPool from "../../src/collection/TaskPool.js"

setFlagsFromString("--expose-gc")
const collect = runInNewContext("gc") as () => void

describe("TaskPool", () => {
  it.scoped("never runs more tasks at once than it has slots", () =>
    Effect.gen(function*() {
      const pool = yield* TaskPool.make(3)
      let running = 0
      let peak = 0
      const task = Effect.gen(function*() {
        running++
        peak = Math.max(peak, running)
        yield* Effect.sleep("1 second")
        running--
      })
      const fiber = yield* Effect.fork(Effect.all(Array.from({ length: 10 }, () => pool.run("MEDIUM", task)), {
        concurrency: "unbounded"
      }))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      expect(peak).toBe(3)
    }))

  it.scoped("serves HIGH before MEDIUM before LOW, without starving LOW", () =>
    Effect.gen(function*() {
      const pool = yield* TaskPool.make(1)
      const gate = yield* Deferred.make<void>()
      const order: Array<Priority> = []
      // The single slot is held while the queues fill up, so the order is the pool's choice alone.
      const blocker = yield* Effect.fork(pool.run("HIGH", Deferred.await(gate)))
      yield* Effect.yieldNow()
      const submit = (priority: Priority, n: number) =>
        Array.from({ length: n }, () => pool.run(priority, Effect.sync(() => void order.push(priority))))
      const all = yield* Effect.fork(
        Effect.all([...submit("LOW", 5), ...submit("MEDIUM", 5), ...submit("HIGH", 20)], { concurrency: "unbounded" })
      )
      const queued = yield* pool.waiting.pipe(
        Effect.zipLeft(Effect.yieldNow()),
        Effect.repeat({ until: (w) => w.HIGH + w.MEDIUM + w.LOW === 30 })
      )
      expect(queued).toEqual({ HIGH: 20, MEDIUM: 5, LOW: 5 })
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(blocker)
      yield* Fiber.join(all)
      expect(order.slice(0, 4).filter((p) => p === "HIGH").length).toBeGreaterThanOrEqual(2)
      // LOW gets a turn long before the 20 HIGH tasks are done.
      expect(order.indexOf("LOW")).toBeLessThan(10)
      expect(order.indexOf("MEDIUM")).toBeLessThan(order.indexOf("LOW"))
      expect(order.length).toBe(30)
    }))

  it.scoped("frees the slot of a task interrupted while waiting", () =>
    Effect.gen(function*() {
      const pool = yield* TaskPool.make(1)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(pool.run("LOW", Deferred.await(gate)))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(pool.run("HIGH", Effect.never))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiter)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      expect(yield* pool.run("MEDIUM", Effect.succeed("ran"))).toBe("ran")
    }))

  it.scoped("forks submitted tasks only as slots free up, in priority turns, with the caller's context", () =>
    Effect.gen(function*() {
      const pool = yield* TaskPool.make(2)
      const gate = yield* Deferred.make<void>()
      const order: Array<string> = []
      let running = 0
      let peak = 0
      const task = (name: string) =>
        Effect.gen(function*() {
          running++
          peak = Math.max(peak, running)
          order.push(name)
          yield* Deferred.await(gate)
          yield* Effect.sleep("1 second")
          running--
        })
      const Name = Context.GenericTag<string>("test/Name")
      yield* pool.submit("LOW", Effect.flatMap(Name, task)).pipe(Effect.provideService(Name, "blocker-1"))
      yield* pool.submit("LOW", task("blocker-2"))
      for (let i = 0; i < 3; i++) yield* pool.submit("LOW", task(`low-${i}`))
      for (let i = 0; i < 6; i++) yield* pool.submit("HIGH", task(`high-${i}`))
      yield* Effect.yieldNow()
      expect(yield* pool.waiting).toEqual({ HIGH: 6, MEDIUM: 0, LOW: 3 })
      yield* Deferred.succeed(gate, undefined)
      yield* TestClock.adjust("10 seconds")
      expect(peak).toBe(2)
      expect(order.length).toBe(11)
      expect(order.slice(2, 4)).toEqual(["high-0", "high-1"])
      // LOW gets its turn among the HIGH ones.
      expect(order.indexOf("low-0")).toBeLessThan(order.indexOf("high-5"))
      expect(yield* pool.waiting).toEqual({ HIGH: 0, MEDIUM: 0, LOW: 0 })
    }))

  it.scoped("cancel takes a queued task out and interrupts a running one, freeing its slot", () =>
    Effect.gen(function*() {
      const pool = yield* TaskPool.make(1)
      const ran: Array<string> = []
      const first = yield* pool.submit("MEDIUM", Effect.zipRight(Effect.sync(() => ran.push("first")), Effect.never))
      const second = yield* pool.submit("MEDIUM", Effect.sync(() => void ran.push("second")))
      const third = yield* pool.submit("MEDIUM", Effect.sync(() => void ran.push("third")))
      yield* Effect.yieldNow()
      yield* second.cancel
      expect(yield* pool.waiting).toEqual({ HIGH: 0, MEDIUM: 1, LOW: 0 })
      yield* first.cancel
      yield* Effect.yieldNow()
      yield* Effect.yieldNow()
      expect(ran).toEqual(["first", "third"])
      yield* third.cancel
      expect(yield* pool.run("LOW", Effect.succeed("ran"))).toBe("ran")
    }))

  it.live("keeps nothing of a task that ended while its submitter still holds it", () =>
    Effect.gen(function*() {
      const pool = yield* TaskPool.make(2)
      // A task's fiber holds its fiber refs, context and exit: a scan keeps a submitted task until its actor has
      // handled the task's report, well after the fiber ended, and under load that is past a young collection.
      const fibers: Array<WeakRef<object>> = []
      const done = yield* Deferred.make<void>()
      const submitted = yield* pool.submitAll(
        "MEDIUM",
        Array.from({ length: 3 }, (_, i) =>
          Effect.withFiberRuntime<void>((fiber) => {
            fibers.push(new WeakRef(fiber))
            return i === 2 ? Deferred.succeed(done, undefined) : Effect.void
          }))
      )
      yield* Deferred.await(done)
      // Past the end of this job (a WeakRef is kept through the job that made it), then a full collection.
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      collect()
      expect(fibers.length).toBe(3)
      expect(fibers.filter((ref) => ref.deref() !== undefined)).toEqual([])
      // What the submitter holds still cancels nothing and leaves the pool whole.
      for (const task of submitted) yield* task.cancel
      expect(yield* pool.run("LOW", Effect.succeed("ran"))).toBe("ran")
    }).pipe(Effect.scoped))

  it.scoped("the quota gate lets in at most perKey waiters per key, the next one as each holds its slot", () =>
    Effect.gen(function*() {
      const gate = yield* TaskPool.makeQuotaGate(2)
      const slots = { org: 0 }
      const max = 3
      const started: Array<string> = []
      const waits: Record<string, number> = {}
      let polling = 0
      let peakPolling = 0
      // A task that polls for its quota slot (like TaskSlots.withSlot), then holds it for a second.
      const task = (key: string, name: string) => (acquired: Effect.Effect<void>) =>
        Effect.gen(function*() {
          polling++
          peakPolling = Math.max(peakPolling, polling)
          while (slots.org >= max) {
            waits[name] = (waits[name] ?? 0) + 1
            yield* Effect.sleep("100 millis")
          }
          slots.org++
          polling--
          yield* acquired
          started.push(`${key}:${name}`)
          yield* Effect.sleep("1 second")
          slots.org--
        })
      const handles = []
      for (let i = 0; i < 8; i++) handles.push(yield* gate.submit("org", "MEDIUM", task("org", `t${i}`)))
      yield* gate.submit("other", "MEDIUM", task("other", "x"))
      yield* Effect.yieldNow()
      // t0, t1 and t2 hold the 3 slots; t3 and t4 poll; t5, t6 and t7 wait as records.
      expect(gate.waiting()).toBe(3)
      yield* handles[7]!.cancel
      expect(gate.waiting()).toBe(2)
      yield* TestClock.adjust("10 seconds")
      // Two pollers for "org", one for "other".
      expect(peakPolling).toBeLessThanOrEqual(3)
      // Every task but the cancelled one ran; which of two pollers wins a slot is theirs to race.
      expect(started.filter((s) => s.startsWith("org:")).sort()).toEqual(
        Array.from({ length: 7 }, (_, i) => `org:t${i}`)
      )
      expect(started).toContain("other:x")
      expect(gate.waiting()).toBe(0)
    }))
})
