/**
 * The API read path under load: a sandbox stack started as `npm start` starts it (the gateway and one node as
 * processes, the fixture world here), scans created through the API, results stored into three of them (20, 2,000
 * and 20,000), then a fixed rate on each read route and a closed-loop saturation run of each list route, the load
 * sent from a process of its own.
 */
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { ModuleId, resultIdFor, ScanId, TaskId } from "@mirage/domain/Ids"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import { FixtureWorld } from "@mirage/testkit"
import { freePort } from "@mirage/testkit/OwnStores"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { Console, DateTime, Effect } from "effect"
import { randomBytes, randomUUID } from "node:crypto"
import { join } from "node:path"
import { envFor } from "../dev/Sandbox.js"
import { launch, logFolder, waitForGateway } from "../src/Launcher.js"
import * as Load from "./Load.js"
import { serversUs, treeMs } from "./MachineCpu.js"
import * as Stores from "./Stores.js"

/** Results of one scan as a module would store them: a subdomain each, with its source's record. */
const resultsOf = (scan: ScanId, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => {
    const n = from + i
    const hash = `bench-${n}`
    return CollectionResult.make({
      id: resultIdFor(scan, hash),
      task_id: TaskId.make(randomUUID()),
      scan_id: scan,
      module_id: ModuleId.make(n % 3 === 0 ? "crtsh" : "dns_resolve"),
      data_type: n % 3 === 0 ? "DOMAIN" : "IP",
      data: n % 3 === 0 ? `host${n}.${FixtureWorld.domain}` : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
      source_data: { record: "A", ttl: 300, issuer: "Bench CA", names: [`host${n}.${FixtureWorld.domain}`] },
      confidence: n % 10 === 0 ? 0.6 : 1,
      collected_at: DateTime.unsafeMake(1_760_000_000_000 + n),
      metadata: { resolver: "127.0.0.1" },
      hash,
      parent: null
    })
  })

/**
 * A load run, with the CPU the gateway, the node and the stores (Postgres, Redis) spent on each answer (the figures
 * least moved by neighbours; the stores' also count what other clients of the same servers did meanwhile).
 */
export interface Measured extends Load.LoadRun {
  /** The gateway's collections of its whole heap during the run (each one stalls the answers behind it). */
  readonly gatewayFullCollections: number
  readonly gatewayCpuMs: number
  readonly nodeCpuMs: number
  readonly postgresCpuMs: number
  readonly redisCpuMs: number
  /** The load generator's, which shares the machine. */
  readonly loaderCpuMs: number
}

export interface ApiRun {
  readonly getScan: Measured
  readonly listScans: Measured
  readonly results: Measured
  readonly resultsSmall: Measured
  readonly listScansMax: Measured
  readonly resultsMax: Measured
  /** One module's description (from memory, no store asked), saturated: what an API read costs before its data. */
  readonly floor: Measured
  readonly scans: number
  /** The saturation runs again on a gateway of several workers (MIRAGE_GATEWAY_WORKERS), when the machine has cores for them. */
  readonly workers:
    | { readonly count: number; readonly listScansMax: Measured; readonly resultsMax: Measured }
    | undefined
}

