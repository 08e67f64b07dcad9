/**
 * The inventory as results arrive: while a scan is still running (its DNS tasks held), GET /assets already lists
 * every entity its results hold so far, as `new` sightings of that scan; once the run completes, its end settles the
 * same assets (and the IPs found since) into the inventory of a completed run.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { TaskExecutor } from "@mirage/runtime/collection/TaskExecutor"
import { Deferred, Effect, Layer } from "effect"
import { get, newCaller, post } from "../../gateway/test/Gateway.js"
import type { Caller } from "../../gateway/test/Gateway.js"
import { allResults, layer, RealExecutor, startNode, World } from "./Stack.js"

interface AssetItem {
  readonly type: string
  readonly value: string
  readonly status: string
  readonly scans: ReadonlyArray<string>
}

const assetsOf = (target: string, caller: Caller) =>
  Effect.map(
    get(`/assets?target=${encodeURIComponent(target)}&limit=200`, caller),
    (answer) => (answer.body as { items: ReadonlyArray<AssetItem> }).items
  )

const keys = (items: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  items.map((item) => `${item.type}:${item.value}`).sort()

describe("live inventory", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped(
      "GET /assets shows what a running scan has found so far, before the scan ends",
      () =>
        Effect.gen(function*() {
          const world = yield* World
          const real = yield* RealExecutor
          const gate = yield* Deferred.make<void>()
          // DNS waits for the gate: until it opens, the scan runs with crt.sh's names stored and nothing resolved.
          const held = Layer.effect(
            TaskExecutor,
            Effect.map(Effect.provide(TaskExecutor, real), (executor) =>
              TaskExecutor.of({
                run: (task) =>
                  task.module_id === "dns_resolve"
                    ? Effect.zipRight(Deferred.await(gate), executor.run(task))
                    : executor.run(task)
              }))
          )
          const node = yield* startNode("live-inventory", held, { inventory: true })
          const caller = yield* newCaller("analyst")
          const created = yield* post("/scans", {
            name: "live inventory",
            target: { type: "DOMAIN", value: world.domain },
            modules: [{ id: "crtsh" }, { id: "dns_resolve" }],
            configuration: { recursion_depth: 0 }
          }, caller)
          expect(created.status, created.text).toBe(201)
          const id = (created.body as { id: string }).id
          expect((yield* post(`/scans/${id}/start`, {}, caller)).status).toBeLessThan(300)

          // Wait (bounded) until crt.sh's results (one task: depth 0) are stored and the inventory shows as many assets.
          let stored: ReadonlyArray<{ readonly data_type: string; readonly data: string }> = []
          let assets: ReadonlyArray<AssetItem> = []
          for (let i = 0; i < 100; i++) {
            stored = (yield* allResults(id, caller)).map((r) => ({ data_type: r.data_type, data: r.data }))
            assets = yield* assetsOf(world.domain, caller)
            if (stored.length > 0 && assets.length >= stored.length) break
            yield* Effect.sleep("100 millis")
          }
          const status = (yield* get(`/scans/${id}/status`, caller)).body as { status: string }
          expect(status.status).toBe("RUNNING")
          expect(stored.length).toBeGreaterThan(0)
          expect(keys(assets)).toEqual(keys(stored.map((r) => ({ type: r.data_type, value: r.data }))))
          expect(assets.every((asset) => asset.status === "new" && asset.scans.length === 1 && asset.scans[0] === id))
            .toBe(true)
          expect(assets.some((asset) => asset.type === "IP")).toBe(false)

          // The run goes on and completes: its end settles every result of the scan into the inventory.
          yield* Deferred.succeed(gate, undefined)
          let ended = ""
          for (let i = 0; i < 2000 && !["COMPLETED", "FAILED", "CANCELLED"].includes(ended); i++) {
            yield* Effect.sleep("25 millis")
            ended = ((yield* get(`/scans/${id}/status`, caller)).body as { status: string }).status
          }
          expect(ended).toBe("COMPLETED")
          const all = yield* allResults(id, caller)
          let settled: ReadonlyArray<AssetItem> = []
          for (let i = 0; i < 100; i++) {
            settled = yield* assetsOf(world.domain, caller)
            if (settled.length >= all.length) break
            yield* Effect.sleep("100 millis")
          }
          expect(keys(settled)).toEqual(keys(all.map((r) => ({ type: r.data_type, value: r.data }))))
          expect(settled.some((asset) => asset.type === "IP")).toBe(true)
          expect(settled.every((asset) => asset.status === "new" && asset.scans.join() === id)).toBe(true)
          yield* node.stop
        }),
      110_000
    )
  })
})
