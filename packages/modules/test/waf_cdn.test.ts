/** waf_cdn against declared answers: each product's headers and cookies, several at once, none, errors, and the sandbox. */
import { describe, expect, it } from "@effect/vitest"
import { makeResponse, type ModuleTask } from "@mirage/modules/Module"
import { detect, wafCdn } from "@mirage/modules/modules/waf_cdn"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const home = { path: "/", headers: { host: "example.test", "x-forwarded-proto": "https" } }

const run = (
  response: FixtureServer.ExchangeInput["response"],
  target: ModuleTask = domainTarget("example.test")
) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make([{ request: home, response }])
    const { ctx } = yield* contextFor("waf_cdn", { dnsServers: [] })
    const outcome = yield* Effect.either(
      Effect.flatMap(wafCdn.open({ base_url: server.url }, ctx), (session) => session.collect(target))
    )
    yield* server.verify
    return outcome
  })

const names = (response: { readonly headers: Record<string, string> }) =>
  detect(makeResponse(200, response.headers, "")).map((detection) => detection.name)

describe("waf_cdn", () => {
  it.scoped("one GET of the home page: Cloudflare by its headers and cookie, with evidence and category", () =>
    Effect.gen(function*() {
      const outcome = yield* run({
        status: 200,
        headers: {
          server: "cloudflare",
          "cf-ray": "8a1b2c3d4e5f6789-LHR",
          "cf-cache-status": "DYNAMIC",
          "set-cookie": "__cf_bm=abc; path=/; HttpOnly; Secure"
        },
        body: "<html></html>"
      })
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual(["TECHNOLOGY Cloudflare"])
      expect(findings[0]).toMatchObject({
        confidence: 0.9,
        source_data: {
          url: "https://example.test/",
          evidence: ["header cf-ray", "header server", "header cf-cache-status", "cookie __cf_bm"]
        },
        metadata: { product: "Cloudflare", category: ["CDN", "WAF"], url: "https://example.test/" }
      })
    }))

  it.scoped("a block page (403) still shows its edge; a bare 503 is SourceUnavailable; plain answers are no findings", () =>
    Effect.gen(function*() {
      const blocked = yield* run({
        status: 403,
        headers: { "x-iinfo": "7-1234-0 0NNN", "set-cookie": "visid_incap_1=x" }
      })
      expect(Either.getOrThrow(blocked).map((f) => f.value)).toEqual(["Imperva Incapsula"])
      const down = yield* run({ status: 503, body: "busy" })
      expect(Either.flip(down).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
      const plain = yield* run({ status: 200, headers: { server: "Apache", "x-cache": "HIT" }, body: "ok" })
      expect(Either.getOrThrow(plain)).toEqual([])
    }))

  it.scoped("a URL target is fetched as it is; other targets are refused", () =>
    Effect.gen(function*() {
      const outcome = yield* run({
        status: 200,
        headers: { "x-amz-cf-id": "abc==", via: "1.1 x.cloudfront.net (CloudFront)" }
      }, {
        target: { type: "URL", value: "https://example.test/" }
      })
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["Amazon CloudFront"])
      const { ctx } = yield* contextFor("waf_cdn", { dnsServers: [] })
      const session = yield* wafCdn.open({}, ctx)
      expect((yield* Effect.flip(session.collect({ target: { type: "IP", value: "192.0.2.1" } }))).message).toContain(
        "does not take IP targets"
      )
    }))

  it.scoped("the sandbox's site is served through Fastly", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("waf_cdn")
      const session = yield* wafCdn.open(world.moduleConfig["waf_cdn"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((f) => [f.value, f.source_data["url"]])).toEqual([
        ["Fastly", "https://www.mirage-sandbox.test/"]
      ])
    }))

  it("tells products apart; Varnish alone only when no Fastly", () => {
    expect(names({ headers: { server: "AkamaiGHost", "set-cookie": "ak_bmsc=1; path=/, bm_sv=2" } })).toEqual([
      "Akamai"
    ])
    expect(names({ headers: { "x-azure-ref": "0abc", "x-cache": "TCP_MISS" } })).toEqual(["Azure Front Door"])
    expect(names({ headers: { "x-sucuri-id": "11005", server: "Sucuri/Cloudproxy" } })).toEqual(["Sucuri"])
    expect(names({ headers: { via: "1.1 varnish", "x-varnish": "123" } })).toEqual(["Varnish"])
    expect(names({ headers: { via: "1.1 varnish", "x-served-by": "cache-fra1-FRA, cache-lhr2-LHR" } })).toEqual([
      "Fastly"
    ])
    expect(names({ headers: { "set-cookie": "BIGipServerpool=123.456.0000; path=/" } })).toEqual(["F5 BIG-IP"])
    expect(names({ headers: { server: "nginx", "x-served-by": "web-3" } })).toEqual([])
  })
})
