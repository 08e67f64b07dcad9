/** urlscan_search against the emulated Search API: scoping of scans and redirects, the optional API-Key, its errors. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { urlscanSearch } from "@mirage/modules/modules/urlscan_search"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import * as UrlscanServer from "@mirage/testkit/UrlscanServer"
import { Effect, Either, Redacted } from "effect"
import { collectAgainst } from "./support.js"

const key = IntelWorld.keys.urlscan

const open = (options: { readonly key?: string; readonly config?: unknown } = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const logs: Array<unknown> = []
    const ctx = yield* makeModuleContext({
      module: "urlscan_search",
      endpoints: { dnsServers: [], ...intel.endpoints },
      timeoutMs: 5_000,
      ...(options.key === undefined ? {} : { credentials: Redacted.make(options.key) }),
      log: (message, fields = {}) => Effect.sync(() => void logs.push({ message, fields }))
    })
    return { intel, logs, session: yield* urlscanSearch.open(options.config ?? {}, ctx) }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

describe("urlscan_search", () => {
  it.scoped("finds the scanned URLs, host names and addresses on the domain, not where pages redirect", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "shop.mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"],
        ["IP", "192.0.2.11"],
        ["IP", "192.0.2.14"],
        ["URL", "http://mirage-sandbox.test/pay"],
        ["URL", "https://shop.mirage-sandbox.test/"],
        ["URL", "https://shop.mirage-sandbox.test/cart"],
        ["URL", "https://www.mirage-sandbox.test/"]
      ])
      expect(findings.find((finding) => finding.value === "192.0.2.14")?.metadata).toMatchObject({
        hostname: "shop.mirage-sandbox.test",
        asn: "AS64500"
      })
      expect(intel.urlscan.requestLog()).toEqual(["/api/v1/search/?q=domain%3Amirage-sandbox.test&size=100"])
      expect(intel.urlscan.received()[0]?.headers["api-key"]).toBeUndefined()
    }))

  it.scoped("with a key it goes in the API-Key header, never in logs; config drops URLs", () =>
    Effect.gen(function*() {
      const { intel, logs, session } = yield* open({ key, config: { urls: false, size: 10 } })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.some((finding) => finding.type === "URL")).toBe(false)
      expect(intel.urlscan.received()[0]?.headers["api-key"]).toBe(key)
      expect(intel.urlscan.requestLog()[0]).toContain("&size=10")
      expect(JSON.stringify(logs)).not.toContain(key)
    }))

  it.scoped("no scans is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("never-scanned.test"))).toEqual([])
    }))

  it.scoped("a rejected key is AuthFailed, without the key", () =>
    Effect.gen(function*() {
      const { session } = yield* open({ key: "bad-urlscan-key-1" })
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "AuthFailed", status: 401 })
      expect(JSON.stringify(error) + error.message).not.toContain("bad-urlscan-key-1")
    }))

  it.scoped("429 is RateLimited with retryAfterMs", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open({ key })
      yield* intel.urlscan.failNext(1, {
        status: 429,
        retryAfter: "42",
        body: UrlscanServer.rateLimitedBody,
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 42_000
      })
    }))

  it.scoped("urlscan.io's own 429 (X-Rate-Limit-Reset-After, no Retry-After) is RateLimited with retryAfterMs", () =>
    Effect.gen(function*() {
      const server = yield* UrlscanServer.make(IntelWorld.scans, {
        key,
        searchQuota: { limit: 1, resetAfterSeconds: 37 }
      })
      const ctx = yield* makeModuleContext({
        module: "urlscan_search",
        endpoints: { dnsServers: [], urlscan: server.url },
        credentials: Redacted.make(key)
      })
      const session = yield* urlscanSearch.open({}, ctx)
      expect(yield* session.collect(target(IntelWorld.domain))).not.toEqual([])
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMs: 37_000 })
      expect(error.message).not.toContain(key)
    }))

  it.scoped("a malformed answer is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.urlscan.failNext(1, { status: 200, body: "{\"results\": [{}]}", contentType: "application/json" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("odd results are skipped and counted; pages follow search_after; a failing later page keeps the first", () =>
    Effect.gen(function*() {
      const query = { q: "domain:example.test", size: "2" }
      const { notes, outcome, server } = yield* collectAgainst(urlscanSearch, [
        {
          request: { path: "/api/v1/search/", query, headers: { "api-key": null } },
          response: {
            json: {
              results: [
                {
                  _id: "a1",
                  task: { url: "https://www.example.test/", time: null },
                  page: { url: "https://www.example.test/", ip: "192.0.2.5", asn: 64500, status: 200 },
                  sort: [1717000000000, "a1"]
                },
                { _id: "a2", task: null, page: { url: "https://shop.example.test/cart" }, sort: [1716000000000, "a2"] },
                { _id: "a3", task: { time: "2024-05-01" } }
              ],
              total: 9,
              has_more: true
            }
          }
        },
        {
          request: { path: "/api/v1/search/", query: { ...query, search_after: "1716000000000,a2" } },
          response: { status: 503, body: "busy" }
        }
      ], { target: { type: "DOMAIN", value: "example.test" }, config: { size: 2, max_pages: 3 } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.type, f.value])).toEqual([
        ["DOMAIN", "shop.example.test"],
        ["DOMAIN", "www.example.test"],
        ["IP", "192.0.2.5"],
        ["URL", "https://shop.example.test/cart"],
        ["URL", "https://www.example.test/"]
      ])
      expect(notes.rows_skipped).toBe(1)
      expect(notes.skip_reason).toContain("names no URL")
      expect(notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))
})
