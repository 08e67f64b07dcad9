/** wayback against the emulated CDX API: the query it sends, collapsing, scoping and the archive's failures. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { cdxFilters, wayback } from "@mirage/modules/modules/wayback"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import * as WaybackServer from "@mirage/testkit/WaybackServer"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

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
        ["DOMAIN", "legacy.mirage-sandbox.test"],
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "shop.mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"],
        ["URL", "http://legacy.mirage-sandbox.test/old.php?id=1"],
        ["URL", "http://mirage-sandbox.test/"],
        ["URL", "https://shop.mirage-sandbox.test/cart"],
        ["URL", "https://www.mirage-sandbox.test/login?next=%2Fdashboard"]
      ])
      // The debug page answered 500 when captured: the status filter leaves it out.
      const filters = new URLSearchParams(cdxFilters.map((filter): [string, string] => ["filter", filter])).toString()
      expect(intel.wayback.requestLog()).toEqual([
        `/cdx/search/cdx?${filters}&url=*.mirage-sandbox.test%2F*&output=json&fl=original&collapse=urlkey&limit=10000`
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

  it.scoped("asks for pages only; one URL of http and https twins, the https one; no cdn-cgi; odd rows skipped", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(wayback, [{
        request: {
          path: "/cdx/search/cdx",
          query: {
            url: "*.example.test/*",
            output: "json",
            fl: "original",
            collapse: "urlkey",
            filter: [...cdxFilters],
            limit: "10000"
          }
        },
        response: {
          json: [
            ["original"],
            ["http://www.example.test/about"],
            ["https://www.example.test/about"],
            ["http://shop.example.test/cart?id=1"],
            ["https://www.example.test/cdn-cgi/l/email-protection"],
            ["https://cdn-cgi.example.test/x"],
            [17],
            "not a row",
            ["http://other.test/"]
          ]
        }
      }], { target: { type: "DOMAIN", value: "example.test" } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.type, f.value, f.metadata])).toEqual([
        ["DOMAIN", "cdn-cgi.example.test", { archived_urls: 1 }],
        ["DOMAIN", "shop.example.test", { archived_urls: 1 }],
        ["DOMAIN", "www.example.test", { archived_urls: 1 }],
        ["URL", "http://shop.example.test/cart?id=1", { archived: true }],
        ["URL", "https://cdn-cgi.example.test/x", { archived: true }],
        ["URL", "https://www.example.test/about", { archived: true }]
      ])
      expect(notes.rows_skipped).toBe(2)
    }))

  it.scoped("the filters leave out captures that were not 200, and images, fonts, styles and media", () =>
    Effect.gen(function*() {
      const capture = (original: string, mimetype: string, statuscode = "200") => ({
        original,
        mimetype,
        statuscode,
        timestamp: "20240101000000"
      })
      const server = yield* WaybackServer.make([
        capture("https://example.test/", "text/html"),
        capture("https://example.test/app.js", "application/javascript"),
        capture("https://example.test/moved", "text/html", "301"),
        capture("https://example.test/logo.png", "image/png"),
        capture("https://example.test/font.woff2", "font/woff2"),
        capture("https://example.test/old.ttf", "application/x-font-ttf"),
        capture("https://example.test/site.css", "text/css"),
        capture("https://example.test/intro.mp4", "video/mp4")
      ])
      const ctx = yield* makeModuleContext({ module: "wayback", endpoints: { dnsServers: [], wayback: server.url } })
      const session = yield* wayback.open({}, ctx)
      const findings = yield* session.collect(target("example.test"))
      expect(findings.filter((f) => f.type === "URL").map((f) => f.value)).toEqual([
        "https://example.test/",
        "https://example.test/app.js"
      ])
    }))
})
