/** dns_zone_transfer against the fixture DNS server over TCP: transfers, refusals, unreachable servers. */
import { describe, expect, it } from "@effect/vitest"
import type { AddressGuard } from "@mirage/modules/ModuleContext"
import { ModuleConfigError } from "@mirage/modules/ModuleError"
import { dnsZoneTransfer, transferZone } from "@mirage/modules/modules/dns_zone_transfer"
import * as DnsServer from "@mirage/testkit/DnsServer"
import * as TcpListeners from "@mirage/testkit/TcpListeners"
import { Effect, Fiber, TestClock } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const pairs = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  findings.map(({ type, value }) => `${type} ${value}`).sort()

/** A zone whose NS resolves to loopback: the production path, with only the port configured. */
const ownZone: DnsServer.Zone = {
  "corp.example.test": {
    NS: ["ns.corp.example.test"],
    SOA: {
      mname: "ns.corp.example.test",
      rname: "admin.corp.example.test",
      serial: 7,
      refresh: 60,
      retry: 60,
      expire: 600,
      minimum: 60
    }
  },
  "ns.corp.example.test": { A: ["127.0.0.1"] },
  "db.corp.example.test": { A: ["10.0.0.5"] }
}

describe("dns_zone_transfer", () => {
  it.scoped("transfers the sandbox zone: its names and addresses", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_zone_transfer")
      const session = yield* dnsZoneTransfer.open(world.moduleConfig["dns_zone_transfer"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(pairs(findings)).toEqual([
        "DOMAIN api.mirage-sandbox.test",
        "DOMAIN cdn.mirage-sandbox.test",
        "DOMAIN dev.mirage-sandbox.test",
        "DOMAIN edge.mirage-sandbox.test",
        "DOMAIN intranet.mirage-sandbox.test",
        "DOMAIN mail.mirage-sandbox.test",
        "DOMAIN mirage-promo.sandbox-pages.test",
        "DOMAIN ns1.mirage-sandbox.test",
        "DOMAIN promo.mirage-sandbox.test",
        "DOMAIN vpn.mirage-sandbox.test",
        "DOMAIN www.mirage-sandbox.test",
        "IP 192.0.2.10",
        "IP 192.0.2.11",
        "IP 192.0.2.12",
        "IP 192.0.2.13",
        "IP 192.0.2.53",
        "IP 198.51.100.25",
        "IP 198.51.100.30",
        "IP 198.51.100.99",
        "IP 2001:db8:0:c::80",
        "IP 2001:db8::10",
        "IP 2001:db8::11",
        "IP 203.0.113.5",
        "IP 203.0.113.80"
      ])
      expect(findings.find((finding) => finding.value === "intranet.mirage-sandbox.test")?.metadata).toEqual({
        record_type: "A",
        zone: "mirage-sandbox.test",
        nameserver: world.dns.address
      })
      expect(world.dns.transfers()).toEqual([{ zone: "mirage-sandbox.test", allowed: true }])
    }))

  it.scoped("asks the domain's own name servers on the configured port", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(ownZone, { allowTransfer: ["corp.example.test"] })
      const { ctx } = yield* contextFor("dns_zone_transfer", { dnsServers: [server.address] })
      const session = yield* dnsZoneTransfer.open({ port: server.port }, ctx)
      expect(pairs(yield* session.collect(domainTarget("corp.example.test")))).toEqual([
        "DOMAIN db.corp.example.test",
        "DOMAIN ns.corp.example.test",
        "IP 10.0.0.5",
        "IP 127.0.0.1"
      ])
    }))

  it.scoped("a name server whose address lookup fails is a warning; the others are asked", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make({
        ...ownZone,
        "corp.example.test": { ...ownZone["corp.example.test"], NS: ["broken.example.test", "ns.corp.example.test"] },
        "broken.example.test": { rcode: "SERVFAIL" }
      }, { allowTransfer: ["corp.example.test"] })
      const { ctx } = yield* contextFor("dns_zone_transfer", { dnsServers: [server.address] })
      const session = yield* dnsZoneTransfer.open({ port: server.port }, ctx)
      expect(pairs(yield* session.collect(domainTarget("corp.example.test")))).toContain("DOMAIN db.corp.example.test")
      expect((yield* ctx.notes.summary).warnings).toEqual([
        expect.stringContaining("broken.example.test"),
        expect.stringContaining("broken.example.test")
      ])
    }))

  it.scoped("a name server the scope guard refuses is never connected to", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(ownZone, { allowTransfer: ["corp.example.test"] })
      const { ctx, logs } = yield* contextFor("dns_zone_transfer", { dnsServers: [server.address] })
      const checked: Array<string> = []
      const guard: AddressGuard = {
        check: (module, host) =>
          Effect.suspend(() => {
            checked.push(host)
            return Effect.fail(new ModuleConfigError({ module, reason: `out of scope: ${host}` }))
          }),
        lookup: (_hostname, _options, callback) => callback(new Error("refused"), [], 0)
      }
      const session = yield* dnsZoneTransfer.open({ port: server.port }, { ...ctx, guard })
      expect(yield* session.collect(domainTarget("corp.example.test"))).toEqual([])
      expect(checked).toEqual(["127.0.0.1"])
      expect(server.transfers()).toEqual([])
      expect(logs.map((entry) => entry.message)).toContain("dns_zone_transfer: name server out of scope")
    }))

  it.scoped("a refused transfer is no findings, not an error", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(ownZone)
      const { ctx, logs } = yield* contextFor("dns_zone_transfer", { dnsServers: [server.address] })
      const session = yield* dnsZoneTransfer.open({ port: server.port }, ctx)
      expect(yield* session.collect(domainTarget("corp.example.test"))).toEqual([])
      expect(server.transfers()).toEqual([{ zone: "corp.example.test", allowed: false }])
      expect(logs.find((log) => log.message === "dns_zone_transfer attempt")?.fields).toMatchObject({
        result: "Refused"
      })
    }))

  it.scoped("a name that is not a zone apex is not transferred", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_zone_transfer")
      const session = yield* dnsZoneTransfer.open(world.moduleConfig["dns_zone_transfer"], ctx)
      expect(yield* session.collect(domainTarget("www.mirage-sandbox.test"))).toEqual([])
      expect(world.dns.transfers()).toEqual([])
    }))

  it.scoped("no reachable name server is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_zone_transfer")
      const closed = yield* TcpListeners.closedPort
      const session = yield* dnsZoneTransfer.open({ nameservers: [`127.0.0.1:${closed}`] }, ctx)
      const error = yield* Effect.flip(session.collect(domainTarget(world.domain)))
      expect(error._tag).toBe("SourceUnavailable")
      expect(error.message).toContain("ECONNREFUSED")
    }))

  it.scoped("a server that never answers times out on the clock", () =>
    Effect.gen(function*() {
      const listener = yield* TcpListeners.silent
      const fiber = yield* Effect.fork(
        transferZone({ host: "127.0.0.1", port: listener.port }, "example.test", 1, 5_000)
      )
      yield* Effect.yieldNow()
      yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(fiber)).toEqual({ _tag: "Unreachable", reason: `127.0.0.1:${listener.port} timed out` })
    }))

  it.scoped("validates its config", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_zone_transfer")
      const bad = yield* Effect.flip(dnsZoneTransfer.open({ nameservers: ["ns1.example.test"] }, ctx))
      expect(bad.message).toContain("must be an IP or IP:port")
      expect((yield* Effect.flip(dnsZoneTransfer.open({ port: 0 }, ctx))).message).toContain("port")
    }))
})
