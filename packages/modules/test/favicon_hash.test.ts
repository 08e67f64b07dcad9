/** favicon_hash: MurmurHash3 vectors, Shodan's base64 layout, icons fetched as bytes, known products, soft 404s. */
import { describe, expect, it } from "@effect/vitest"
import { base64Lines, faviconHash, murmur3x86_32 } from "@mirage/modules/internal/Murmur3"
import { faviconHashModule, iconBytes, knownHashes } from "@mirage/modules/modules/favicon_hash"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { favicon } from "@mirage/testkit/WebsiteServer"
import { Effect, Either } from "effect"
import { createHash } from "node:crypto"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const accept = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
const at = (path: string) => ({ path, headers: { host: "example.test", "x-forwarded-proto": "https", accept } })
const icon = (bytes: Uint8Array, type = "image/x-icon") => ({
  status: 200,
  headers: { "content-type": type },
  body_base64: Buffer.from(bytes).toString("base64")
})

const run = (exchanges: ReadonlyArray<FixtureServer.ExchangeInput>, config: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make(exchanges)
    const { ctx, logs } = yield* contextFor("favicon_hash", { dnsServers: [] })
    const outcome = yield* Effect.either(
      Effect.flatMap(
        faviconHashModule.open({ base_url: server.url, ...config }, ctx),
        (session) => session.collect(domainTarget("example.test"))
      )
    )
    yield* server.verify
    return { outcome, logs }
  })

describe("favicon_hash", () => {
  it("MurmurHash3 x86 32-bit matches the reference vectors, signed as mmh3 returns it", () => {
    const text = (s: string) => Buffer.from(s, "utf8")
    const unsigned = (n: number) => n >>> 0
    expect(unsigned(murmur3x86_32(text(""), 0))).toBe(0)
    expect(unsigned(murmur3x86_32(text(""), 1))).toBe(0x514e28b7)
    expect(unsigned(murmur3x86_32(text(""), 0xffffffff))).toBe(0x81f16f39)
    expect(unsigned(murmur3x86_32(Buffer.from([0, 0, 0, 0]), 0))).toBe(0x2362f9de)
    expect(unsigned(murmur3x86_32(text("aaaa"), 0x9747b28c))).toBe(0x5a97808a)
    expect(unsigned(murmur3x86_32(text("Hello, world!"), 0x9747b28c))).toBe(0x24884cba)
    expect(unsigned(murmur3x86_32(text("The quick brown fox jumps over the lazy dog"), 0x9747b28c))).toBe(0x2fa826cd)
    // mmh3's documented example: mmh3.hash("foo") == -156908512
    expect(murmur3x86_32(text("foo"))).toBe(-156908512)
  })

  it("writes base64 as Python's encodebytes does: 76-character lines, each ending in a newline", () => {
    const lines = base64Lines(new Uint8Array(100).fill(7)).split("\n")
    expect(lines.map((line) => line.length)).toEqual([76, 60, 0])
    expect(base64Lines(favicon)).toBe(
      "AAABAAEAAQEAAAEAIAAwAAAAFgAAACgAAAABAAAAAgAAAAEAIAAAAAAABAAAAAAAAAAAAAAAAAAA\nAAAAAAD/gDD/AAAAAA==\n"
    )
  })

  it.scoped("fetches /favicon.ico as bytes: the icon's URL with its hash; a known hash names its product", () =>
    Effect.gen(function*() {
      const hash = faviconHash(favicon)
      const { outcome } = yield* run([{ request: at("/favicon.ico"), response: icon(favicon) }], {
        extra_hashes: { [String(hash)]: "Example Appliance" }
      })
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "URL https://example.test/favicon.ico",
        "TECHNOLOGY Example Appliance"
      ])
      expect(findings[0]?.metadata).toEqual({
        favicon: true,
        favicon_hash: hash,
        shodan_query: `http.favicon.hash:${hash}`,
        md5: createHash("md5").update(favicon).digest("hex"),
        bytes: 70,
        content_type: "image/x-icon"
      })
      expect(findings[1]).toMatchObject({
        confidence: 0.8,
        source_data: { url: "https://example.test/favicon.ico", matcher: "extra_hashes" },
        metadata: { product: "Example Appliance", favicon_hash: hash }
      })
    }))

  it.scoped("an HTML soft 404, an empty body or a 404 is no icon; the next path is tried; a 503 is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { logs, outcome } = yield* run([
        {
          request: at("/favicon.ico"),
          response: { status: 200, headers: { "content-type": "text/html" }, body: "<!DOCTYPE html><p>home</p>" }
        },
        { request: at("/static/favicon.ico"), response: { status: 200, body_base64: "" } },
        { request: at("/img/favicon.ico"), response: FixtureServer.text("missing", 404) }
      ], { paths: ["/favicon.ico", "/static/favicon.ico", "/img/favicon.ico"] })
      expect(Either.getOrThrow(outcome)).toEqual([])
      expect(logs.filter((log) => log.message === "favicon_hash: not an icon").map((log) => log.fields["reason"]))
        .toEqual(["an HTML page, not an icon", "empty icon"])
      const { outcome: down } = yield* run([{ request: at("/favicon.ico"), response: FixtureServer.text("busy", 503) }])
      expect(Either.flip(down).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("the sandbox's site serves its icon; no product claims it", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("favicon_hash")
      const session = yield* faviconHashModule.open(world.moduleConfig["favicon_hash"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual(["URL https://www.mirage-sandbox.test/favicon.ico"])
      expect(findings[0]?.metadata["favicon_hash"]).toBe(faviconHash(favicon))
    }))

  it("knows the shipped hashes; text that is not base64 is not taken for an icon", () => {
    expect(knownHashes.get(81586312)?.technology).toBe("Jenkins")
    expect(knownHashes.get(-1010568750)?.technology).toBe("phpMyAdmin")
    expect(knownHashes.size).toBe(38)
    expect(Either.isLeft(iconBytes("\u0000\u0001PNG garbage ü", "image/png"))).toBe(true)
    expect(Either.getOrThrow(iconBytes("PHN2Zz48L3N2Zz4=", "image/svg+xml")).length).toBe(11)
  })
})
