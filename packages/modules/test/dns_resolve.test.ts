/** dns_resolve through its lifecycle against the fixture world's DNS server. */
import { describe, expect, it } from "@effect/vitest"
import { SourceUnavailable } from "@mirage/modules/Module"
import { dnsResolve } from "@mirage/modules/modules/dns_resolve"
import * as DnsServer from "@mirage/testkit/DnsServer"
import * as FixtureWorld from "@mirage/testkit/FixtureWorld"
import { Effect, Either } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const defaults = Either.getOrThrow(dnsResolve.decodeConfig({}))

const values = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>, type: string) =>
  findings.filter((finding) => finding.type === type).map((finding) => finding.value).sort()

describe("dns_resolve", () => {
  it.scoped("finds the A and AAAA addresses of a domain", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_resolve")
      const session = yield* dnsResolve.setup(defaults, ctx)
      const findings = yield* dnsResolve.collect(session, domainTarget(world.domain))
      expect(findings.map(({ type, value }) => ({ type, value }))).toEqual([
        { type: "IP", value: "192.0.2.10" },
        { type: "IP", value: "2001:db8::10" }
      ])
      expect(findings[0]).toMatchObject({
        confidence: 1,
        source_data: { name: "mirage-sandbox.test", record: "A" },
        metadata: { record_type: "A" }
      })
      // A, AAAA and CNAME questions, nothing else.
      expect(world.dns.queries()).toBe(3)
    }))

  it.scoped("reports a CNAME target as a domain, with the addresses it leads to", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_resolve")
      const session = yield* dnsResolve.setup(defaults, ctx)
      const findings = yield* dnsResolve.collect(session, domainTarget("CDN.mirage-sandbox.test."))
      expect(values(findings, "DOMAIN")).toEqual(["edge.mirage-sandbox.test"])
      expect(values(findings, "IP")).toEqual(["2001:db8:0:c::80", "203.0.113.80"])
    }))

  it.scoped("resolving every expected domain yields exactly the world's expected addresses", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_resolve")
      const session = yield* dnsResolve.setup(defaults, ctx)
      const all = yield* Effect.forEach(
        FixtureWorld.expected.domains,
        (domain) => dnsResolve.collect(session, domainTarget(domain)),
        { concurrency: 4 }
      )
      const ips = new Set(all.flat().filter((finding) => finding.type === "IP").map((finding) => finding.value))
      expect([...ips].sort()).toEqual([...FixtureWorld.expected.ips].sort())
    }))

  it.scoped("a name that does not exist, or has no address, has no findings", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_resolve")
      const session = yield* dnsResolve.setup(defaults, ctx)
      expect(yield* dnsResolve.collect(session, domainTarget("legacy.mirage-sandbox.test"))).toEqual([])
      expect(yield* dnsResolve.collect(session, domainTarget("nothing.mirage-sandbox.test"))).toEqual([])
      // api has A records only: AAAA answers NODATA.
      const api = yield* dnsResolve.collect(session, domainTarget("api.mirage-sandbox.test"))
      expect(values(api, "IP")).toEqual(["192.0.2.12", "192.0.2.13"])
    }))

  it.scoped("SERVFAIL is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_resolve")
      const session = yield* dnsResolve.setup(defaults, ctx)
      const error = yield* Effect.flip(dnsResolve.collect(session, domainTarget("broken.mirage-sandbox.test")))
      expect(error._tag).toBe("SourceUnavailable")
      expect(error.message).toContain("ESERVFAIL")
    }))

  it.scoped("config turns record types off", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_resolve")
      const config = Either.getOrThrow(dnsResolve.decodeConfig({ ipv6: false, cname: false }))
      const session = yield* dnsResolve.setup(config, ctx)
      const findings = yield* dnsResolve.collect(session, domainTarget("cdn.mirage-sandbox.test"))
      expect(findings.map((finding) => finding.value)).toEqual(["203.0.113.80"])
      expect(world.dns.questions().map((question) => question.type)).toEqual(["A"])
    }))

  it.scoped("a question that fails while the others answered is a warning; their findings are kept", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make({ "example.test": { A: ["192.0.2.7"] } })
      const { ctx } = yield* contextFor("dns_resolve", { dnsServers: [server.address] })
      // A resolver that answers A but fails AAAA (a broken IPv6 delegation, a timeout).
      const flaky = {
        ...ctx,
        dns: {
          ...ctx.dns,
          resolve6: (name: string) => Effect.fail(new SourceUnavailable({ reason: `DNS AAAA ${name}: ETIMEOUT` }))
        }
      }
      const session = yield* dnsResolve.open({}, flaky)
      expect(values(yield* session.collect(domainTarget("example.test")), "IP")).toEqual(["192.0.2.7"])
      expect((yield* ctx.notes.summary).warnings).toEqual([expect.stringContaining("ETIMEOUT")])
    }))

  it.scoped("open refuses a bad config and a target of the wrong type", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_resolve")
      const badConfig = yield* Effect.flip(dnsResolve.open({ ipv6: "yes" }, ctx))
      expect(badConfig._tag).toBe("ModuleConfigError")
      expect(badConfig.message).toContain("ipv6 Expected boolean")
      const session = yield* dnsResolve.open(undefined, ctx)
      const wrongType = yield* Effect.flip(session.collect({ target: { type: "IP", value: "192.0.2.10" } }))
      expect(wrongType._tag).toBe("ModuleConfigError")
      expect(wrongType.message).toContain("does not take IP targets")
    }))
})
