/** tech_fingerprint against declared pages: headers, cookies, meta, scripts and HTML; versions; implied; errors; the sandbox. */
import { describe, expect, it } from "@effect/vitest"
import { makeResponse, type ModuleTask } from "@mirage/modules/Module"
import {
  analyse,
  fingerprints,
  pageOf,
  parsePattern,
  techFingerprint,
  versionOf
} from "@mirage/modules/modules/tech_fingerprint"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const home = { path: "/", headers: { host: "example.test", "x-forwarded-proto": "https" } }

const page = `<!DOCTYPE html><html><head>
<meta name="generator" content="Drupal 10 (https://www.drupal.org)">
<link rel="stylesheet" href="/sites/default/themes/olivero/style.css">
<script src="https://code.example.test/ajax/libs/jquery/3.7.1/jquery.min.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.29.4/moment.min.js"></script>
</head><body><form><input type="hidden" name="__VIEWSTATE" value="x"></form></body></html>`

const run = (response: FixtureServer.ExchangeInput["response"], target: ModuleTask = domainTarget("example.test")) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make([{ request: home, response }])
    const { ctx } = yield* contextFor("tech_fingerprint", { dnsServers: [] })
    const outcome = yield* Effect.either(
      Effect.flatMap(techFingerprint.open({ base_url: server.url }, ctx), (session) => session.collect(target))
    )
    yield* server.verify
    return outcome
  })

describe("tech_fingerprint", () => {
  it.scoped("one GET of the home page: technologies from headers, meta, scripts and HTML, with versions", () =>
    Effect.gen(function*() {
      const outcome = yield* run({
        status: 200,
        headers: {
          "content-type": "text/html; charset=utf-8",
          server: "Apache/2.4.58 (Debian)",
          "x-powered-by": "PHP/8.3.1",
          "set-cookie": "SESS1=abc; path=/"
        },
        body: page
      })
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => f.value).sort()).toEqual([
        "Apache 2.4.58",
        "Drupal 10",
        "Microsoft ASP.NET",
        "Moment.js",
        "PHP 8.3.1",
        "jQuery 3.7.1"
      ])
      const drupal = findings.find((f) => f.value === "Drupal 10")
      expect(drupal).toMatchObject({
        confidence: 0.9,
        source_data: { url: "https://example.test/", evidence: ["meta generator", "html"], implied_by: [] },
        metadata: { product: "Drupal", version: "10", categories: ["CMS"], website: "https://www.drupal.org/" }
      })
    }))

  it.scoped("a page with nothing known, or not HTML, is no findings; a 503 is SourceUnavailable", () =>
    Effect.gen(function*() {
      const none = yield* run({ status: 200, headers: { "content-type": "text/html" }, body: "<html><p>hi</p></html>" })
      expect(Either.getOrThrow(none)).toEqual([])
      // An HTML-looking body served as JSON is not read as a page.
      const json = yield* run({
        status: 200,
        headers: { "content-type": "application/json" },
        body: "<meta name=\"generator\" content=\"WordPress 6.0\">"
      })
      expect(Either.getOrThrow(json)).toEqual([])
      const down = yield* run({ status: 503, body: "busy" })
      expect(Either.flip(down).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("implied technologies come with lower confidence; min_confidence filters weak ones", () =>
    Effect.gen(function*() {
      const detected = analyse(pageOf(makeResponse(200, { server: "gunicorn/21.2.0" }, "")))
      expect(detected.map((d) => [d.name, d.version, d.implied_by])).toEqual([
        ["gunicorn", "21.2.0", []],
        ["Python", undefined, ["gunicorn"]]
      ])
      const { ctx } = yield* contextFor("tech_fingerprint", { dnsServers: [] })
      expect((yield* Effect.flip(techFingerprint.open({ min_confidence: 101 }, ctx))).message).toContain(
        "min_confidence"
      )
      const session = yield* techFingerprint.open({}, ctx)
      expect((yield* Effect.flip(session.collect({ target: { type: "IP", value: "192.0.2.1" } }))).message).toContain(
        "does not take IP targets"
      )
    }))

  it.scoped("the sandbox's site: its server, language, CMS and CDN cache", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("tech_fingerprint")
      const session = yield* techFingerprint.open(world.moduleConfig["tech_fingerprint"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((f) => f.value).sort()).toEqual([
        "MySQL",
        "Nginx 1.25.3",
        "PHP 8.2.12",
        "Varnish",
        "WordPress 6.5.2"
      ])
    }))

  it("parses patterns and versions as Wappalyzer writes them", () => {
    expect(fingerprints.length).toBe(67)
    const pattern = parsePattern(
      "jquery[.-]migrate(?:-([\\d.]+))?\\.js(?:\\?ver=([\\d.]+))?\\;version:\\1?\\1:\\2\\;confidence:50"
    )
    expect(pattern?.confidence).toBe(50)
    expect(versionOf(pattern?.version, pattern!.regex.exec("/jquery-migrate-3.4.1.js")!)).toBe("3.4.1")
    expect(versionOf(pattern?.version, pattern!.regex.exec("/jquery.migrate.js?ver=3.3.2")!)).toBe("3.3.2")
    expect(parsePattern("([unclosed")).toBeUndefined()
  })
})