/** The API bench on `stores`; the ResultStore in context writes to the same stores as the stack. */
export const apiReads = (
  stores: Stores.BenchStores,
  options: { rate: number; seconds: number; scans: number; workers: number }
) =>
  Effect.gen(function*() {
    const world = yield* FixtureWorld.make
    const port = yield* freePort
    const key = `mk_bench_${randomBytes(18).toString("base64url")}`
    const origin = `http://127.0.0.1:${port}`
    const env = Stores.nodeEnv(stores, envFor(world), {
      MIRAGE_BOOTSTRAP_API_KEY: key,
      // The rate limiter stays on (its cost is part of a request), at a rate the bench never reaches.
      MIRAGE_API_RATE: "1000000",
      MIRAGE_API_BURST: "1000000"
    })
    const procs = yield* launch({ port, nodes: 1, env, output: { logs: join(logFolder, "bench-api") } })
    yield* waitForGateway(origin, procs[0])
    const create = (i: number) =>
      Effect.promise(async () => {
        const response = await fetch(`${origin}/scans`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({
            name: `bench scan ${i}`,
            description: "a scan of the API bench",
            target: { type: "DOMAIN", value: `t${i}.${FixtureWorld.domain}` },
            template_id: "full-domain-footprint"
          })
        })
        const body = await response.json() as { id: string }
        if (response.status !== 201) throw new Error(`POST /scans: ${response.status} ${JSON.stringify(body)}`)
        return ScanId.make(body.id)
      })
    const ids = yield* Effect.forEach(Array.from({ length: options.scans }, (_, i) => i), create, { concurrency: 8 })
    const [small, middle, large] = [ids[0]!, ids[1]!, ids[2]!]
    const store = yield* ResultStore
    for (const [scan, count] of [[small, 20], [middle, 2_000], [large, 20_000]] as const) {
      for (let from = 0; from < count; from += 2000) {
        yield* store.insert(scan, resultsOf(scan, from, Math.min(2000, count - from)))
      }
    }
    // A gateway's full collections so far, from its /metrics.
    const fullCollections = (origin: string) =>
      Prometheus.scrape(`${origin}/metrics`).pipe(
        Effect.map((exposition) => Prometheus.total(exposition, "mirage_gc_pause_seconds_count", { kind: "major" })),
        Effect.orElseSucceed(() => Number.NaN)
      )
    const node = procs[1]?.child.pid
    const measuredOn =
      (gateway: { readonly origin: string; readonly pid: number | undefined }) =>
      (name: string, load: Effect.Effect<Load.LoadRun>) =>
        Effect.gen(function*() {
          const collectionsBefore = yield* fullCollections(gateway.origin)
          const before = [treeMs(gateway.pid), treeMs(node)]
          const serversBefore = serversUs()
          const run = yield* load
          const answers = Math.max(1, run.sent)
          const servers = serversUs()
          const done = {
            ...run,
            gatewayFullCollections: (yield* fullCollections(gateway.origin)) - collectionsBefore,
            gatewayCpuMs: (treeMs(gateway.pid) - before[0]!) / answers,
            nodeCpuMs: (treeMs(node) - before[1]!) / answers,
            postgresCpuMs: (servers.postgres - serversBefore.postgres) / 1000 / answers,
            redisCpuMs: (servers.redis - serversBefore.redis) / 1000 / answers,
            loaderCpuMs: run.cpuMs / answers
          } satisfies Measured
          // Each phase as it ends: a long run cut short keeps what it measured.
          yield* Console.log(`  ${name}: p99 ${done.p99Ms.toFixed(1)} ms ${fixed(done)}`)
          return done
        })
    const measured = measuredOn({ origin, pid: procs[0]?.child.pid })
    const target = (...paths: ReadonlyArray<string>): Load.Target => ({ origin, key, paths })
    const getScan = target(...ids.map((id) => `/scans/${id}`))
    const listScans = target("/scans?limit=20")
    const resultsPath = `/scans/${large}/results?limit=100`
    const results = target(resultsPath)
    const resultsSmall = target(`/scans/${small}/results?limit=100`)
    const generator = yield* Load.generator
    // Warm-up: connections, JIT, caches.
    yield* generator.closedLoop(getScan, 10, 2)
    yield* generator.closedLoop(listScans, 10, 2)
    yield* generator.closedLoop(results, 10, 2)
    const run = {
      getScan: yield* measured("GET /scans/{id}", generator.openLoop(getScan, options.rate, options.seconds)),
      listScans: yield* measured("GET /scans?limit=20", generator.openLoop(listScans, options.rate, options.seconds)),
      results: yield* measured(
        "GET /scans/{id}/results?limit=100 (20,000 results)",
        generator.openLoop(results, options.rate, options.seconds)
      ),
      resultsSmall: yield* measured(
        "resultsSmall",
        generator.openLoop(resultsSmall, options.rate, Math.min(5, options.seconds))
      ),
      listScansMax: yield* measured("GET /scans?limit=20 saturated", generator.closedLoop(listScans, 50, 8)),
      resultsMax: yield* measured("results saturated", generator.closedLoop(results, 50, 8)),
      floor: yield* measured(
        "GET /modules/crtsh saturated",
        generator.closedLoop(target("/modules/crtsh"), 50, 4)
      ),
      scans: ids.length
    }
    // The same saturation runs on a second gateway of several workers, on the same stores, the first one idle.
    const workers = options.workers < 2 ? undefined : yield* Effect.gen(function*() {
      const port = yield* freePort
      const origin = `http://127.0.0.1:${port}`
      const [gateway] = yield* launch({
        port,
        nodes: 0,
        env: { ...env, MIRAGE_GATEWAY_WORKERS: String(options.workers) },
        output: { logs: join(logFolder, "bench-api-workers") }
      })
      yield* waitForGateway(origin, gateway)
      const measured = measuredOn({ origin, pid: gateway?.child.pid })
      const listScans: Load.Target = { origin, key, paths: ["/scans?limit=20"] }
      const results: Load.Target = { origin, key, paths: [resultsPath] }
      // A longer warm-up than the first gateway's: that one had run every phase above before its saturation runs.
      yield* generator.closedLoop(listScans, 50, 6)
      yield* generator.closedLoop(results, 50, 6)
      return {
        count: options.workers,
        listScansMax: yield* measured(
          `GET /scans?limit=20 saturated, ${options.workers} workers`,
          generator.closedLoop(listScans, 50, 8)
        ),
        resultsMax: yield* measured(
          `results saturated, ${options.workers} workers`,
          generator.closedLoop(results, 50, 8)
        )
      }
    }).pipe(Effect.scoped)
    return { ...run, workers } satisfies ApiRun
  }).pipe(Effect.scoped)

