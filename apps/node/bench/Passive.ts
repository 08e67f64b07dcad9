/**
 * A wide passive scan: every passive module whose source the fixture world emulates, on the world's domain at
 * recursion depth 1, each source held to the same rate. The rate limits are the scan's floor: a source that makes n
 * requests at r per second (burst b) needs (n − b) / r seconds, and the sources run in parallel, so no scan can end
 * before the slowest source's figure. How close the scan's wall time comes to that bound says whether the scheduler
 * keeps every source saturated; the request log says whether any source was asked faster than its rate.
 */
import { Entity } from "@mirage/domain/Entity"
import type { ScanId } from "@mirage/domain/Ids"
import type { PlannedModule } from "@mirage/domain/ScanEvent"
import { modules } from "@mirage/modules/Registry"
import * as CollectionLogMemory from "@mirage/runtime/collection/CollectionLog/Memory"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import { FixtureWorld, IntelWorld } from "@mirage/testkit"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { performance } from "node:perf_hooks"
import { countStatus, createScans, defaults, startNode, startScans } from "./Harness.js"

/** Requests per second each source is held to (burst 1): slow enough that the limits, not the work, set the pace. */
const rate = 2

export const passiveScan = Effect.gen(function*() {
  const world = yield* FixtureWorld.make
  const chosen = modules.filter((module) =>
    module.flags.includes("passive") && module.source.id !== "dnsServers" && module.source.id in world.moduleEndpoints
  )
  const sources = Array.from(new Set(chosen.map((module) => module.source.id)))
  const log = CollectionLogMemory.makeStore()
  const executor = ModuleExecutor.layerMemory({
    endpoints: world.moduleEndpoints,
    keys: Object.fromEntries(Object.entries(IntelWorld.keys).map(([source, key]) => [source, [key]])),
    log,
    settings: {
      cacheTtlMs: 0,
      sources: Object.fromEntries(
        sources.map((source) => [source, { rate_limit: { requests: rate, perSeconds: 1, burst: 1 } }])
      ),
      moduleOverrides: world.moduleConfig
    }
  })
  const node = yield* startNode(defaults("bench-passive"), executor)
  yield* Effect.sleep("2 seconds")
  const plan: ReadonlyArray<PlannedModule> = chosen.map((module) => ({
    id: module.id,
    input_types: module.input_types,
    output_types: module.output_types,
    config: {}
  }))
  const id = randomUUID() as ScanId
  yield* createScans([id], () => Entity.make({ type: "DOMAIN", value: world.domain }), plan, { recursion_depth: 1 })
  const started = performance.now()
  yield* startScans([id])
  const ended = Effect.map(
    Effect.all([countStatus("COMPLETED"), countStatus("FAILED"), countStatus("CANCELLED")]),
    (counts) => counts.some((n) => n > 0)
  )
  while (!(yield* ended)) yield* Effect.sleep("50 millis")
  const wallS = (performance.now() - started) / 1000
  yield* node.kill

  const requests = log.entries.filter((entry) => entry.kind === "request")
  const perSource = sources.map((source) => {
    const times = requests.filter((entry) => entry.source === source).map((entry) => entry.at).sort((a, b) => a - b)
    // The most requests of the source in any one second: at most the rate plus its burst.
    let busiest = 0
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++
      busiest = Math.max(busiest, i - j + 1)
    }
    return { source, requests: times.length, floorS: Math.max(0, times.length - 1) / rate, busiest }
  })
  const slowest = perSource.reduce((a, b) => (b.floorS > a.floorS ? b : a))
  return {
    wallS,
    boundS: slowest.floorS,
    slowest: slowest.source,
    sources: perSource.filter((s) => s.requests > 0).length,
    modules: chosen.length,
    requests: requests.length,
    overRate: perSource.filter((s) => s.busiest > rate + 1).map((s) => `${s.source} ${s.busiest}/s`)
  }
})
