/**
 * `npm run bench`: Mirage against the baseline a user would otherwise pick, on the same Redis,
 * Postgres and MongoDB-compatible server, in one run. Ends with the figures:
 *   machine_speed (how fast this machine is, to compare runs on different machines),
 *   throughput_ratio_vs_bullmq(_durable|_batched), runtime_efficiency, machine_cpu_us_per_task (and by process),
 *   node_cpu_us_per_task, domain_us_per_task,
 *   takeover_p50_s, takeover_p99_s,
 *   takeover_loaded_p99_s, handoff_s,
 *   lease_acquisitions_after_stall, passive_scan_wall_s, passive_scan_bound_s, rss_10k_scans_mib,
 *   event_loop_lag_p99_ms, console_results_interactive_ms, console_scroll_frame_p95_ms (and max),
 *   api_get_scan_p99_ms, api_list_scans_p99_ms, api_results_p99_ms, api_list_scans_max_req_per_s,
 *   api_results_max_req_per_s, schedules_fire_lag_p99_ms
 */
import { NodeRuntime } from "@effect/platform-node"
import { Entity } from "@mirage/domain/Entity"
import type { ModuleId, ScanId } from "@mirage/domain/Ids"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { shardsOf } from "@mirage/runtime/cluster/Assignment"
import { claimPeriodMs } from "@mirage/runtime/cluster/ShardHost"
import { shardOf } from "@mirage/runtime/cluster/Shards"
import { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import type { Finding } from "@mirage/runtime/collection/TaskExecutor"
import * as ScanSettings from "@mirage/runtime/scans/Settings"
import { FixtureWorld } from "@mirage/testkit"
import * as DevSettings from "@mirage/testkit/Settings"
import { Queue, Worker } from "bullmq"
import { Console, Duration, Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { performance } from "node:perf_hooks"
import { envFor } from "../dev/Sandbox.js"
import { limitGrowth } from "../src/Heap.js"
import { start, stop } from "../src/Launcher.js"
import * as Api from "./Api.js"
import * as Peers from "./BullmqPeers.js"
import * as Ceilings from "./Ceilings.js"
import * as ConsoleBench from "./Console.js"
import * as DnsBrute from "./DnsBrute.js"
import * as Domain from "./Domain.js"
import { countStatus, createScans, defaults, layer, shards, startNode, startScans } from "./Harness.js"
import type { Composition } from "./Harness.js"
import { budget, startWindow } from "./MachineCpu.js"
import type { Measured } from "./MachineCpu.js"
import * as MachineSpeed from "./MachineSpeed.js"
import * as Passive from "./Passive.js"
import * as PgPool from "./PgPool.js"
import * as Schedules from "./Schedules.js"
import * as Stall from "./Stall.js"
import * as Stores from "./Stores.js"

const newIds = (n: number) => Array.from({ length: n }, () => randomUUID() as ScanId)

const waitUntil = <E, R>(check: Effect.Effect<boolean, E, R>, timeoutMs: number, what: string) =>
  Effect.gen(function*() {
    const until = performance.now() + timeoutMs
    while (!(yield* check)) {
      if (performance.now() > until) return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("20 millis")
    }
  })

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/** BullMQ: no-op jobs processed per second by one worker process on the same Redis. */
const bullmq = (redisUrl: string, prefix: string, jobs: number) =>
  Effect.promise(async () => {
    const url = new URL(redisUrl)
    const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null }
    const queue = new Queue("noop", { connection, prefix })
    for (let i = 0; i < jobs; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, jobs - i) }, (_, j) => ({ name: "noop", data: { i: i + j } }))
      )
    }
    let done = 0
    const window = startWindow()
    let worker: Worker | undefined
    await new Promise<void>((resolve) => {
      worker = new Worker("noop", async () => undefined, { connection, prefix, concurrency: 100 })
      worker.on("completed", () => {
        if (++done === jobs) resolve()
      })
    })
    const measured = window.end(jobs)
    await worker?.close()
    await queue.obliterate({ force: true })
    await queue.close()
    return measured
  })

const fanoutPlan: ReadonlyArray<PlannedModule> = [
  { id: "bench_fanout" as ModuleId, input_types: ["DOMAIN"], output_types: ["DOMAIN"], config: {} },
  { id: "bench_leaf" as ModuleId, input_types: ["DOMAIN"], output_types: ["TECHNOLOGY"], config: {} }
]