const failures = (run: Load.LoadRun) =>
  run.failed === 0
    ? ""
    : `; ${run.failed} failed: ${Object.entries(run.statuses).map(([status, n]) => `${n}× ${status}`).join(", ")}`

/** Each process's CPU per answer and their sum, the load generator's included: the machine's cost of one request. */
const cpu = (run: Measured) => {
  const { gatewayCpuMs, loaderCpuMs, nodeCpuMs, postgresCpuMs, redisCpuMs } = run
  const machine = gatewayCpuMs + nodeCpuMs + postgresCpuMs + redisCpuMs + loaderCpuMs
  return `CPU per request: gateway ${gatewayCpuMs.toFixed(2)} ms, node ${nodeCpuMs.toFixed(2)} ms, postgres ${
    postgresCpuMs.toFixed(2)
  } ms, redis ${redisCpuMs.toFixed(2)} ms, load generator ${loaderCpuMs.toFixed(2)} ms; machine ${
    machine.toFixed(2)
  } ms`
}

const fixed = (run: Measured) =>
  `(p50 ${run.p50Ms.toFixed(1)}; ${run.ok} answers at ${run.perSecond.toFixed(0)} req/s${failures(run)}; ${
    cpu(run)
  }; ${run.gatewayFullCollections} full collections of the gateway's heap)`

/** The bench lines of a run. */
export const lines = (run: ApiRun, rate: number): ReadonlyArray<string> => [
  `api_get_scan_p99_ms: ${run.getScan.p99Ms.toFixed(1)} ${fixed(run.getScan)}`,
  `api_list_scans_p99_ms: ${run.listScans.p99Ms.toFixed(1)} ${fixed(run.listScans)}; ${run.scans} scans`,
  `api_results_p99_ms: ${run.results.p99Ms.toFixed(1)} ${fixed(run.results)}; limit=100 of a 20,000-result scan; ` +
  `of a 20-result scan p99 ${run.resultsSmall.p99Ms.toFixed(1)}`,
  `api_list_scans_max_req_per_s: ${run.listScansMax.perSecond.toFixed(0)} (closed loop, 50 connections, p99 ${
    run.listScansMax.p99Ms.toFixed(1)
  } ms${failures(run.listScansMax)}; ${cpu(run.listScansMax)})`,
  `api_results_max_req_per_s: ${run.resultsMax.perSecond.toFixed(0)} (closed loop, 50 connections, p99 ${
    run.resultsMax.p99Ms.toFixed(1)
  } ms${failures(run.resultsMax)}; ${cpu(run.resultsMax)})`,
  `api_gateway_floor_cpu_ms: ${run.floor.gatewayCpuMs.toFixed(2)} (GET /modules/crtsh, answered from memory, ` +
  `closed loop, ${run.floor.ok} answers at ${run.floor.perSecond.toFixed(0)} req/s${failures(run.floor)}: the HTTP ` +
  `server, access log, metrics, rate limit, key check, routing and a small answer's encoding, what an API read ` +
  `costs the gateway before its own data)`,
  ...(run.workers === undefined ? [] : [
    `api_list_scans_max_req_per_s_workers: ${run.workers.listScansMax.perSecond.toFixed(0)} (the same on a gateway ` +
    `of ${run.workers.count} workers, MIRAGE_GATEWAY_WORKERS=${run.workers.count}: p99 ${
      run.workers.listScansMax.p99Ms.toFixed(1)
    } ms${failures(run.workers.listScansMax)}; ${
      cpu(run.workers.listScansMax)
    }, the gateway's summed over its workers)`,
    `api_results_max_req_per_s_workers: ${run.workers.resultsMax.perSecond.toFixed(0)} (likewise: p99 ${
      run.workers.resultsMax.p99Ms.toFixed(1)
    } ms${failures(run.workers.resultsMax)}; ${cpu(run.workers.resultsMax)})`
  ]),
  `api_fixed_rate: ${rate} req/s for each route above`
]
