/**
 * The sandbox never leaves loopback: a `full-domain-footprint` scan on a node whose executor is built from the
 * sandbox environment exactly as `npm start` passes it (the real executor layer, its scope guard, the world's
 * endpoints, DNS server and per-module loopback maps), while every outgoing TCP connect, UDP send and DNS query of
 * this process is recorded. The port, TLS, web and zone-transfer modules still find the world's hosts through
 * their loopback stand-ins, and not one connection goes anywhere but 127.0.0.0/8 or ::1.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as ModuleExecutor from "@mirage/runtime/collection/ModuleExecutor"
import { isLoopback } from "@mirage/runtime/collection/ScopeGuard"
import type { MongoDatabase } from "@mirage/runtime/platform/MongoDatabase"
import type { RedisClient } from "@mirage/runtime/platform/RedisClient"
import * as Egress from "@mirage/testkit/Egress"
import { ConfigProvider, Effect, Layer } from "effect"
import { newCaller, post } from "../../gateway/test/Gateway.js"
import { envFor } from "../dev/Sandbox.js"
import { allResults, layer, startAndWait, startNode, World } from "./Stack.js"

describe("sandbox confinement", () => {
  withLayer(layer, { timeout: 180_000, excludeTestServices: true })((it) => {
    it.scoped(
      "a full-domain-footprint scan in the sandbox connects to loopback only, and still finds the world",
      () =>
        Effect.gen(function*() {
          const world = yield* World
          const stores = yield* Effect.context<RedisClient | MongoDatabase>()
          const env = envFor(world)
          const executor = ModuleExecutor.layer.pipe(
            Layer.provide(Layer.succeedContext(stores)),
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))),
            Layer.orDie
          )
          const recorder = yield* Egress.record
          yield* startNode("confined-a", executor)
          const caller = yield* newCaller("analyst")
          const created = yield* post("/scans", {
            name: "sandbox footprint",
            target: { type: "DOMAIN", value: world.domain },
            template_id: "full-domain-footprint",
            configuration: { max_results: 100_000, max_duration: 170 }
          }, caller)
          const { id, status } = yield* startAndWait(created, caller)
          expect(status).toBe("COMPLETED")

          const connections = recorder.connections()
          const outside = connections.filter((c) => c.protocol === "system-dns" || !isLoopback(c.address))
          expect(outside).toEqual([])

          // The modules that could leak did run, through their loopback stand-ins.
          const results = yield* allResults(id, caller)
          const by = (module: string) => results.filter((r) => r.module_id === module).map((r) => r.data)
          expect(by("port_scan_tcp").sort()).toEqual([...world.expected.ports].sort())
          expect(by("tls_certificate")).toContain("portal.mirage-sandbox.test")
          expect(by("http_probe").length).toBeGreaterThan(0)
          expect(by("dns_zone_transfer")).toContain("intranet.mirage-sandbox.test")
          expect(world.services.ssh.connections()).toBeGreaterThan(0)
          expect(world.dns.transfers().some((t) => t.allowed)).toBe(true)
          // And the recorder saw them: connects to the world's listeners and queries to its DNS server.
          const ports = new Set(connections.filter((c) => c.protocol === "tcp").map((c) => c.port))
          expect(ports.has(world.services.ssh.port)).toBe(true)
          expect(ports.has(world.services.tls.port)).toBe(true)
          expect(connections.some((c) => c.protocol === "dns")).toBe(true)
        }),
      170_000
    )
  })
})