/** What the no-op source finds: the target fans out to `width` subdomains; each domain yields one technology. */
const noopFindings = (width: number): Ceilings.Findings => (moduleId, value) => {
  if (moduleId === "bench_leaf") return [{ type: "TECHNOLOGY", value: `tech-${value}` }]
  if (value.startsWith("c")) return []
  return Array.from({ length: width }, (_, i) => ({ type: "DOMAIN" as const, value: `c${i}.${value}` }))
}

/**
 * A scan of the no-op source at `width`: its target's two tasks (fan-out and leaf) and two for each of its `width`
 * subdomains; every task but the fan-out of the target stores one result.
 */
const tasksPerScan = (width: number) => 2 + 2 * width
const resultsPerScan = (width: number) => 1 + 2 * width

/** The throughput section's scans (and `--only mirage`'s by default): 800 of 26 tasks. */
const benchShape = { scans: 800, width: 12 }
/** Scans of 6 tasks, run once after the rounds: with the median round, the two lengths `splitLine` fits. */
const shortShape = { scans: 1600, width: 2 }

const noopExecutor = (width: number) => {
  const findings = noopFindings(width)
  return Layer.succeed(
    TaskExecutor,
    TaskExecutor.of({
      run: (task) =>
        Effect.sync((): ReadonlyArray<Finding> =>
          findings(task.module_id, task.entity.value).map((found) => ({
            ...found,
            confidence: 1,
            source_data: {},
            metadata: {}
          }))
        )
    })
  )
}

/** Mirage: no-op collection tasks per second through actors, streams, Postgres and MongoDB. */
const mirageThroughput = (scans: number, width: number, measureIdle = true, composition: Composition = "runtime") =>
  Effect.gen(function*() {
    const node = yield* startNode(
      defaults("bench-throughput", { movesPerRound: shards, roundMs: 200, scanConcurrency: 32 }),
      noopExecutor(width),
      512,
      composition
    )
    yield* waitUntil(Effect.sync(() => node.node.host.owned().length === shards), 30_000, "the node to own every shard")
    // What the node costs with nothing to run (rounds, lease renewals, inbox reads and claims), paid per second, once
    // the rounds that claim the orphans of just-acquired shards are over (a start's passing cost).
    let idleMsPerSecond = Number.NaN
    if (measureIdle) {
      yield* Effect.sleep(Duration.millis(2 * claimPeriodMs(defaults("bench-throughput").reclaimIdleMs) + 1000))
      const idleFrom = process.cpuUsage()
      yield* Effect.sleep("5 seconds")
      const idleSpent = process.cpuUsage(idleFrom)
      idleMsPerSecond = (idleSpent.user + idleSpent.system) / 1000 / 5
    }
    const ids = newIds(scans)
    yield* createScans(ids, (i) => Entity.make({ type: "DOMAIN", value: `t${i}.bench.test` }), fanoutPlan, {
      recursion_depth: 1,
      max_results: 100_000
    })
    const before = yield* countStatus("COMPLETED")
    const window = startWindow()
    yield* startScans(ids)
    yield* waitUntil(
      Effect.map(countStatus("COMPLETED"), (n) => n - before === scans),
      600_000,
      "every scan to complete"
    )
    const tasks = scans * tasksPerScan(width)
    const measured = window.end(tasks)
    yield* node.shutdown
    return { scans, tasks, idleMsPerSecond, ...measured }
  })

/**
 * The most the stores let through, for the same workload: tasks/s of the event store alone and of the result store
 * alone (the run stores 25 results per 26 tasks), each fed by a runtime that costs nothing.
 */
const storeCeilings = (scans: number, width: number) =>
  Effect.gen(function*() {
    const created = yield* createScans(
      newIds(scans),
      (i) => Entity.make({ type: "DOMAIN", value: `t${i}.ceiling.test` }),
      fanoutPlan,
      { recursion_depth: 1, max_results: 100_000 }
    )
    const events = yield* Ceilings.events(created, noopFindings(width), 32, 512)
    const perScan = resultsPerScan(width)
    const resultsPerSecond = yield* Ceilings.results(scans * perScan, perScan, 2000)
    return { events: events.tasksPerSecond, results: resultsPerSecond * tasksPerScan(width) / perScan }
  })

