/**
 * port_scan_tcp against TCP listeners on loopback. Tests can only scan 127.0.0.1: the sandbox's
 * documentation addresses reach its listeners through `address_map`.
 */
import { describe, expect, it } from "@effect/vitest"
import { portScanTcp, topPorts } from "@mirage/modules/modules/port_scan_tcp"
import { Effect, Either } from "effect"
import { worldWithContext } from "./support.js"

const ip = (value: string) => ({ target: { type: "IP" as const, value } })

describe("port_scan_tcp", () => {
  it.scoped("finds the open ports of the sandbox's service address", () =>
    Effect.gen(function*() {
      const { ctx, logs, world } = yield* worldWithContext("port_scan_tcp")
      const session = yield* portScanTcp.open(world.moduleConfig["port_scan_tcp"], ctx)
      const findings = yield* session.collect(ip("192.0.2.10"))
      expect(findings.map((finding) => finding.value).sort()).toEqual([...world.expected.ports].sort())
      expect(findings[0]).toMatchObject({
        type: "OPEN_PORT",
        confidence: 1,
        source_data: { ip: "192.0.2.10", connected_to: "127.0.0.1" },
        metadata: { protocol: "tcp", state: "open" }
      })
      expect(world.services.ssh.connections()).toBe(1)
      expect(logs).toContainEqual({ message: "port_scan_tcp scanned", fields: { ip: "192.0.2.10", ports: 4, open: 3 } })
    }))

  it.scoped("scans an address itself when it is not mapped, one connection at a time if asked", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("port_scan_tcp")
      const { ssh, smtp, closedPort } = world.services
      const session = yield* portScanTcp.open(
        { ports: [ssh.port, closedPort, smtp.port, ssh.port], concurrency: 1 },
        ctx
      )
      const findings = yield* session.collect(ip("127.0.0.1"))
      expect(findings.map((finding) => finding.value)).toEqual([`127.0.0.1:${ssh.port}`, `127.0.0.1:${smtp.port}`])
      expect(findings[0]?.source_data).toEqual({ ip: "127.0.0.1", port: ssh.port })
      // Each port once, however often it is listed.
      expect(ssh.connections()).toBe(1)
    }))

  it.scoped("with only_mapped, an address outside the map is not scanned", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("port_scan_tcp")
      const session = yield* portScanTcp.open(world.moduleConfig["port_scan_tcp"], ctx)
      expect(yield* session.collect(ip("192.0.2.11"))).toEqual([])
      expect(yield* session.collect(ip("127.0.0.1"))).toEqual([])
      expect(world.services.ssh.connections()).toBe(0)
    }))

  it.scoped("IPv6 targets are reported bracketed", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("port_scan_tcp")
      const session = yield* portScanTcp.open({
        ports: [world.services.ssh.port],
        address_map: { "2001:db8::10": "127.0.0.1" }
      }, ctx)
      const findings = yield* session.collect(ip("2001:DB8:0::10"))
      expect(findings.map((finding) => finding.value)).toEqual([`[2001:db8::10]:${world.services.ssh.port}`])
    }))

  it.scoped("defaults to the top-20 list; validates its config", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("port_scan_tcp")
      expect(Either.getOrThrow(portScanTcp.decodeConfig({})).ports).toEqual(topPorts)
      expect(topPorts).toHaveLength(20)
      expect((yield* Effect.flip(portScanTcp.open({ ports: [] }, ctx))).message).toContain("ports")
      expect((yield* Effect.flip(portScanTcp.open({ ports: [70000] }, ctx))).message).toContain("between 1 and 65535")
      expect((yield* Effect.flip(portScanTcp.open({ timeout_ms: 1 }, ctx))).message).toContain("timeout_ms")
      const session = yield* portScanTcp.open({}, ctx)
      const wrong = yield* Effect.flip(session.collect({ target: { type: "DOMAIN", value: "example.test" } }))
      expect(wrong._tag).toBe("ModuleConfigError")
    }))
})
