/**
 * The PostgreSQL driver under sustained saturation: more queries in flight than the pool has connections, as a busy
 * gateway's pool is for as long as its load lasts. The CPU each query costs in the run's first seconds and in its
 * last shows whether the driver's cost grows with time spent saturated (postgres.js 3.4 did, unpatched: its
 * connection queues never emptied, each query left a hole in them, and each query's bookkeeping scanned the holes).
 */
import { Effect } from "effect"
import { performance } from "node:perf_hooks"
import postgres from "postgres"

export interface PoolRun {
  readonly seconds: number
  readonly queries: number
  /** CPU of this process per query, µs, over the first and the last `window` seconds. */
  readonly firstUs: number
  readonly lastUs: number
  readonly window: number
  readonly concurrency: number
  readonly connections: number
}

/** `select 1` from `concurrency` loops on a pool of `connections`, for `seconds`. */
export const saturated = (
  databaseUrl: string,
  options: { seconds: number; concurrency: number; connections: number }
) =>
  Effect.promise(async (): Promise<PoolRun> => {
    const sql = postgres(databaseUrl, { max: options.connections, onnotice: () => undefined })
    const window = 5
    const until = performance.now() + options.seconds * 1000
    let queries = 0
    const loop = async () => {
      while (performance.now() < until) {
        await sql`select 1`
        queries++
      }
    }
    const mark = () => ({ queries, cpu: process.cpuUsage() })
    const usPerQuery = (from: ReturnType<typeof mark>, to: ReturnType<typeof mark>) =>
      (to.cpu.user + to.cpu.system - from.cpu.user - from.cpu.system) / Math.max(1, to.queries - from.queries)
    const at = (seconds: number) =>
      new Promise<ReturnType<typeof mark>>((resolve) => setTimeout(() => resolve(mark()), seconds * 1000))
    const start = mark()
    const loops = Promise.all(Array.from({ length: options.concurrency }, loop))
    const [firstEnd, lastStart, lastEnd] = await Promise.all([
      at(window),
      at(options.seconds - window),
      at(options.seconds - 0.05)
    ])
    await loops
    await sql.end()
    return {
      seconds: options.seconds,
      queries,
      firstUs: usPerQuery(start, firstEnd),
      lastUs: usPerQuery(lastStart, lastEnd),
      window,
      concurrency: options.concurrency,
      connections: options.connections
    }
  })

export const line = (run: PoolRun) =>
  `pg_pool_saturated_cpu_us_per_query: ${run.lastUs.toFixed(1)} in the last ${run.window} s, ` +
  `${run.firstUs.toFixed(1)} in the first (${run.queries} queries of \`select 1\` in ${run.seconds} s, ` +
  `${run.concurrency} in flight on ${run.connections} connections; ` +
  `the driver's cost must not grow with time spent saturated)`
