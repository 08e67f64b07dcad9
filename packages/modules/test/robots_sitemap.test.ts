/** robots_sitemap against the sandbox's website (robots.txt, a sitemap index) and a site of its own. */
import { describe, expect, it } from "@effect/vitest"
import { parseRobots, parseSitemap, robotsPath, robotsSitemap } from "@mirage/modules/modules/robots_sitemap"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import * as HttpFixture from "@mirage/testkit/HttpFixture"
import { Effect, Option } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const url = (value: string) => ({ target: { type: "URL" as const, value } })
const site = "https://www.mirage-sandbox.test"

const fromRobots = [`${site}/admin/`, `${site}/admin/public/`, `${site}/private/`, `${site}/sitemap_index.xml`]
const fromSitemaps = [
  `${site}/`,
  `${site}/about/`,
  `${site}/blog/2025/hello-world/`,
  `${site}/careers/`,
  `${site}/contact/`,
  `${site}/sitemap-pages.xml`,
  `${site}/sitemap-posts.xml`
]

describe("robots_sitemap", () => {
  it.scoped("reads robots.txt and the sitemap index it names, for a domain or any URL of the site", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("robots_sitemap")
      const session = yield* robotsSitemap.open(world.moduleConfig["robots_sitemap"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((finding) => finding.value).sort()).toEqual([...fromRobots, ...fromSitemaps].sort())
      expect(findings.find((finding) => finding.value === `${site}/admin/public/`)).toMatchObject({
        confidence: 0.8,
        source_data: { found_in: `${site}/robots.txt` },
        metadata: { found_by: "robots_allow" }
      })
      expect(findings.find((finding) => finding.value === `${site}/careers/`)?.metadata).toEqual({
        found_by: "sitemap"
      })
      // The bare domain redirects to www; the sitemap named by robots.txt is read, not /sitemap.xml.
      expect(world.services.website.requestLog()).toEqual([
        "/robots.txt",
        "/robots.txt",
        "/sitemap_index.xml",
        "/sitemap-pages.xml",
        "/sitemap-posts.xml"
      ])
      const again = yield* session.collect(url(`${site}/about/?x=1`))
      expect(again.map((finding) => finding.value).sort()).toEqual([...fromRobots, ...fromSitemaps].sort())
    }))

  it.scoped("max_sitemaps bounds the sitemaps read", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("robots_sitemap")
      const session = yield* robotsSitemap.open({ ...world.moduleConfig["robots_sitemap"], max_sitemaps: 0 }, ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((finding) => finding.value).sort()).toEqual(fromRobots)
    }))

  it.scoped("without robots.txt, reads /sitemap.xml; out-of-scope locations are left out", () =>
    Effect.gen(function*() {
      const server = yield* HttpFixture.make(
        "https://small.example.test",
        (request) =>
          request.url.pathname === "/sitemap.xml"
            ? HttpFixture.text(
              `<urlset><url><loc><![CDATA[https://small.example.test/a?x=1&y=2]]></loc></url>
<url><loc>https://small.example.test/b?p=1&amp;q=2</loc></url>
<url><loc>https://elsewhere.example/c</loc></url></urlset>`,
              200,
              "application/xml"
            )
            : HttpFixture.notFound()
      )
      const { ctx } = yield* contextFor("robots_sitemap", { dnsServers: [] })
      const session = yield* robotsSitemap.open({ base_url: server.url }, ctx)
      const findings = yield* session.collect(domainTarget("small.example.test"))
      expect(findings.map((finding) => finding.value).sort()).toEqual([
        "https://small.example.test/a?x=1&y=2",
        "https://small.example.test/b?p=1&q=2",
        "https://small.example.test/sitemap.xml"
      ])
    }))

  it.scoped("a host not served is no findings; a 503 on robots.txt is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("robots_sitemap")
      const session = yield* robotsSitemap.open(world.moduleConfig["robots_sitemap"], ctx)
      expect(yield* session.collect(domainTarget("api.mirage-sandbox.test"))).toEqual([])
      yield* world.services.website.failNext(1, { status: 503, retryAfter: "30" })
      expect(yield* Effect.flip(session.collect(url(`${site}/`)))).toMatchObject({
        _tag: "SourceUnavailable",
        status: 503,
        retryAfterMs: 30_000
      })
      yield* world.services.website.failNext(1, { status: 429 })
      expect((yield* Effect.flip(session.collect(url(`${site}/`))))._tag).toBe("RateLimited")
    }))

  it.scoped("a sitemap that cannot be read keeps what robots.txt and the other sitemaps gave, with a warning", () =>
    Effect.gen(function*() {
      const server = yield* FixtureServer.make([
        {
          request: { path: "/robots.txt" },
          response: FixtureServer.text(
            "User-agent: *\nDisallow: /private/\nSitemap: https://example.test/a.xml\nSitemap: https://example.test/b.xml\n"
          )
        },
        { request: { path: "/a.xml" }, response: { status: 503, body: "busy" } },
        {
          request: { path: "/b.xml" },
          response: FixtureServer.text(
            "<urlset><url><loc>https://example.test/about/</loc></url></urlset>",
            200,
            "application/xml"
          )
        }
      ])
      const { ctx } = yield* contextFor("robots_sitemap", { dnsServers: [] })
      const session = yield* robotsSitemap.open({ base_url: server.url }, ctx)
      const findings = yield* session.collect(url("https://example.test/"))
      yield* server.verify
      expect(findings.map((finding) => finding.value).sort()).toEqual([
        "https://example.test/a.xml",
        "https://example.test/about/",
        "https://example.test/b.xml",
        "https://example.test/private/"
      ])
      expect((yield* ctx.notes.summary).warnings).toEqual([expect.stringContaining("https://example.test/a.xml")])
    }))

  it("parses robots.txt lines, patterns and sitemaps", () => {
    expect(
      parseRobots(
        "User-agent: *\nDisallow: /a/ # note\nallow:/b\n#Disallow: /c\nSitemap: https://x.test/s.xml\nDisallow:"
      )
    )
      .toEqual([
        { directive: "disallow", value: "/a/" },
        { directive: "allow", value: "/b" },
        { directive: "sitemap", value: "https://x.test/s.xml" }
      ])
    expect(robotsPath("/private/*.pdf$")).toEqual(Option.some("/private/"))
    expect(robotsPath("/exact$")).toEqual(Option.some("/exact"))
    expect(robotsPath("/")).toEqual(Option.none())
    expect(robotsPath("*.php")).toEqual(Option.none())
    expect(parseSitemap("<sitemapindex><sitemap><loc> https://x.test/a.xml </loc></sitemap></sitemapindex>")).toEqual({
      index: true,
      locations: ["https://x.test/a.xml"]
    })
  })

  it("reads a sitemap as XML: CDATA, entities, namespace prefixes, any case; a commented-out <loc> is none", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- moved: <loc>https://x.test/old.html</loc> -->
<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sm:url><sm:loc><![CDATA[ https://x.test/a?x=1&y=2 ]]></sm:loc></sm:url>
  <sm:url><sm:LOC>https://x.test/b?p=1&amp;q=2</sm:LOC><sm:lastmod>2026-01-01</sm:lastmod></sm:url>
  <sm:url><sm:loc>  </sm:loc></sm:url>
</sm:urlset>`
    expect(parseSitemap(xml)).toEqual({
      index: false,
      locations: ["https://x.test/a?x=1&y=2", "https://x.test/b?p=1&q=2"]
    })
    expect(parseSitemap("<SitemapIndex><sitemap><Loc>https://x.test/s1.xml</Loc></sitemap></SitemapIndex>")).toEqual({
      index: true,
      locations: ["https://x.test/s1.xml"]
    })
  })

  it.scoped("validates its config", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("robots_sitemap")
      expect((yield* Effect.flip(robotsSitemap.open({ max_urls: 0 }, ctx))).message).toContain("max_urls")
      expect((yield* Effect.flip(robotsSitemap.open({ base_url: 5 }, ctx))).message).toContain("base_url")
      const session = yield* robotsSitemap.open({}, ctx)
      const wrong = yield* Effect.flip(session.collect({ target: { type: "EMAIL", value: "a@example.test" } }))
      expect(wrong._tag).toBe("ModuleConfigError")
    }))
})
