/**
 * Starts a local Mirage: the gateway and N node processes (and, in sandbox mode, the fixture
 * world in this process, with the modules pointed at it). Stops them all together.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, openSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))

export interface Process {
  readonly name: string
  readonly child: ChildProcess
}

export interface LaunchOptions {
  readonly port: number
  readonly nodes: number
  readonly env: Readonly<Record<string, string>>
  /** Where the children's output goes: inherited, dropped, or one log file per process in a folder. */
  readonly output: Output
}

export type Output = "inherit" | "ignore" | { readonly logs: string }

const streams = (name: string, output: Output): "inherit" | "ignore" | number => {
  if (typeof output === "string") return output
  mkdirSync(output.logs, { recursive: true })
  return openSync(join(output.logs, `${name}.log`), "a")
}

/** Starts one TypeScript entry point of the repository as a child process. */
export const start = (name: string, entry: string, env: Readonly<Record<string, string>>, output: Output) =>
  Effect.sync((): Process => {
    const out = streams(name, output)
    return {
      name,
      child: spawn(process.execPath, ["--import", "tsx", entry], {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ["ignore", out, out]
      })
    }
  })

/** The folder of the local run's logs. */
export const logFolder = join(root, ".mirage", "logs")

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export const stop = (proc: Process, graceMs = 5000) =>
  Effect.async<void>((resume) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return resume(Effect.void)
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), graceMs)
    proc.child.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    proc.child.kill("SIGTERM")
  })

/** Waits until the gateway answers /health. */
export const waitForGateway = (baseUrl: string, timeoutMs = 60_000) =>
  Effect.tryPromise(async () => {
    const until = Date.now() + timeoutMs
    while (Date.now() < until) {
      // Each probe gives up after a few seconds: a server that accepted but never answers is "not yet".
      const ok = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false)
      if (ok) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    return Promise.reject(new Error(`the gateway at ${baseUrl} did not answer within ${timeoutMs} ms`))
  })

/** The gateway and `nodes` node processes, stopped when the scope closes. */
export const launch = (options: LaunchOptions): Effect.Effect<ReadonlyArray<Process>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const env = { ...options.env, PORT: String(options.port) }
      const gateway = yield* start("gateway", "apps/gateway/src/main.ts", env, options.output)
      const nodes: Array<Process> = []
      // Each node serves /health, /ready and /metrics on a port of its own: base + i, or ephemeral.
      const metricsBase = Number(options.env.MIRAGE_METRICS_PORT ?? 0)
      for (let i = 0; i < options.nodes; i++) {
        nodes.push(
          yield* start(
            `node-${i + 1}`,
            "apps/node/src/main.ts",
            {
              ...env,
              MIRAGE_NODE_ID: `node-${i + 1}`,
              MIRAGE_METRICS_PORT: String(metricsBase === 0 ? 0 : metricsBase + i)
            },
            options.output
          )
        )
      }
      return [gateway, ...nodes]
    }),
    (procs) => Effect.forEach(procs, (proc) => stop(proc), { concurrency: "unbounded", discard: true })
  )