/** Ownership moves: kill -9 (takeover) or SIGTERM (handoff) of the node running a scan, until it runs elsewhere. */
const moves = (trials: number, how: "kill" | "shutdown") =>
  Effect.gen(function*() {
    const starts = new Map<string, { readonly node: string; readonly at: number }>()
    const probe = (nodeId: string) =>
      Layer.succeed(
        TaskExecutor,
        TaskExecutor.of({
          run: (task) =>
            Effect.sync(() => {
              const seen = starts.get(task.owner)
              if (seen === undefined || seen.node !== nodeId) {
                starts.set(task.owner, { node: nodeId, at: performance.now() })
              }
            }).pipe(Effect.zipRight(Effect.never))
        })
      )
    const other = yield* startNode(defaults(`stay-${how}`), probe(`stay-${how}`))
    let victim = yield* startNode(defaults(`${how}-0`), probe(`${how}-0`))
    const settled = () =>
      Effect.sync(() => {
        const members = [victim.node.id, other.node.id]
        return [victim, other].every((n) => n.node.host.owned().length === shardsOf(n.node.id, members, shards).length)
      })
    const times: Array<number> = []
    for (let trial = 0; trial < trials; trial++) {
      yield* waitUntil(settled(), 60_000, "ownership to settle")
      const owned = new Set(victim.node.host.owned())
      let id = randomUUID() as ScanId
      while (!owned.has(shardOf(id, shards))) id = randomUUID() as ScanId
      yield* createScans([id], () => Entity.make({ type: "DOMAIN", value: `move${trial}.bench.test` }), fanoutPlan)
      yield* startScans([id])
      const victimId = victim.node.id
      yield* waitUntil(Effect.sync(() => starts.get(id)?.node === victimId), 30_000, "the scan to run")
      const stopped = performance.now()
      yield* (how === "kill" ? victim.kill : victim.shutdown)
      yield* waitUntil(Effect.sync(() => starts.get(id)?.node === other.node.id), 60_000, "the scan to run elsewhere")
      times.push((starts.get(id)!.at - stopped) / 1000)
      victim = yield* startNode(defaults(`${how}-${trial + 1}`), probe(`${how}-${trial + 1}`))
    }
    yield* victim.kill
    yield* other.kill
    return times
  })

/** One node process holding 10,000 RUNNING scans (their certificate searches never answer): its RSS. */
const rssOf10kScans = (stores: Stores.BenchStores) =>
  Effect.gen(function*() {
    const world = yield* FixtureWorld.make
    yield* world.crtsh.setLatency(3_600_000)
    const proc = yield* start(
      "bench-node",
      "apps/node/src/main.ts",
      Stores.nodeEnv(stores, envFor(world), {
        MIRAGE_NODE_ID: "bench-rss",
        MIRAGE_METRICS_PORT: "0",
        MIRAGE_SHARDS: String(shards),
        MIRAGE_MOVES_PER_ROUND: String(shards)
      }),
      "ignore"
    )
    const ids = newIds(10_000)
    const plan: ReadonlyArray<PlannedModule> = [
      { id: "crtsh" as ModuleId, input_types: ["DOMAIN"], output_types: ["DOMAIN", "EMAIL"], config: {} }
    ]
    yield* createScans(ids, () => Entity.make({ type: "DOMAIN", value: FixtureWorld.domain }), plan)
    yield* startScans(ids)
    // Every scan started; the first ones may already have timed out on the silent source (60 s).
    yield* waitUntil(
      Effect.map(
        Effect.all([countStatus("RUNNING"), countStatus("FAILED")]),
        ([running, failed]) => running + failed === ids.length
      ),
      900_000,
      "10,000 started scans"
    )
    const running = yield* countStatus("RUNNING")
    const status = readFileSync(`/proc/${proc.child.pid}/status`, "utf8")
    const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0")
    // Profiling aid: with NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2 and MIRAGE_BENCH_HEAP_SNAPSHOT=1, the node
    // writes a heap snapshot of its 10,000 scans into its working directory before it is stopped.
    if (yield* DevSettings.benchHeapSnapshot) {
      proc.child.kill("SIGUSR2")
      yield* Effect.sleep(yield* DevSettings.benchHeapSnapshotWait)
    }
    yield* stop(proc, 1000)
    return { mib: kib / 1024, running }
  })

