/** web_spider crawling the sandbox's website (through `base_url`): scope, limits, contacts. */
import { describe, expect, it } from "@effect/vitest"
import { webSpider } from "@mirage/modules/modules/web_spider"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import * as TcpListeners from "@mirage/testkit/TcpListeners"
import * as WebsiteServer from "@mirage/testkit/WebsiteServer"
import { Effect } from "effect"
import { contextFor, worldWithContext } from "./support.js"

const url = (value: string) => ({ target: { type: "URL" as const, value } })
const home = "https://www.mirage-sandbox.test/"

const valuesOf = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>, type: string) =>
  findings.filter((finding) => finding.type === type).map((finding) => finding.value).sort()

describe("web_spider", () => {
  it.scoped("crawls the site: its in-scope links, emails and phones", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("web_spider")
      const session = yield* webSpider.open(world.moduleConfig["web_spider"], ctx)
      const findings = yield* session.collect(url(home))
      expect(valuesOf(findings, "URL")).toEqual([
        "https://shop.mirage-sandbox.test/",
        "https://www.mirage-sandbox.test/about/",
        "https://www.mirage-sandbox.test/blog/",
        "https://www.mirage-sandbox.test/blog/2025/hello-world/",
        "https://www.mirage-sandbox.test/contact/",
        "https://www.mirage-sandbox.test/files/brochure.pdf"
      ])
      expect(valuesOf(findings, "EMAIL")).toEqual([...WebsiteServer.expected.emails].sort())
      expect(valuesOf(findings, "PHONE")).toEqual([...WebsiteServer.expected.phones].sort())
      const values = findings.map((finding) => finding.value)
      for (const absent of WebsiteServer.expected.absent) expect(values).not.toContain(absent)
      expect(findings.find((finding) => finding.value === "info@mirage-sandbox.test")).toMatchObject({
        confidence: 0.9,
        source_data: { page: "https://www.mirage-sandbox.test/contact/" },
        metadata: { found_by: "mailto" }
      })
      // Pages, each once; the PDF is a link, not a page; the shop is another host (421, not followed into).
      expect(world.services.website.received().map((request) => `${request.headers.host}${request.path}`).sort())
        .toEqual([
          "shop.mirage-sandbox.test/",
          "www.mirage-sandbox.test/",
          "www.mirage-sandbox.test/about/",
          "www.mirage-sandbox.test/blog/",
          "www.mirage-sandbox.test/blog/2025/hello-world/",
          "www.mirage-sandbox.test/contact/"
        ])
    }))

  it.scoped("keeps to its depth and page limits", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("web_spider")
      const shallow = yield* webSpider.open({ ...world.moduleConfig["web_spider"], max_depth: 0 }, ctx)
      const top = yield* shallow.collect(url(home))
      expect(valuesOf(top, "URL")).not.toContain("https://www.mirage-sandbox.test/blog/2025/hello-world/")
      expect(valuesOf(top, "EMAIL")).toEqual([])
      expect(world.services.website.requests()).toBe(1)
      const few = yield* webSpider.open({ ...world.moduleConfig["web_spider"], max_pages: 2 }, ctx)
      yield* few.collect(url(home))
      expect(world.services.website.requests()).toBe(1 + 2)
    }))

  it.scoped("reports other domains' emails and more domains when configured", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("web_spider")
      const session = yield* webSpider.open({
        ...world.moduleConfig["web_spider"],
        external_emails: true,
        scope_domains: ["partner.example"]
      }, ctx)
      const findings = yield* session.collect(url(home))
      expect(valuesOf(findings, "EMAIL")).toContain("visitor@webmail.example")
      expect(valuesOf(findings, "URL")).toContain("https://partner.example/")
    }))

  it.scoped("a start page the server does not serve is no findings; one that cannot be reached is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("web_spider")
      const session = yield* webSpider.open(world.moduleConfig["web_spider"], ctx)
      expect(yield* session.collect(url("https://shop.mirage-sandbox.test/"))).toEqual([])
      // Not HTML: nothing to read.
      expect(yield* session.collect(url("https://www.mirage-sandbox.test/sitemap_index.xml"))).toEqual([])
      const closed = yield* TcpListeners.closedPort
      const nowhere = yield* webSpider.open({ base_url: `http://127.0.0.1:${closed}` }, ctx)
      expect((yield* Effect.flip(nowhere.collect(url(home))))._tag).toBe("SourceUnavailable")
    }))

  it.scoped("a later page that answers 503: earlier findings kept, one warning, its error page not read", () =>
    Effect.gen(function*() {
      const page = (body: string, status = 200) =>
        FixtureServer.text(`<html><body>${body}</body></html>`, status, "text/html; charset=utf-8")
      const server = yield* FixtureServer.make([
        {
          request: { path: "/" },
          response: page(`<a href="/a">A</a> <a href="/b">B</a> <a href="mailto:info@example.test">mail</a>`)
        },
        { request: { path: "/a" }, response: page("Call +44 20 7946 0958 or write to sales@example.test") },
        {
          request: { path: "/b" },
          response: page(`<h1>503 Service Unavailable</h1> <a href="/c">status</a> oops@example.test`, 503)
        }
      ])
      const { ctx } = yield* contextFor("web_spider", { dnsServers: [] })
      const session = yield* webSpider.open({ base_url: server.url, max_depth: 2 }, ctx)
      const findings = yield* session.collect(url("https://example.test/"))
      // /c is never asked: the 503 page's links are not the site's.
      yield* server.verify
      expect(valuesOf(findings, "URL")).toEqual(["https://example.test/a", "https://example.test/b"])
      expect(valuesOf(findings, "EMAIL")).toEqual(["info@example.test", "sales@example.test"])
      expect(valuesOf(findings, "PHONE")).toHaveLength(1)
      const notes = yield* ctx.notes.summary
      expect(notes.warnings).toEqual(["https://example.test/b could not be fetched: source unavailable (HTTP 503)"])
      // The start page answering 503 is the task's failure, worth a retry.
      const down = yield* FixtureServer.make([{ request: { path: "/" }, response: page("down", 503) }])
      const failing = yield* webSpider.open({ base_url: down.url }, ctx)
      expect(yield* Effect.flip(failing.collect(url("https://example.test/")))).toMatchObject({
        _tag: "SourceUnavailable",
        status: 503
      })
    }))

  it.scoped(
    "a page of 20,000 links: the next pages are chosen in linear time, each link once",
    () =>
      Effect.gen(function*() {
        const links = Array.from({ length: 20_000 }, (_, i) => `<a href="/p${i}">${i}</a><a href="/p${i}#again">`)
        const page = (body: string) => FixtureServer.text(`<html><body>${body}</body></html>`, 200, "text/html")
        const server = yield* FixtureServer.make([
          { request: { path: "/" }, response: page(links.join("")) },
          { request: { path: "/p0" }, response: page("zero") },
          { request: { path: "/p1" }, response: page("one") }
        ])
        const { ctx } = yield* contextFor("web_spider", { dnsServers: [] })
        const session = yield* webSpider.open({ base_url: server.url, max_depth: 1, max_pages: 3 }, ctx)
        const findings = yield* session.collect(url("https://example.test/"))
        yield* server.verify
        expect(valuesOf(findings, "URL")).toHaveLength(20_000)
      }),
    8_000
  )

  it.scoped("validates its config and its targets", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("web_spider")
      expect((yield* Effect.flip(webSpider.open({ max_depth: 11 }, ctx))).message).toContain("max_depth")
      expect((yield* Effect.flip(webSpider.open({ max_pages: 0 }, ctx))).message).toContain("max_pages")
      expect((yield* Effect.flip(webSpider.open({ scope_domains: ["a b"] }, ctx))).message).toContain("domain name")
      const session = yield* webSpider.open({}, ctx)
      const wrong = yield* Effect.flip(session.collect({ target: { type: "DOMAIN", value: "example.test" } }))
      expect(wrong._tag).toBe("ModuleConfigError")
    }))
})
