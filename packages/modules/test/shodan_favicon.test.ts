/** shodan_favicon: the site's icon fetched and hashed, the hash searched on Shodan, known icons not searched, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { faviconHash } from "@mirage/modules/internal/Murmur3"
import { knownHashes } from "@mirage/modules/modules/favicon_hash"
import { shodanFavicon } from "@mirage/modules/modules/shodan_favicon"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { favicon } from "@mirage/testkit/WebsiteServer"
import { Effect, Either } from "effect"
import { expectHidden } from "./keyedSource.js"
import { contextFor } from "./support.js"
import { found } from "./threatSupport.js"

const key = "ShodanFaviconKey000000000000001"
const accept = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
const iconRequest = { path: "/favicon.ico", headers: { host: "shop.example", "x-forwarded-proto": "https", accept } }
const icon = (bytes: Uint8Array) => ({
  headers: { "content-type": "image/x-icon" },
  body_base64: Buffer.from(bytes).toString("base64")
})
const search = (hash: number, page = 1) => ({
  path: "/shodan/host/search",
  query: { key, query: `http.favicon.hash:${hash}`, page: String(page) }
})
const match = (ip: string, port: number, hostnames: ReadonlyArray<string>) => ({
  ip_str: ip,
  port,
  transport: "tcp",
  hostnames,
  domains: [],
  org: "Example Cloud",
  asn: "AS64570",
  product: "nginx",
  timestamp: "2026-12-01T00:00:00.000000",
  http: { favicon: { hash: 0, location: "/favicon.ico" } }
})

const run = (exchanges: ReadonlyArray<FixtureServer.ExchangeInput>, config: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make(exchanges)
    const { ctx, logs } = yield* contextFor("shodan_favicon", { dnsServers: [], shodan: server.url }, key)
    const outcome = yield* Effect.either(
      Effect.flatMap(
        shodanFavicon.open({ base_url: server.url, ...config }, ctx),
        (session) => session.collect({ target: { type: "DOMAIN", value: "shop.example" } })
      )
    )
    yield* server.verify
    const notes = yield* ctx.notes.summary
    return { outcome, logs, notes }
  })

describe("shodan_favicon", () => {
  it.scoped("the site's icon hashed and searched: hosts serving it as leads (IP, port, names), key in the query only", () =>
    Effect.gen(function*() {
      const hash = faviconHash(favicon)
      const result = yield* run([
        { request: iconRequest, response: icon(favicon) },
        {
          request: search(hash),
          response: {
            json: {
              total: 2,
              matches: [match("198.51.100.71", 443, ["origin.shop.example"]), match("198.51.100.72", 8443, [])]
            }
          }
        }
      ])
      expect(found(result.outcome)).toEqual([
        "IP 198.51.100.71",
        "OPEN_PORT 198.51.100.71:443",
        "DOMAIN origin.shop.example",
        "IP 198.51.100.72",
        "OPEN_PORT 198.51.100.72:8443"
      ])
      expect(Either.getOrThrow(result.outcome)[0]).toMatchObject({
        confidence: 0.5,
        metadata: { favicon_hash: hash, site: "shop.example", role: "serves the same favicon", asn: "AS64570" }
      })
      expectHidden(result, key)
    }))

  it.scoped("an excluded hash is not searched (as a known product's default is not), said in a warning; no icon is nothing", () =>
    Effect.gen(function*() {
      const hash = faviconHash(favicon)
      expect(knownHashes.has(hash)).toBe(false)
      const excluded = yield* run([{ request: iconRequest, response: icon(favicon) }], {
        exclude_hashes: [String(hash)]
      })
      expect(found(excluded.outcome)).toEqual([])
      expect(excluded.notes.warnings).toEqual([`favicon hash ${hash} is excluded: not searched`])
      const missing = yield* run([{ request: iconRequest, response: { status: 404, body: "not found" } }])
      expect(found(missing.outcome)).toEqual([])
    }))

  it.scoped("an odd match is skipped and counted; an answer without matches is BadResponse; 401 AuthFailed", () =>
    Effect.gen(function*() {
      const hash = faviconHash(favicon)
      const partial = yield* run([
        { request: iconRequest, response: icon(favicon) },
        {
          request: search(hash),
          response: { json: { total: 2, matches: [match("198.51.100.71", 443, []), { port: 1 }] } }
        }
      ])
      expect(found(partial.outcome)).toEqual(["IP 198.51.100.71", "OPEN_PORT 198.51.100.71:443"])
      expect(partial.notes.rows_skipped).toBe(1)
      const odd = yield* run([
        { request: iconRequest, response: icon(favicon) },
        { request: search(hash), response: { json: { error: "odd" } } }
      ])
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const rejected = yield* run([
        { request: iconRequest, response: icon(favicon) },
        { request: search(hash), response: { status: 401, json: { error: "Invalid API key" } } }
      ])
      expect(rejected.outcome).toMatchObject({ left: { _tag: "AuthFailed" } })
      expectHidden(rejected, key)
    }))
})
