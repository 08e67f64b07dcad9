/**
 * Starts a local Mirage: the gateway and N node processes, each a child process given the environment it is
 * launched with. Stops them all together; with `restart`, brings back a node that exits on its own, with backoff
 * (`Supervise`), as Kubernetes does in production. Used by the dev entries (`apps/node/dev`), the bench and the multi-process
 * tests; the sandbox's fixture world is started by a dev entry, never here, and reaches the children through
 * their environment.
 */
import { awaitExit, Child, type Process, stop, supervise } from "@mirage/runtime/platform/Supervise"
import { Data, Duration, Effect, Fiber, Schedule } from "effect"
import type { Scope } from "effect"
import { spawn } from "node:child_process"
import { mkdirSync, openSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Settings from "./Settings.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))

/** How many of a process's last output lines are kept, to be shown when it fails to come up. */
const tailLines = 40

/**
 * V8 settings of every Mirage process (the images' commands give the same). A young generation of 32 MiB semi-spaces
 * instead of 16: a request or a task batch allocates most of what it needs briefly, and with 50 requests in flight
 * the default size promoted much of it (with the read model of the time, ≈ 25% less gateway CPU per list request;
 * since the read model keeps views, the difference measured is small).
 */
export const v8Flags: ReadonlyArray<string> = ["--max-semi-space-size=32"]

export interface LaunchOptions {
  readonly port: number
  readonly nodes: number
  readonly env: Readonly<Record<string, string>>
  /** Where the children's output goes: passed through, dropped, or one log file per process in a folder. */
  readonly output: Output
  /** Start again a node that exits while the launch is up (with `Supervise.restartDelay` as backoff). */
  readonly restart?: boolean
  /** Each node's port for /health, /ready and /metrics, in node order; else MIRAGE_METRICS_PORT + i, or ephemeral. */
  readonly metricsPorts?: ReadonlyArray<number>
}

export type Output = "inherit" | "ignore" | { readonly logs: string }

/** The gateway did not answer /health in time, or exited: says which, with the gateway's own last lines. */
export class GatewayNotReady extends Data.TaggedError("GatewayNotReady")<{
  readonly message: string
  readonly lastLines: ReadonlyArray<string>
}> {}

export const GatewayWait = Settings.gatewayWait

// Keeps the last lines of a stream, passing each chunk on to `forward` when given.
const keepTail = (lines: Array<string>, forward?: NodeJS.WritableStream) => {
  let partial = ""
  return (chunk: Buffer) => {
    forward?.write(chunk)
    const parts = (partial + chunk.toString("utf8")).split("\n")
    partial = parts.pop() ?? ""
    lines.push(...parts)
    if (lines.length > tailLines) lines.splice(0, lines.length - tailLines)
  }
}

const fileTail = (file: string) => (): ReadonlyArray<string> => {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-tailLines)
  } catch {
    return []
  }
}

// One child of `entry`, its output where `output` says, with a view of its last lines.
const spawnChild = (name: string, entry: string, env: Readonly<Record<string, string>>, output: Output) => {
  const args = [...v8Flags, "--import", "tsx", entry]
  const options = { cwd: root, env: { ...process.env, ...env } }
  if (typeof output === "object") {
    mkdirSync(output.logs, { recursive: true })
    const file = join(output.logs, `${name}.log`)
    const fd = openSync(file, "a")
    return { child: spawn(process.execPath, args, { ...options, stdio: ["ignore", fd, fd] }), tail: fileTail(file) }
  }
  // Piped rather than inherited, so that the launcher can show a process's last lines when it fails. The children
  // then see no terminal: the log format they would have chosen for one is passed on.
  const format = process.stdout.isTTY === true && env.MIRAGE_LOG_FORMAT === undefined
    ? { MIRAGE_LOG_FORMAT: "pretty" }
    : {}
  const child = spawn(process.execPath, args, { ...options, env: { ...options.env, ...format }, stdio: "pipe" })
  const lines: Array<string> = []
  child.stdout.on("data", keepTail(lines, output === "inherit" ? process.stdout : undefined))
  child.stderr.on("data", keepTail(lines, output === "inherit" ? process.stderr : undefined))
  return { child, tail: () => [...lines] }
}

