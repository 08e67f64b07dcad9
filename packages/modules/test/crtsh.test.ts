/** crtsh through its lifecycle against the fixture world's crt.sh: parsing, scoping and the source's failures. */
import { describe, expect, it } from "@effect/vitest"
import { crtsh } from "@mirage/modules/modules/crtsh"
import * as FixtureWorld from "@mirage/testkit/FixtureWorld"
import { Effect, Either, TestClock } from "effect"
import { collectAgainst, contextFor, domainTarget, worldWithContext } from "./support.js"

const defaults = Either.getOrThrow(crtsh.decodeConfig({}))

const values = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>, type: string) =>
  findings.filter((finding) => finding.type === type).map((finding) => finding.value).sort()

const collectOnce = (target: string, config: unknown = {}) =>
  Effect.gen(function*() {
    const { ctx, world } = yield* worldWithContext("crtsh")
    const session = yield* crtsh.open(config, ctx)
    return { world, result: yield* Effect.either(session.collect(domainTarget(target))) }
  })

describe("crtsh", () => {
  it.scoped("finds the names under the domain in certificates, and their emails", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      const session = yield* crtsh.setup(defaults, ctx)
      const findings = yield* crtsh.collect(session, domainTarget(world.domain))
      expect(values(findings, "DOMAIN")).toEqual([...FixtureWorld.expected.certificateNames].sort())
      expect(values(findings, "EMAIL")).toEqual([...FixtureWorld.expected.certificateEmails])
      const reported = findings.map((finding) => finding.value)
      for (const absent of FixtureWorld.expected.absent) expect(reported).not.toContain(absent)
      // The query as a browser sends it: `%` encoded as %25.
      expect(world.crtsh.requestLog()).toEqual(["/?q=%25.mirage-sandbox.test&output=json"])
    }))

  it.scoped("strips wildcards, lowercases and reports each name once with all its certificates", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      const session = yield* crtsh.setup(defaults, ctx)
      const findings = yield* crtsh.collect(session, domainTarget(world.domain))
      expect(findings.some((finding) => finding.value.includes("*"))).toBe(false)
      const byValue = new Map(findings.map((finding) => [finding.value, finding]))
      expect(findings.length).toBe(byValue.size)
      // The apex is named plainly by one certificate and as `*.` by another.
      expect(byValue.get("mirage-sandbox.test")?.metadata).toMatchObject({ wildcard: true, certificate_count: 2 })
      // www appears as "www." and as "WWW.Mirage-Sandbox.test" in two certificates.
      const www = byValue.get("www.mirage-sandbox.test")
      expect(www?.metadata).toMatchObject({ wildcard: false, certificate_count: 2 })
      expect(www?.source_data["certificates"]).toEqual([
        expect.objectContaining({ id: 16102938401, common_name: "mirage-sandbox.test" }),
        expect.objectContaining({ id: 16102941777, common_name: "dev.mirage-sandbox.test" })
      ])
      expect(www?.confidence).toBe(0.8)
    }))

  it.scoped("a subdomain target keeps only the names under it", () =>
    Effect.gen(function*() {
      const { result, world } = yield* collectOnce("api.mirage-sandbox.test")
      const findings = Either.getOrThrow(result)
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([["DOMAIN", "api.mirage-sandbox.test"]])
      expect(world.crtsh.requestLog()).toEqual(["/?q=%25.api.mirage-sandbox.test&output=json"])
    }))

  it.scoped("an empty answer is no findings", () =>
    Effect.gen(function*() {
      const { result, world } = yield* collectOnce("unknown-elsewhere.test")
      expect(result).toEqual(Either.right([]))
      expect(world.crtsh.requests()).toBe(1)
    }))

  it.scoped("config: exclude expired certificates, leave out emails", () =>
    Effect.gen(function*() {
      const { result, world } = yield* collectOnce(FixtureWorld.domain, { exclude_expired: true, emails: false })
      const findings = Either.getOrThrow(result)
      expect(values(findings, "DOMAIN")).not.toContain("legacy.mirage-sandbox.test")
      expect(values(findings, "DOMAIN")).toContain("www.mirage-sandbox.test")
      expect(values(findings, "EMAIL")).toEqual([])
      expect(world.crtsh.requestLog()).toEqual(["/?q=%25.mirage-sandbox.test&output=json&exclude=expired"])
    }))

  it.scoped("503 is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      yield* world.crtsh.failNext(1, { status: 503, body: "<html>Service Unavailable</html>" })
      const session = yield* crtsh.open({}, ctx)
      const error = yield* Effect.flip(session.collect(domainTarget(world.domain)))
      expect(error).toMatchObject({ _tag: "SourceUnavailable", status: 503 })
      // The failure was served once: the next call succeeds.
      expect((yield* session.collect(domainTarget(world.domain))).length).toBeGreaterThan(0)
    }))

  it.scoped("502 is SourceUnavailable too", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      yield* world.crtsh.failNext(1, { status: 502 })
      const session = yield* crtsh.open({}, ctx)
      expect(yield* Effect.flip(session.collect(domainTarget(world.domain)))).toMatchObject({
        _tag: "SourceUnavailable",
        status: 502
      })
    }))

  it.scoped("429 with Retry-After in seconds is RateLimited with retryAfterMs", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      yield* world.crtsh.failNext(1, { status: 429, retryAfter: "120" })
      const session = yield* crtsh.open({}, ctx)
      const error = yield* Effect.flip(session.collect(domainTarget(world.domain)))
      expect(error._tag).toBe("RateLimited")
      expect(error._tag === "RateLimited" && error.retryAfterMs).toBe(120_000)
    }))

  it.scoped("429 with Retry-After as an HTTP date is measured from the clock", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      yield* TestClock.setTime(Date.parse("2025-06-01T12:00:00Z"))
      yield* world.crtsh.failNext(1, { status: 429, retryAfter: "Sun, 01 Jun 2025 12:00:45 GMT" })
      const session = yield* crtsh.open({}, ctx)
      const error = yield* Effect.flip(session.collect(domainTarget(world.domain)))
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMs: 45_000 })
    }))

  it.scoped("malformed JSON, a wrong shape or an HTML page is BadResponse", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      const session = yield* crtsh.open({}, ctx)
      yield* world.crtsh.failNext(1, {
        status: 200,
        body: "[{\"id\": 1, \"name_value\": ",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(domainTarget(world.domain)))).toMatchObject({ _tag: "BadResponse" })
      yield* world.crtsh.failNext(1, { status: 200, body: "[{\"id\": 7}]", contentType: "application/json" })
      const shape = yield* Effect.flip(session.collect(domainTarget(world.domain)))
      expect(shape._tag).toBe("BadResponse")
      expect(shape.message).toContain("name_value")
      yield* world.crtsh.failNext(1, { status: 200, body: "{\"id\": 7}", contentType: "application/json" })
      expect(yield* Effect.flip(session.collect(domainTarget(world.domain)))).toMatchObject({ _tag: "BadResponse" })
      yield* world.crtsh.failNext(1, { status: 200, body: "<html>busy</html>", contentType: "text/html" })
      expect(yield* Effect.flip(session.collect(domainTarget(world.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("403 is AuthFailed", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh")
      yield* world.crtsh.failNext(1, { status: 403 })
      const session = yield* crtsh.open({}, ctx)
      expect(yield* Effect.flip(session.collect(domainTarget(world.domain)))).toMatchObject({
        _tag: "AuthFailed",
        status: 403
      })
    }))

  it.scoped("a refused connection is SourceUnavailable", () =>
    Effect.gen(function*() {
      // A world that has been shut down: its port no longer accepts connections.
      const endpoints = yield* Effect.scoped(Effect.map(FixtureWorld.make, (world) => world.moduleEndpoints))
      const { ctx } = yield* contextFor("crtsh", endpoints)
      const session = yield* crtsh.open({}, ctx)
      const error = yield* Effect.flip(session.collect(domainTarget(FixtureWorld.domain)))
      expect(error._tag).toBe("SourceUnavailable")
      expect(error.message).toContain("ECONNREFUSED")
    }))

  it.scoped("setup fails without a crtsh endpoint", () =>
    Effect.gen(function*() {
      const { ctx } = yield* contextFor("crtsh", { dnsServers: [] })
      const error = yield* Effect.flip(crtsh.open({}, ctx))
      expect(error).toMatchObject({ _tag: "ModuleConfigError", reason: "no endpoint configured for crtsh" })
    }))

  it.scoped("reads every identity of a row; odd rows are skipped and counted, not the answer failed", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(crtsh, [{
        request: { path: "/", query: { q: "%.example.test", output: "json" } },
        response: {
          json: [
            {
              id: 1,
              common_name: "Portal.Example.test",
              name_value: "*.example.test\nexample.test\r\nhostmaster@example.test\n\nother.test"
            },
            // An id as text, no name_value: the common name alone names it.
            { id: "2", common_name: "vpn.example.test", name_value: null },
            // No id at all: a certificate of its own, named twice.
            { name_value: "vpn.example.test\nvpn.example.test" },
            { id: 4, name_value: 17 },
            { id: 5 },
            "not a row"
          ]
        }
      }], { target: { type: "DOMAIN", value: "example.test" } })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value, f.metadata["certificate_count"]])).toEqual([
        ["DOMAIN", "example.test", 1],
        ["DOMAIN", "portal.example.test", 1],
        ["DOMAIN", "vpn.example.test", 2],
        ["EMAIL", "hostmaster@example.test", 1]
      ])
      expect(findings[0]?.metadata["wildcard"]).toBe(true)
      expect(findings.find((f) => f.value === "vpn.example.test")?.source_data["certificates"]).toEqual([
        { id: 2, common_name: "vpn.example.test" },
        {}
      ])
      expect(notes.rows_skipped).toBe(3)
      expect(notes.skip_reason).toContain("name_value")
    }))
})
