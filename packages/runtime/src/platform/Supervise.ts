/**
 * Keeping child processes running: waiting for one to exit, stopping one (SIGTERM, then SIGKILL), and starting one
 * again with backoff when it exits on its own, as Kubernetes does in production. The local launcher supervises its
 * nodes with it, and a gateway with several workers its workers.
 */
import { Clock, Duration, Effect } from "effect"
import type { ChildProcess } from "node:child_process"

export interface Process {
  readonly name: string
  /** The current child: a restarted process gets a new one. */
  readonly child: ChildProcess
  /** Its last output lines (stdout and stderr), oldest first. */
  readonly tail: () => ReadonlyArray<string>
}

/** A started process; a supervised one's `child` and `tail` change when it is started again. */
export class Child implements Process {
  constructor(
    readonly name: string,
    public child: ChildProcess,
    public tail: () => ReadonlyArray<string>
  ) {}
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Waits until the child exits; its exit code, or the signal that ended it. */
export const awaitExit = (child: ChildProcess) =>
  Effect.async<string>((resume) => {
    const describe = () => child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`
    if (exited(child)) return resume(Effect.succeed(describe()))
    // "close", not "exit": by then its output has been read to the end (the last lines are complete).
    child.once("close", () => resume(Effect.succeed(describe())))
  })

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export const stop = (proc: Process, graceMs = 5000) =>
  Effect.async<void>((resume) => {
    const child = proc.child
    if (exited(child)) return resume(Effect.void)
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
    child.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    child.kill("SIGTERM")
  })

/** The delay before the `n`th restart in a row (from 1) of a process that keeps exiting: 1 s, 2 s, 4 s … up to 30 s. */
export const restartDelay = (n: number): Duration.Duration => Duration.seconds(Math.min(30, 2 ** Math.max(0, n - 1)))

/** A process that stayed up this long before exiting starts again from the shortest delay. */
export const stableAfter = Duration.seconds(60)

/**
 * Keeps `target` running: each time its child exits, says so, waits the next backoff delay, and starts a new child
 * with `respawn`. Runs until interrupted.
 */
export const supervise = (target: Child, respawn: Effect.Effect<Pick<Process, "child" | "tail">>) =>
  Effect.gen(function*() {
    let inARow = 0
    while (true) {
      const startedAt = yield* Clock.currentTimeMillis
      const how = yield* awaitExit(target.child)
      const upMs = (yield* Clock.currentTimeMillis) - startedAt
      inARow = upMs >= Duration.toMillis(stableAfter) ? 1 : inARow + 1
      const delay = restartDelay(inARow)
      yield* Effect.logWarning(`${target.name} exited (${how}); starting it again in ${Duration.format(delay)}`)
      yield* Effect.sleep(delay)
      const next = yield* respawn
      target.child = next.child
      target.tail = next.tail
      yield* Effect.log(`${target.name} started again (pid ${next.child.pid ?? "unknown"})`)
    }
  })
