/**
 * The event loop of the process running a module while a 50,000-word dns_brute runs: a module
 * must never hold it, or the node's metrics, commands and scan deadlines wait behind it.
 * The DNS server is a loopback listener in a child process; the dns source's rate limit is raised
 * for the run (it would otherwise take 50 lookups/s, i.e. more than half an hour).
 */
import { Entity } from "@mirage/domain/Entity"
import { ModuleId, TaskId } from "@mirage/domain/Ids"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import type { Zone } from "@mirage/testkit/DnsServer"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { monitorEventLoopDelay, performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

export const benchDomain = "brute.mirage-bench.test"
const wordOf = (i: number) => `w${i}`

/** Every hundredth word has an address; the rest are NXDOMAIN. */
export const benchZone = (words: number): Zone => {
  const zone: Record<string, Zone[string]> = { [benchDomain]: { A: ["127.0.0.1"] } }
  for (let i = 0; i < words; i += 100) zone[`${wordOf(i)}.${benchDomain}`] = { A: ["127.0.0.2"] }
  return zone
}

/** The child DNS server, killed when the scope closes. */
const dnsServer = (words: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly child: ReturnType<typeof spawn>; readonly address: string }, Error>((resume) => {
      const entry = fileURLToPath(new URL("./DnsServerProcess.ts", import.meta.url))
      const child = spawn(process.execPath, ["--import", "tsx", entry, String(words)], {
        stdio: ["ignore", "pipe", "inherit"]
      })
      child.once("error", (error) => resume(Effect.fail(error)))
      if (child.stdout === null) return resume(Effect.fail(new Error("DNS server has no stdout")))
      createInterface({ input: child.stdout }).once("line", (line) => {
        const parsed: unknown = JSON.parse(line)
        const address = typeof parsed === "object" && parsed !== null && "address" in parsed ? parsed.address : null
        resume(
          typeof address === "string" && address.startsWith("127.")
            ? Effect.succeed({ child, address })
            : Effect.fail(new Error(`DNS server said ${line}`))
        )
      })
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGTERM"))
  )

export interface DnsBruteRun {
  readonly words: number
  readonly findings: number
  readonly seconds: number
  /** What a request arriving at a random moment of the run waits for the loop (time-weighted p99). */
  readonly lagP99Ms: number
  /** The longest the loop was held. */
  readonly lagMaxMs: number
  /** `monitorEventLoopDelay`'s own p99 over the run: one figure per timer tick, so one long block barely moves it. */
  readonly histogramP99Ms: number
  /** The time-weighted p99 over an idle second before the run: what the machine's load alone costs. */
  readonly idleLagP99Ms: number
}

const resolutionMs = 10

/**
 * The p99 of the wait a request arriving at a uniformly random moment would see: a tick late by d ms
 * means the loop was held for d ms, during which arrivals waited from d down to 0. The per-tick p99 of
 * `monitorEventLoopDelay` counts a 50 s block once among thousands of ticks and so misses it.
 */
export const timeWeightedP99 = (lateness: ReadonlyArray<number>, totalMs: number): number => {
  // Time with a wait above w: the sum of (d - w) over ticks later than w; find w where that is 1%.
  const above = (w: number) => lateness.reduce((sum, d) => sum + Math.max(0, d - w), 0)
  let low = 0
  let high = Math.max(0, ...lateness)
  for (let step = 0; step < 50; step++) {
    const mid = (low + high) / 2
    if (above(mid) > totalMs / 100) low = mid
    else high = mid
  }
  return high
}

/** The event loop over `effect`: a 10 ms heartbeat's lateness per tick, and `monitorEventLoopDelay` alongside. */
const lagOver = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const histogram = monitorEventLoopDelay({ resolution: resolutionMs })
      histogram.enable()
      const lateness: Array<number> = []
      const started = performance.now()
      let last = started
      const heartbeat = setInterval(() => {
        const now = performance.now()
        lateness.push(Math.max(0, now - last - resolutionMs))
        last = now
      }, resolutionMs)
      return { histogram, heartbeat, lateness, started }
    }),
    (watch) =>
      Effect.map(effect, (value) => {
        const totalMs = performance.now() - watch.started
        return {
          value,
          p99Ms: timeWeightedP99(watch.lateness, totalMs),
          maxMs: Math.max(0, ...watch.lateness),
          histogramP99Ms: watch.histogram.percentile(99) / 1e6
        }
      }),
    (watch) =>
      Effect.sync(() => {
        clearInterval(watch.heartbeat)
        watch.histogram.disable()
      })
  )

/** One dns_brute of `words` words through a node's executor, its event loop watched throughout. */
export const dnsBrute = (words: number) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { address } = yield* dnsServer(words)
      const idle = yield* lagOver(Effect.sleep("1 second"))
      const started = performance.now()
      const run = yield* lagOver(
        Effect.flatMap(TaskExecutor, (executor) =>
          executor.run({
            task_id: TaskId.make(randomUUID()),
            owner: "bench",
            scan_id: null,
            module_id: ModuleId.make("dns_brute"),
            entity: Entity.make({ type: "DOMAIN", value: benchDomain }),
            config: {
              wordlist: Array.from({ length: words }, (_, i) => wordOf(i)),
              use_builtin_wordlist: false
            },
            priority: "MEDIUM",
            timeout_ms: 600_000
          })).pipe(
            Effect.provide(ModuleExecutor.layerMemory({
              endpoints: { dnsServers: [address] },
              // Raised for the bench only: at the default 50 lookups/s the run would take over half an hour.
              settings: { sources: { dns: { rate_limit: { requests: 1_000_000, perSeconds: 1, burst: 1_000_000 } } } }
            }))
          )
      )
      const seconds = (performance.now() - started) / 1000
      return {
        words,
        findings: run.value.length,
        seconds,
        lagP99Ms: run.p99Ms,
        lagMaxMs: run.maxMs,
        histogramP99Ms: run.histogramP99Ms,
        idleLagP99Ms: idle.p99Ms
      } satisfies DnsBruteRun
    })
  )
