/**
 * The local launcher: a node that exits is started again after a growing delay (and the launcher says so); a gateway
 * that does not come up ends the wait with a sentence and its own last lines, never an UnknownException.
 */
import { describe, expect, it } from "@effect/vitest"
import { Child, supervise } from "@mirage/runtime/platform/Supervise"
import { Effect, Fiber, Logger, TestClock } from "effect"
import { spawn } from "node:child_process"
import { GatewayNotReady, waitForGateway } from "../src/Launcher.js"

// A real process running `code`, with its output kept as its tail.
const run = (code: string) => {
  const child = spawn(process.execPath, ["-e", code], { stdio: "pipe" })
  const lines: Array<string> = []
  child.stdout.on("data", (chunk: Buffer) => lines.push(...chunk.toString("utf8").trimEnd().split("\n")))
  return { child, tail: () => [...lines] }
}

// Real time passing (the processes are real), while the test's own clock stands still.
const realPause = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))

// Waits (at most ~20 s of real time) until the supervisor sleeps on the clock: the child it watched has exited.
const untilSleeping = Effect.gen(function*() {
  for (let i = 0; i < 1000 && (yield* TestClock.sleeps()).length === 0; i++) yield* realPause
  expect((yield* TestClock.sleeps()).length).toBe(1)
})

describe("Launcher", () => {
  it.effect(
    "starts an exited node again after 1 s, then 2 s, and from 1 s again after it stayed up",
    () =>
      Effect.gen(function*() {
        const messages: Array<string> = []
        const logger = Logger.replace(
          Logger.defaultLogger,
          Logger.make(({ message }) => messages.push(String(message)))
        )
        const first = run("process.exit(3)")
        const proc = new Child("node-2", first.child, first.tail)
        // The first restart exits again at once; the second stays up until killed.
        const plans = ["process.exit(4)", "setInterval(() => {}, 1000)"]
        let starts = 0
        const fiber = yield* supervise(proc, Effect.sync(() => run(plans[starts++] ?? "process.exit(5)"))).pipe(
          Effect.provide(logger),
          Effect.fork
        )

        yield* untilSleeping
        expect(messages).toEqual(["node-2 exited (code 3); starting it again in 1s"])
        yield* TestClock.adjust("999 millis")
        expect(starts).toBe(0)
        yield* TestClock.adjust("1 millis")
        expect(starts).toBe(1)

        yield* untilSleeping
        expect(messages.at(-1)).toBe("node-2 exited (code 4); starting it again in 2s")
        yield* TestClock.adjust("1999 millis")
        expect(starts).toBe(1)
        yield* TestClock.adjust("1 millis")
        expect(starts).toBe(2)
        expect(proc.child.exitCode).toBe(null)

        // Up for a minute, then killed: the backoff starts over.
        yield* TestClock.adjust("61 seconds")
        proc.child.kill("SIGKILL")
        yield* untilSleeping
        expect(messages.at(-1)).toBe("node-2 exited (signal SIGKILL); starting it again in 1s")
        yield* TestClock.adjust("1 second")
        expect(starts).toBe(3)
        yield* Fiber.interrupt(fiber)
      }),
    { timeout: 60_000 }
  )

  it.live("a gateway that exits ends the wait at once, with its last lines", () =>
    Effect.gen(function*() {
      const gateway = run(
        "console.log('starting'); console.log('listen EADDRINUSE: address already in use'); process.exit(1)"
      )
      const error = yield* waitForGateway(
        "http://127.0.0.1:9",
        new Child("gateway", gateway.child, gateway.tail),
        "60 seconds"
      )
        .pipe(Effect.flip)
      expect(error).toBeInstanceOf(GatewayNotReady)
      expect(error.message).toBe("the gateway exited (code 1) before it answered http://127.0.0.1:9/health")
      expect(error.lastLines).toEqual(["starting", "listen EADDRINUSE: address already in use"])
    }), { timeout: 60_000 })

  it.live(
    "a gateway that never answers ends the wait after the configured time, with its last lines",
    () =>
      Effect.gen(function*() {
        const gateway = run("console.log('waiting for PostgreSQL'); setInterval(() => {}, 1000)")
        const error = yield* waitForGateway(
          "http://127.0.0.1:9",
          new Child("gateway", gateway.child, gateway.tail),
          "1 second"
        )
          .pipe(Effect.flip, Effect.ensuring(Effect.sync(() => gateway.child.kill("SIGKILL"))))
        expect(error._tag).toBe("GatewayNotReady")
        expect(error.message).toContain("did not answer http://127.0.0.1:9/health within 1s")
        expect(error.lastLines).toEqual(["waiting for PostgreSQL"])
      }),
    { timeout: 60_000 }
  )
})