/** The node's per-second background, and what it comes to per task in the throughput window. */
const idleLine = (run: { readonly idleMsPerSecond: number; readonly seconds: number; readonly tasks: number }) =>
  `node_idle_cpu_ms_per_s: ${run.idleMsPerSecond.toFixed(1)} (a node owning ${shards} shards with nothing to run; ${
    (run.idleMsPerSecond * 1000 * run.seconds / run.tasks).toFixed(0)
  } µs per task over the throughput window)`

/**
 * A task's cost split in two from two runs of the task path whose scans differ in length: cost = per task + per scan
 * ÷ tasks per scan, solved for both, for the node and for the machine. What a task costs at the margin, and what each
 * scan's life costs once (its start command, its load, its appends and projections, its end).
 */
const splitLine = (
  long: Measured & { readonly tasks: number; readonly scans: number },
  short: Measured & { readonly tasks: number; readonly scans: number },
  batched: Measured
) => {
  const [n1, n2] = [long.tasks / long.scans, short.tasks / short.scans]
  const fit = (of: (m: Measured) => number) => {
    const perScan = (of(short) - of(long)) / (1 / n2 - 1 / n1)
    return { perScan, perTask: of(long) - perScan / n1 }
  }
  const node = fit((m) => m.processCpuUsPerUnit)
  const machine = fit((m) => m.cpuUsPerUnit)
  return `mirage_cost_split_us: per task node ${node.perTask.toFixed(0)}, machine ${
    machine.perTask.toFixed(0)
  } (bullmq batched ${batched.cpuUsPerUnit.toFixed(0)} per job); per scan node ${node.perScan.toFixed(0)}, machine ${
    machine.perScan.toFixed(0)
  } (fit of the median round's scans of ${n1} tasks, node ${long.processCpuUsPerUnit.toFixed(0)} and machine ${
    long.cpuUsPerUnit.toFixed(0)
  } per task, and ${short.scans} scans of ${n2}: ${short.processCpuUsPerUnit.toFixed(0)} and ${
    short.cpuUsPerUnit.toFixed(0)
  }; at ${n1} tasks a scan the per-scan part is ${
    (100 * node.perScan / n1 / long.processCpuUsPerUnit).toFixed(0)
  }% of the node's cost)`
}

const section = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>) =>
  Console.log(`bench: ${name}…`).pipe(Effect.zipRight(effect))

/** Rounds of the throughput section (`--rounds N`, 3 by default). */
const rounds = (() => {
  const at = process.argv.indexOf("--rounds")
  const n = at < 0 ? 3 : Number(process.argv[at + 1])
  return Number.isInteger(n) && n > 0 ? n : 3
})()

/** `--only mirage --production`: the node composed as `npm start` composes it (see `Composition`). */
const composition: Composition = process.argv.includes("--production") ? "production" : "runtime"

/**
 * `--only mirage`'s scans, as `--shape SCANSxWIDTH` (800x12 by default): SCANS scans of 2 + 2 × WIDTH tasks each. Runs
 * of two shapes split the node's cost into a part per task and a part per scan (see "Where a task's CPU goes").
 */
const shape = (() => {
  const at = process.argv.indexOf("--shape")
  const match = at < 0 ? null : /^(\d+)x(\d+)$/.exec(process.argv[at + 1] ?? "")
  if (at >= 0 && match === null) throw new Error("--shape takes SCANSxWIDTH, e.g. 3200x2")
  return match === null ? benchShape : { scans: Number(match[1]), width: Number(match[2]) }
})()

/**
 * The run of median rate among a contender's rounds, with the range of their rates: one run of a task path that
 * batches moves by a fifth from one run to the next on the same machine (how its batches fall), and the median of
 * rounds interleaved with the other contenders' spreads the machine's drift over all of them.
 */
const median = <A extends { readonly perSecond: number }>(runs: ReadonlyArray<A>) => {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond)
  const middle = sorted[Math.floor((sorted.length - 1) / 2)]!
  const spread = runs.length === 1
    ? ""
    : `median of ${runs.length}: ${sorted[0]!.perSecond.toFixed(0)}–${sorted[sorted.length - 1]!.perSecond.toFixed(0)}`
  return { ...middle, spread }
}

