/** wayback against the emulated CDX API: the query it sends, collapsing, scoping and the archive's failures. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { wayback } from "@mirage/modules/modules/wayback"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect } from "effect"

const open = (config: unknown = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const ctx = yield* makeModuleContext({
      module: "wayback",
      endpoints: { dnsServers: [], ...intel.endpoints },
      timeoutMs: 5_000,
      log: () => Effect.void
    })
    return { intel, session: yield* wayback.open(config, ctx) }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

describe("wayback", () => {
  it.scoped("finds the archived URLs under the domain and their host names", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "dev.mirage-sandbox.test"],
        ["DOMAIN", "legacy.mirage-sandbox.test"],
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "shop.mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"],
        ["URL", "http://legacy.mirage-sandbox.test/old.php?id=1"],
        ["URL", "http://mirage-sandbox.test/"],
        ["URL", "https://dev.mirage-sandbox.test:8443/debug"],
        ["URL", "https://shop.mirage-sandbox.test/cart"],
        ["URL", "https://www.mirage-sandbox.test/login?next=%2Fdashboard"]
      ])
      expect(intel.wayback.requestLog()).toEqual([
        "/cdx/search/cdx?url=*.mirage-sandbox.test%2F*&output=json&fl=original&collapse=urlkey&limit=10000"
      ])
      // Two captures of the login page were collapsed into one row by the CDX server.
      expect(findings.find((finding) => finding.value === "www.mirage-sandbox.test")?.metadata).toEqual({
        archived_urls: 1
      })
      expect(findings.map((finding) => finding.value)).not.toContain("other-company.test")
    }))

  it.scoped("config: only host names, and a smaller limit", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open({ urls: false, limit: 2 })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"]
      ])
      expect(intel.wayback.requestLog()[0]).toContain("&limit=2")
    }))

  it.scoped("nothing archived is `[]`: no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("never-archived.test"))).toEqual([])
    }))

  it.scoped("a header without the original column, broken JSON or an HTML page is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.wayback.failNext(1, {
        status: 200,
        body: "[[\"timestamp\"],[\"20200101000000\"]]",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.wayback.failNext(1, { status: 200, body: "[[\"original\"],[\"http://", contentType: "text/json" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.wayback.failNext(1, { status: 200, body: "<html>Wayback Machine</html>", contentType: "text/html" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("429 is RateLimited with retryAfterMs; 503 SourceUnavailable", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.wayback.failNext(1, { status: 429, retryAfter: "60" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 60_000
      })
      yield* intel.wayback.failNext(1, { status: 503, body: "Slow down" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "SourceUnavailable",
        status: 503
      })
    }))
})