export { type Process, stop } from "@mirage/runtime/platform/Supervise"

/** Starts one TypeScript entry point of the repository as a child process. */
export const start = (name: string, entry: string, env: Readonly<Record<string, string>>, output: Output) =>
  Effect.sync((): Child => {
    const { child, tail } = spawnChild(name, entry, env, output)
    return new Child(name, child, tail)
  })

/** The folder of the local run's logs. */
export const logFolder = join(root, ".mirage", "logs")

/** Waits until the gateway answers /health; fails with a sentence and the gateway's last lines if it does not. */
export const waitForGateway = (baseUrl: string, gateway?: Process, within?: Duration.DurationInput) =>
  Effect.gen(function*() {
    const wait = within === undefined ? yield* Effect.orDie(GatewayWait) : Duration.decode(within)
    const lastLines = () => gateway?.tail() ?? []
    // Each probe gives up after a few seconds: a server that accepted but never answers is "not yet".
    const probe = Effect.promise(() =>
      fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false)
    )
    const gone = gateway === undefined ? Effect.never : awaitExit(gateway.child).pipe(
      Effect.flatMap((how) =>
        new GatewayNotReady({
          message: `the gateway exited (${how}) before it answered ${baseUrl}/health`,
          lastLines: lastLines()
        })
      )
    )
    const answered = probe.pipe(Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("200 millis") }))
    yield* Effect.raceFirst(answered, gone).pipe(
      Effect.timeoutFail({
        duration: wait,
        onTimeout: () =>
          new GatewayNotReady({
            message: `the gateway did not answer ${baseUrl}/health within ${Duration.format(wait)} ` +
              `(set MIRAGE_GATEWAY_WAIT to wait longer)`,
            lastLines: lastLines()
          })
      })
    )
  })

const nodeEntry = "apps/node/src/main.ts"

/** The gateway and `nodes` node processes, stopped when the scope closes. */
export const launch = (options: LaunchOptions): Effect.Effect<ReadonlyArray<Process>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const env = { ...options.env, PORT: String(options.port) }
    // Each node serves /health, /ready and /metrics on a port of its own: the one given, base + i, or ephemeral.
    const metricsBase = Number(options.env.MIRAGE_METRICS_PORT ?? 0)
    const nodeEnv = (i: number) => ({
      ...env,
      MIRAGE_NODE_ID: `node-${i + 1}`,
      MIRAGE_METRICS_PORT: String(options.metricsPorts?.[i] ?? (metricsBase === 0 ? 0 : metricsBase + i))
    })
    const procs = yield* Effect.acquireRelease(
      Effect.gen(function*() {
        const gateway = yield* start("gateway", "apps/gateway/src/main.ts", env, options.output)
        const nodes: Array<Child> = []
        for (let i = 0; i < options.nodes; i++) {
          nodes.push(yield* start(`node-${i + 1}`, nodeEntry, nodeEnv(i), options.output))
        }
        return [gateway, ...nodes]
      }),
      (procs) => Effect.forEach(procs, (proc) => stop(proc), { concurrency: "unbounded", discard: true })
    )
    if (options.restart === true) {
      // Forked after the release above is registered, so they are interrupted before the processes are stopped.
      const supervisors = yield* Effect.forEach(procs.slice(1), (proc, i) =>
        Effect.forkDaemon(
          supervise(proc, Effect.sync(() => spawnChild(proc.name, nodeEntry, nodeEnv(i), options.output)))
        ))
      yield* Effect.addFinalizer(() => Fiber.interruptAll(supervisors))
    }
    return procs
  })
