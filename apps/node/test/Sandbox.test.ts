/**
 * A sandbox scan with every module that needs no key, each with the fixture world's sandbox config: it must find
 * the world's whole expected footprint (names, emails, addresses, URLs, phones, technologies, open ports) and
 * nothing the world marks absent.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { modules } from "@mirage/modules/Registry"
import { Effect } from "effect"
import { newCaller, post } from "../../gateway/test/Gateway.js"
import { allResults, layer, startAndWait, startNode, World } from "./Stack.js"

describe("sandbox scan", () => {
  withLayer(layer, { timeout: 180_000, excludeTestServices: true })((it) => {
    it.scoped("every keyless module with the sandbox config finds the fixture world's whole expected footprint", () =>
      Effect.gen(function*() {
        const world = yield* World
        yield* startNode("sandbox-a")
        const caller = yield* newCaller("analyst")
        // Aggressive guesses at third parties' hosts (storage buckets) have no stand-in in the world: left out.
        const keyless = modules.filter((module) =>
          !module.source.requiresKey &&
          (!module.flags.includes("aggressive") || world.moduleConfig[module.id] !== undefined)
        )
        const created = yield* post("/scans", {
          name: "sandbox, every keyless module",
          target: { type: "DOMAIN", value: world.domain },
          modules: keyless.map((module) => ({ id: module.id, config: world.moduleConfig[module.id] ?? {} })),
          configuration: { recursion_depth: 3, max_results: 100_000, max_duration: 170 }
        }, caller)
        const { id, status } = yield* startAndWait(created, caller)
        expect(status).toBe("COMPLETED")
        const values = new Set((yield* allResults(id, caller)).map((r) => r.data.toLowerCase()))
        const { expected } = world
        const wanted = [
          ...expected.domains.filter((d) => d !== world.domain),
          ...expected.emails,
          ...expected.ips,
          ...expected.urls,
          ...expected.phones,
          ...expected.technologies,
          ...expected.ports
        ]
        const missing = wanted.filter((value) => !values.has(value.toLowerCase()))
        expect(missing).toEqual([])
        const leaked = expected.absent.filter((value) => values.has(value.toLowerCase()))
        expect(leaked).toEqual([])
      }))
  })
})