/** ` (a; b)` of the notes that are not empty, or nothing. */
const notes = (...parts: ReadonlyArray<string>) => {
  const given = parts.filter((part) => part !== "")
  return given.length === 0 ? "" : ` (${given.join("; ")})`
}

/** `npm run bench -- --only throughput,domain,wide,moves,stall,passive,rss,dnsbrute,console,api,pgpool,schedules` runs some
 * sections; all by default (`mirage`, Mirage's task path alone, only when asked for). */
const only = (() => {
  const at = process.argv.indexOf("--only")
  return at < 0 ? undefined : new Set((process.argv[at + 1] ?? "").split(","))
})()
const wanted = (name: string) => only === undefined || only.has(name)

const main = Effect.gen(function*() {
  // In-process nodes run with the heap setting of node processes, so the throughput figure pays its cost too.
  yield* limitGrowth
  // First, before any store is busy: how fast this machine is, to compare runs on different machines.
  const lines: Array<string> = [yield* MachineSpeed.probe]
  yield* Console.log(lines[0])
  // `--only mirage`: Mirage's task path alone, without its peers (for profiles of the node's hot path).
  if (only?.has("mirage") === true) {
    const stores = yield* Stores.make("mirage")
    const mirage = yield* section(
      "Mirage no-op collection tasks",
      mirageThroughput(shape.scans, shape.width, true, composition).pipe(Effect.provide(layer(stores)))
    )
    lines.push(
      `mirage_tasks_per_s: ${mirage.perSecond.toFixed(0)} (${mirage.tasks} tasks in ${
        mirage.seconds.toFixed(1)
      } s; ${shape.scans} scans of ${tasksPerScan(shape.width)} tasks)`,
      `machine_cpu_us_per_task: mirage ${mirage.cpuUsPerUnit.toFixed(0)} (cores ${
        (mirage.utilisation * 100).toFixed(0)
      }% busy)`,
      `node_cpu_us_per_task: mirage ${mirage.processCpuUsPerUnit.toFixed(0)} (the node process's own share)`,
      `machine_cpu_us_per_task_by_process: ${budget(mirage, "node")}`,
      idleLine(mirage)
    )
  }
  /** The node's CPU per task in the throughput section, when it ran: the domain line says what share of it it is. */
  let nodeUsPerTask: number | undefined
  if (wanted("throughput")) {
    const stores = yield* Stores.make("throughput")
    const runs = { bull: [] as Array<Measured>, durable: [] as Array<Measured>, batched: [] as Array<Measured> }
    const mirageRuns: Array<Effect.Effect.Success<ReturnType<typeof mirageThroughput>>> = []
    for (let round = 1; round <= rounds; round++) {
      const of = rounds === 1 ? "" : ` (round ${round} of ${rounds})`
      runs.bull.push(yield* section(`BullMQ no-op jobs${of}`, bullmq(stores.redisUrl, `${stores.prefix}bull`, 20_000)))
      runs.durable.push(
        yield* section(
          `BullMQ jobs, each writing its event row and result document${of}`,
          Peers.durableJobs(stores, 10_000, "durable")
        )
      )
      runs.batched.push(
        yield* section(`BullMQ jobs through a 5 ms micro-batcher${of}`, Peers.durableJobs(stores, 20_000, "batched"))
      )
      // The idle node's cost is measured in the first round only: it does not depend on the run.
      const run = yield* section(
        `Mirage no-op collection tasks${of}`,
        mirageThroughput(benchShape.scans, benchShape.width, round === 1).pipe(Effect.provide(layer(stores)))
      )
      mirageRuns.push(round === 1 ? run : { ...run, idleMsPerSecond: mirageRuns[0]!.idleMsPerSecond })
      yield* Console.log(
        `bullmq_jobs_per_s: ${runs.bull[round - 1]!.perSecond.toFixed(0)} mirage_tasks_per_s: ${
          run.perSecond.toFixed(0)
        }`
      )
    }
    // The same task path on shorter scans: with the median round, a fit of cost = per task + per scan ÷ tasks per
    // scan (see `splitLine`).
    const short = yield* section(
      "Mirage no-op collection tasks, short scans",
      mirageThroughput(shortShape.scans, shortShape.width, false).pipe(Effect.provide(layer(stores)))
    )
    // The same scans once on a node composed as `npm start` composes it: the organization's task quota and every
    // observer of stored batches, which the rounds leave out to measure the task path itself.
    const production = yield* section(
      "Mirage no-op collection tasks on a node composed for production",
      mirageThroughput(benchShape.scans, benchShape.width, false, "production").pipe(Effect.provide(layer(stores)))
    )
    const taskQuota = yield* ScanSettings.maxConcurrentTasks
    const bullRun = median(runs.bull)
    const bull = bullRun.perSecond
    const durable = median(runs.durable)
    const batched = median(runs.batched)
    const mirage = median(mirageRuns)
    const ceilings = yield* section(
      "what the stores alone let through",
      storeCeilings(benchShape.scans, benchShape.width).pipe(Effect.provide(layer(stores)))
    )
    const raw = yield* section(
      "what the MongoDB-compatible server takes through the bare driver",
      Ceilings.rawResults(stores.mongoUrl, 40_000, 2000)
    )
    // The run stores 25 results per 26 tasks: the server's own rate, in tasks.
    const rawTasks = raw.perSecond * tasksPerScan(benchShape.width) / resultsPerScan(benchShape.width)
    const bound = Math.min(ceilings.events, ceilings.results)
    lines.push(
      `bullmq_jobs_per_s: ${bull.toFixed(0)}${notes(bullRun.spread)}`,
      `mirage_tasks_per_s: ${mirage.perSecond.toFixed(0)}${
        notes(mirage.spread, `${mirage.tasks} tasks in ${mirage.seconds.toFixed(1)} s`)
      }`,
      `store_ceiling_tasks_per_s: ${bound.toFixed(0)} (event store alone ${
        ceilings.events.toFixed(0)
      }, result store alone ${ceilings.results.toFixed(0)})`,
      `store_ceiling_ratio_vs_bullmq: ${(bound / bull).toFixed(2)} (at most, with a runtime that costs nothing)`,
      `mongo_raw_docs_per_s: ${raw.perSecond.toFixed(0)} (bare driver, nothing else running: ${
        rawTasks.toFixed(0)
      } tasks/s, ratio ${(rawTasks / bull).toFixed(2)} at the very most; ${
        raw.cpuUsPerUnit.toFixed(0)
      } µs of machine CPU per document, cores ${(raw.utilisation * 100).toFixed(0)}% busy)`,
      `throughput_ratio_vs_bullmq: ${
        (mirage.perSecond / bull).toFixed(2)
      } (no-op jobs, which persist nothing but Redis)`,
      `bullmq_durable_jobs_per_s: ${durable.perSecond.toFixed(0)}${
        notes(durable.spread, "each job one event row and one result document")
      }`,
      `bullmq_batched_jobs_per_s: ${batched.perSecond.toFixed(0)}${
        notes(batched.spread, "the same through a 5 ms micro-batcher")
      }`,
      `throughput_ratio_vs_bullmq_durable: ${(mirage.perSecond / durable.perSecond).toFixed(2)}`,
      `throughput_ratio_vs_bullmq_batched: ${(mirage.perSecond / batched.perSecond).toFixed(2)}`,
      `runtime_efficiency: ${
        (mirage.perSecond / bound).toFixed(2)
      } (Mirage's tasks/s over what its stores alone let through)`,
      `machine_cpu_us_per_task: mirage ${mirage.cpuUsPerUnit.toFixed(0)} (cores ${
        (mirage.utilisation * 100).toFixed(0)
      }% busy), bullmq ${bullRun.cpuUsPerUnit.toFixed(0)} per job (cores ${
        (bullRun.utilisation * 100).toFixed(0)
      }% busy), bullmq durable ${durable.cpuUsPerUnit.toFixed(0)}, bullmq batched ${batched.cpuUsPerUnit.toFixed(0)}`,
      `node_cpu_us_per_task: mirage ${
        mirage.processCpuUsPerUnit.toFixed(0)
      } (the node process's own share), bullmq batched ${
        batched.processCpuUsPerUnit.toFixed(0)
      } (the worker process's)`,
      `machine_cpu_us_per_task_by_process: mirage: ${budget(mirage, "node")}; bullmq batched: ${
        budget(batched, "worker")
      }`,
      idleLine(mirage),
      splitLine(mirage, short, batched),
      `mirage_production_tasks_per_s: ${production.perSecond.toFixed(0)} (the same scans once on a node composed as ` +
        `npm start composes it: the organization's task quota, at most ${taskQuota} of its tasks at once, and ` +
        `every observer of stored batches; ${(production.perSecond / mirage.perSecond).toFixed(2)} of ` +
        `mirage_tasks_per_s, ${
          (production.perSecond / batched.perSecond).toFixed(2)
        } of the batched BullMQ peer; node ${production.processCpuUsPerUnit.toFixed(0)} µs a task, machine ${
          production.cpuUsPerUnit.toFixed(0)
        }: ${budget(production, "node")})`
    )
    nodeUsPerTask = mirage.processCpuUsPerUnit
  }
  if (wanted("domain")) {
    const domain = yield* section(
      "the scan actor's domain work, without I/O",
      Domain.domainWork(fanoutPlan, noopFindings(benchShape.width), { scans: 400, rounds: 5, concurrency: 16 })
    )
    lines.push(
      `domain_us_per_task: ${
        domain.usPerTask.toFixed(1)
      } (median of ${domain.rounds} rounds of ${domain.scans} scans ` +
        `of ${domain.tasksPerScan} tasks: each scan's creation decoded, its start, its tasks' findings to results and ` +
        `decideInto, batch by batch, in this process without I/O or fibers${
          nodeUsPerTask === undefined
            ? ""
            : `; ${(100 * domain.usPerTask / nodeUsPerTask).toFixed(0)} % of node_cpu_us_per_task`
        })`
    )
  }
  if (wanted("wide")) {
    // One scan at a time, so that only its size differs: tasks/s must not fall as a scan grows.
    const stores = yield* Stores.make("wide")
    const oneScan = (width: number) => mirageThroughput(1, width, false).pipe(Effect.provide(layer(stores)))
    yield* section("warm-up scan", oneScan(500))
    const small = yield* section("one scan of 1,002 tasks", oneScan(500))
    const large = yield* section("one scan of 10,002 tasks", oneScan(5000))
    lines.push(
      `wide_scan_tasks_per_s: ${large.perSecond.toFixed(0)} (one scan of ${large.tasks} tasks in ${
        large.seconds.toFixed(1)
      } s; one of ${small.tasks}: ${small.perSecond.toFixed(0)}/s; ratio ${
        (large.perSecond / small.perSecond).toFixed(2)
      })`
    )
  }
  if (wanted("moves")) {
    const stores = yield* Stores.make("moves")
    const takeovers = yield* section("takeover after kill -9", moves(10, "kill").pipe(Effect.provide(layer(stores))))
    const handoffs = yield* section("handoff after SIGTERM", moves(5, "shutdown").pipe(Effect.provide(layer(stores))))
    const load = yield* Stores.make("load")
    const loaded = yield* section(
      "takeover after kill -9 while a node process runs recursive scans",
      Stall.underLoad(load, moves(10, "kill").pipe(Effect.provide(layer(stores)))).pipe(Effect.provide(layer(load)))
    )
    lines.push(
      `takeover_p50_s: ${percentile(takeovers, 50).toFixed(2)}`,
      `takeover_p99_s: ${percentile(takeovers, 99).toFixed(2)}`,
      `takeover_loaded_p99_s: ${percentile(loaded, 99).toFixed(2)} (p50 ${
        percentile(loaded, 50).toFixed(2)
      }; the machine kept busy by a node process running batches of 40 recursive scans)`,
      `handoff_s: ${percentile(handoffs, 50).toFixed(2)} (max ${Math.max(...handoffs).toFixed(2)})`
    )
  }
  if (wanted("stall")) {
    const stores = yield* Stores.make("stall")
    const run = yield* section(
      "a busy node stopped for 10 s (SIGSTOP), its lease acquisitions until its scans end",
      Stall.acquisitionsAfterStall(stores).pipe(Effect.provide(layer(stores)))
    )
    lines.push(
      `lease_acquisitions_after_stall: ${run.acquisitions} (of ${shards} shards; ${run.selfFenced} leases self-fenced; ${run.owned} owned at the end)`
    )
  }
  if (wanted("passive")) {
    const stores = yield* Stores.make("passive")
    const run = yield* section(
      "a wide passive scan, every source held to its rate",
      Passive.passiveScan.pipe(Effect.provide(layer(stores)))
    )
    lines.push(
      `passive_scan_wall_s: ${
        run.wallS.toFixed(1)
      } (${run.modules} of ${run.passiveModules} passive modules, ${run.sources} of ${run.passiveSources} passive sources asked (${run.emulated} emulated${
        run.notAsked.length === 0 ? "" : `; not asked: ${run.notAsked.join(", ")}`
      }), ${run.requests} requests; scans: ${run.scans.join(", ")})`,
      `passive_scan_bound_s: ${run.boundS.toFixed(1)} (the slowest source, ${run.slowest}, at its rate, asked from ${
        run.slowestFirstS.toFixed(1)
      } s to ${run.slowestLastS.toFixed(1)} s; bound/wall ${
        (run.boundS / run.wallS).toFixed(2)
      }; sources asked faster than their rate: ${run.overRate.length === 0 ? "none" : run.overRate.join(", ")}${
        run.unheld.length === 0 ? "" : `; not held to a rate, so outside the bound: ${run.unheld.join(", ")} requests`
      })`
    )
  }
  if (wanted("rss")) {
    const stores = yield* Stores.make("rss")
    const rss = yield* section(
      "RSS of a node with 10,000 running scans",
      rssOf10kScans(stores).pipe(Effect.provide(layer(stores)))
    )
    yield* Console.log(`rss_10k_scans_mib: ${rss.mib.toFixed(0)}`)
    lines.push(`rss_10k_scans_mib: ${rss.mib.toFixed(0)} (${rss.running} scans RUNNING at the reading)`)
  }
  if (wanted("dnsbrute")) {
    const run = yield* section("a 50,000-word dns_brute, the event loop watched", DnsBrute.dnsBrute(50_000))
    lines.push(
      `event_loop_lag_p99_ms: ${run.lagP99Ms.toFixed(1)} (time-weighted; longest hold ${
        run.lagMaxMs.toFixed(1)
      }; monitorEventLoopDelay per-tick p99 ${run.histogramP99Ms.toFixed(1)}; idle machine baseline ${
        run.idleLagP99Ms.toFixed(1)
      })`,
      `dns_brute_words_per_s: ${(run.words / run.seconds).toFixed(0)} (${run.words} words, ${
        run.words * 2
      } lookups, ${run.findings} findings in ${run.seconds.toFixed(1)} s; dns rate limit raised for the run)`
    )
  }
  if (wanted("console")) {
    const stores = yield* Stores.make("console")
    const run = yield* section(
      "the results page of a 100,000-result scan in Chromium",
      ConsoleBench.bigResultsPage(stores, 100_000)
    )
    lines.push(...ConsoleBench.lines(run))
  }
  if (wanted("api")) {
    const stores = yield* Stores.make("api")
    const rate = 500
    const run = yield* section(
      "the API read routes at a fixed rate, then saturated",
      Api.apiReads(stores, {
        rate,
        seconds: Duration.toSeconds(yield* DevSettings.benchApiSeconds),
        scans: 200,
        workers: (yield* DevSettings.benchGatewayWorkers) || availableParallelism()
      }).pipe(
        Effect.provide(layer(stores))
      )
    )
    lines.push(...Api.lines(run, rate))
  }
  if (wanted("pgpool")) {
    const stores = yield* Stores.make("pgpool")
    const run = yield* section(
      "the PostgreSQL driver's pool kept saturated for 30 s",
      PgPool.saturated(stores.databaseUrl, { seconds: 30, concurrency: 50, connections: 4 })
    )
    lines.push(PgPool.line(run))
  }
  if (wanted("schedules")) {
    const stores = yield* Stores.make("schedules")
    const run = yield* section(
      "10,000 schedules due in the same minute on two hosts",
      Schedules.fireLag(stores, 10_000)
    )
    lines.push(
      `schedules_fire_lag_p99_ms: ${run.p99} (p50 ${run.p50}, max ${run.max}; ${run.recorded} due times recorded for ${run.schedules} schedules, ${run.distinct} distinct, ${run.launched} runs launched, ${run.actors} actors on two hosts)`
    )
  }
  yield* Console.log(["", ...lines].join("\n"))
})

NodeRuntime.runMain(Effect.scoped(main))
