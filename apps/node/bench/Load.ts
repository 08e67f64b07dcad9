/**
 * HTTP load for the API bench, on undici: an open-loop generator (requests sent on a fixed schedule whatever the
 * server's pace, each latency counted from its scheduled time, so a slow server cannot hide its queue) and a
 * closed-loop one (N connections, each sending its next request when the previous answer arrives).
 *
 * The load runs in a process of its own (`LoadProcess.ts`), as a load tool would: the bench process holds the fixture
 * world and the seeded results, and its garbage collections would otherwise pause the clock that measures the
 * server.
 */
import { Effect } from "effect"
import { fork } from "node:child_process"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { Pool } from "undici"

export interface LoadRun {
  readonly sent: number
  readonly ok: number
  readonly failed: number
  readonly seconds: number
  readonly perSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Status codes other than 2xx, with their counts. */
  readonly statuses: Readonly<Record<string, number>>
  /** The load process's own CPU during the run, in ms: on a machine it shares, part of what each answer costs. */
  readonly cpuMs: number
}

export interface Target {
  readonly origin: string
  readonly key: string
  /** The paths requested in turn: the i-th request asks for `paths[i % paths.length]`. */
  readonly paths: ReadonlyArray<string>
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const summary = (
  latencies: Array<number>,
  failed: number,
  statuses: Record<string, number>,
  seconds: number,
  cpuSince: NodeJS.CpuUsage
) => {
  const cpu = process.cpuUsage(cpuSince)
  const sorted = latencies.sort((a, b) => a - b)
  return {
    sent: sorted.length + failed,
    ok: sorted.length,
    failed,
    seconds,
    perSecond: sorted.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    statuses,
    cpuMs: (cpu.user + cpu.system) / 1000
  } satisfies LoadRun
}

const request = async (pool: Pool, target: Target, i: number) => {
  const response = await pool.request({
    method: "GET",
    path: target.paths[i % target.paths.length]!,
    headers: { authorization: `Bearer ${target.key}` },
    // An answer later than this counts as failed: a saturated route must not hold the run for minutes.
    headersTimeout: 10_000,
    bodyTimeout: 10_000
  })
  await response.body.dump({ limit: Number.MAX_SAFE_INTEGER })
  return response.statusCode
}

/** `rate` requests per second for `seconds`, over at most `connections` connections. */
export const openLoop = async (target: Target, rate: number, seconds: number, connections = 50): Promise<LoadRun> => {
  const pool = new Pool(target.origin, { connections, pipelining: 1 })
  const latencies: Array<number> = []
  const statuses: Record<string, number> = {}
  let failed = 0
  const total = Math.round(rate * seconds)
  const pending: Array<Promise<void>> = []
  const cpuSince = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(
      request(pool, target, i).then(
        (status) => {
          if (status >= 200 && status < 300) latencies.push(performance.now() - due)
          else {
            failed++
            statuses[status] = (statuses[status] ?? 0) + 1
          }
        },
        () => {
          failed++
          statuses["error"] = (statuses["error"] ?? 0) + 1
        }
      )
    )
  }
  await Promise.all(pending)
  const elapsed = (performance.now() - start) / 1000
  await pool.close()
  return summary(latencies, failed, statuses, elapsed, cpuSince)
}

/** `connections` clients, each sending its next request as soon as it has the answer, for `seconds`. */
export const closedLoop = async (target: Target, connections: number, seconds: number): Promise<LoadRun> => {
  const pool = new Pool(target.origin, { connections, pipelining: 1 })
  const latencies: Array<number> = []
  const statuses: Record<string, number> = {}
  let failed = 0
  let i = 0
  const cpuSince = process.cpuUsage()
  const start = performance.now()
  const until = start + seconds * 1000
  const client = async () => {
    while (performance.now() < until) {
      const sent = performance.now()
      try {
        const status = await request(pool, target, i++)
        if (status >= 200 && status < 300) latencies.push(performance.now() - sent)
        else {
          failed++
          statuses[status] = (statuses[status] ?? 0) + 1
        }
      } catch {
        failed++
        statuses["error"] = (statuses["error"] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, client))
  const elapsed = (performance.now() - start) / 1000
  await pool.close()
  return summary(latencies, failed, statuses, elapsed, cpuSince)
}

/** One load run asked of the load process. */
export type Job =
  | { readonly _tag: "open"; readonly target: Target; readonly rate: number; readonly seconds: number }
  | { readonly _tag: "closed"; readonly target: Target; readonly connections: number; readonly seconds: number }

export const run = (job: Job): Promise<LoadRun> =>
  job._tag === "open"
    ? openLoop(job.target, job.rate, job.seconds)
    : closedLoop(job.target, job.connections, job.seconds)

/** A load process for the scope's life, running one job at a time. */
export const generator = Effect.gen(function*() {
  const entry = fileURLToPath(new URL("./LoadProcess.ts", import.meta.url))
  const child = yield* Effect.acquireRelease(
    Effect.sync(() => fork(entry, [], { execArgv: ["--import", "tsx", "--max-semi-space-size=32"], stdio: "inherit" })),
    (child) => Effect.sync(() => child.kill("SIGTERM"))
  )
  const ask = (job: Job) =>
    Effect.async<LoadRun, Error>((resume) => {
      const exited = (code: number | null) => resume(Effect.fail(new Error(`the load process exited (${code})`)))
      child.once("exit", exited)
      child.once("message", (answer) => {
        child.off("exit", exited)
        resume(Effect.succeed(answer as LoadRun))
      })
      child.send(job)
    }).pipe(Effect.orDie)
  return {
    openLoop: (target: Target, rate: number, seconds: number) => ask({ _tag: "open", target, rate, seconds }),
    closedLoop: (target: Target, connections: number, seconds: number) =>
      ask({ _tag: "closed", target, connections, seconds })
  }
})
