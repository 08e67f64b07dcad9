/**
 * The fixture world's promise: a breadth-first scan of the sandbox domain with every network
 * module, configured by `world.moduleConfig`, finds exactly its expected sets. The TLS, port and
 * web modules reach the sandbox's hosts only through that config (loopback stand-ins for its
 * documentation-range addresses and RFC 2606 names); without it they would find nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import type { EntityType } from "@mirage/domain/Entity"
import { entityKey } from "@mirage/domain/Entity"
import { networkModules } from "@mirage/modules/catalog/Network"
import type { Module, ModuleSession } from "@mirage/modules/Module"
import * as FixtureWorld from "@mirage/testkit/FixtureWorld"
import * as TlsServer from "@mirage/testkit/TlsServer"
import { Effect } from "effect"
import { X509Certificate } from "node:crypto"
import { contextFor } from "./support.js"

interface Found {
  readonly type: EntityType
  readonly value: string
  readonly depth: number
}

/** Runs every module on every entity found at a depth below `processDepth`, as the scan runtime will. */
const scan = (
  sessions: ReadonlyArray<{ readonly inputs: ReadonlyArray<EntityType>; readonly session: ModuleSession }>,
  target: string,
  processDepth: number
) =>
  Effect.gen(function*() {
    const root: Found = { type: "DOMAIN", value: target, depth: 0 }
    const found = new Map<string, Found>([[entityKey(root), root]])
    for (let depth = 0; depth < processDepth; depth++) {
      const frontier = Array.from(found.values()).filter((entity) => entity.depth === depth)
      for (const entity of frontier) {
        for (const { inputs, session } of sessions) {
          if (!inputs.includes(entity.type)) continue
          const findings = yield* session.collect({ target: entity })
          for (const finding of findings) {
            const key = entityKey(finding)
            if (!found.has(key)) found.set(key, { type: finding.type, value: finding.value, depth: depth + 1 })
          }
        }
      }
    }
    return Array.from(found.values())
  })

const valuesOf = (found: ReadonlyArray<Found>, type: EntityType) =>
  found.filter((entity) => entity.type === type).map((entity) => entity.value).sort()

const openAll = (world: FixtureWorld.FixtureWorld, modules: ReadonlyArray<Module>) =>
  Effect.forEach(modules, (module) =>
    Effect.gen(function*() {
      const { ctx } = yield* contextFor(module.id, world.moduleEndpoints)
      return { inputs: module.input_types, session: yield* module.open(world.moduleConfig[module.id] ?? {}, ctx) }
    }))

describe("the sandbox world", () => {
  it.scoped("a depth-2 scan with every network module finds exactly the expected sets", () =>
    Effect.gen(function*() {
      const world = yield* FixtureWorld.make
      const sessions = yield* openAll(world, networkModules)
      const found = yield* scan(sessions, world.domain, 2)
      expect(valuesOf(found, "DOMAIN")).toEqual([...world.expected.domains].sort())
      expect(valuesOf(found, "EMAIL")).toEqual([...world.expected.emails].sort())
      expect(valuesOf(found, "IP")).toEqual([...world.expected.ips].sort())
      expect(valuesOf(found, "URL")).toEqual([...world.expected.urls].sort())
      expect(valuesOf(found, "PHONE")).toEqual([...world.expected.phones].sort())
      expect(valuesOf(found, "TECHNOLOGY")).toEqual([...world.expected.technologies].sort())
      expect(valuesOf(found, "OPEN_PORT")).toEqual([...world.expected.ports].sort())
      expect(valuesOf(found, "ORGANIZATION")).toEqual([...world.expected.organizations].sort())
      expect(valuesOf(found, "USERNAME")).toEqual([...world.expected.usernames].sort())
      // The certificate the sandbox's TLS server presents, as tls_certificate reads it.
      const served = new X509Certificate(TlsServer.certificatePem()).fingerprint256.replace(/:/g, "").toLowerCase()
      expect(valuesOf(found, "CERTIFICATE")).toEqual([served])
      const types = new Set(found.map((entity) => entity.type))
      expect([...types].sort()).toEqual([
        "CERTIFICATE",
        "DOMAIN",
        "EMAIL",
        "IP",
        "OPEN_PORT",
        "ORGANIZATION",
        "PHONE",
        "TECHNOLOGY",
        "URL",
        "USERNAME"
      ])
      const values = found.map((entity) => entity.value)
      for (const absent of world.expected.absent) expect(values).not.toContain(absent)

      // Processing the depth-2 entities as well adds nothing: the sets do not hinge on the depth convention.
      const deeper = yield* scan(sessions, world.domain, 3)
      expect(deeper.map((entity) => entity.value).sort()).toEqual(values.sort())
    }))

  it.scoped("dns_resolve and crtsh alone find the names of the certificates and DNS, and their addresses", () =>
    Effect.gen(function*() {
      const world = yield* FixtureWorld.make
      const passive = networkModules.filter((module) => module.id === "dns_resolve" || module.id === "crtsh")
      const found = yield* scan(yield* openAll(world, passive), world.domain, 2)
      expect(valuesOf(found, "DOMAIN")).toEqual([...world.expected.certificateNames, "edge.mirage-sandbox.test"].sort())
      expect(valuesOf(found, "EMAIL")).toEqual([...world.expected.certificateEmails])
      const ips = valuesOf(found, "IP")
      expect(ips).not.toContain("192.0.2.53")
      expect(ips).not.toContain("198.51.100.99")
    }))

  it.scoped("without the sandbox's module config the loopback-bound modules find nothing and touch nothing", () =>
    Effect.gen(function*() {
      const world = yield* FixtureWorld.make
      const bound = networkModules.filter((module) => ["tls_certificate", "port_scan_tcp"].includes(module.id))
      const sessions = yield* Effect.forEach(bound, (module) =>
        Effect.gen(function*() {
          const { ctx } = yield* contextFor(module.id, world.moduleEndpoints)
          // Only the mapping is kept: nothing outside it may be scanned.
          const config = { ...world.moduleConfig[module.id], address_map: {} }
          return { inputs: module.input_types, session: yield* module.open(config, ctx) }
        }))
      const found = yield* scan(sessions, world.domain, 3)
      expect(found).toEqual([{ type: "DOMAIN", value: world.domain, depth: 0 }])
      expect(world.services.ssh.connections()).toBe(0)
      expect(world.services.tls.servernames()).toEqual([])
    }))
})
