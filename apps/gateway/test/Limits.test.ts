/**
 * Input and rate limits at the edge, over real HTTP and real stores: oversized bodies are 413,
 * out-of-bounds fields, page sizes, durations and ill-formed targets are 400 (all problems, none
 * stored), and one API key past its bucket gets 429 with Retry-After while another is served; a gateway takes a key's
 * tokens a lease at a time, and gateways sharing a bucket never serve a key past its limit.
 */
import { HttpClientRequest } from "@effect/platform"
import { describe, expect, it, layer } from "@effect/vitest"
import * as RateLimiter from "@mirage/runtime/collection/RateLimiter"
import type { RateLimit } from "@mirage/runtime/collection/RateLimiter"
import * as RateLimiterMemory from "@mirage/runtime/collection/RateLimiter/Memory"
import { Effect, Layer, Logger, LogLevel, Option, Stream, TestClock } from "effect"
import * as Limits from "../src/Limits.js"
import * as Gateway from "./Gateway.js"

const quiet = Logger.minimumLogLevel(LogLevel.Error)

const scan = (extra: Record<string, unknown>) => ({ ...Gateway.domainScan("limits"), ...extra })

const expectProblem = (answer: Gateway.Answer, status: number, label: string) => {
  expect(answer.status, `${label}: ${answer.text}`).toBe(status)
  expect(answer.headers["content-type"], label).toContain("application/problem+json")
  expect((answer.body as { status?: number } | undefined)?.status, label).toBe(status)
}

layer(Gateway.layer.pipe(Layer.provide(quiet)), { excludeTestServices: true, timeout: "60 seconds" })(
  "Input limits",
  (it) => {
    it.effect("a body over 1 MiB is 413 before it is read; nothing is stored", () =>
      Effect.gen(function*() {
        const caller = yield* Gateway.newCaller("admin")
        const before = yield* Gateway.count("scans")
        const huge = JSON.stringify(scan({ description: "x".repeat(1024 * 1024 + 10) }))
        const answer = yield* Gateway.postRaw("/scans", huge, caller)
        expectProblem(answer, 413, "huge body")
        expect(yield* Gateway.count("scans")).toBe(before)
      }))

    it.effect("a chunked body (no Content-Length) over 1 MiB is 413 with an answer, not a dropped connection", () =>
      Effect.gen(function*() {
        const caller = yield* Gateway.newCaller("admin")
        const before = yield* Gateway.count("scans")
        const huge = new TextEncoder().encode(JSON.stringify(scan({ description: "x".repeat(1024 * 1024 + 10) })))
        const chunked = (bytes: Uint8Array) =>
          Gateway.send(
            Gateway.as(caller)(
              HttpClientRequest.post("/scans").pipe(
                // Without a length the client sends it chunked, as a streaming uploader would.
                HttpClientRequest.bodyStream(
                  Stream.fromIterable(Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, i) =>
                    bytes.subarray(i * 65_536, (i + 1) * 65_536))),
                  { contentType: "application/json" }
                )
              )
            )
          )
        const answer = yield* chunked(huge)
        expectProblem(answer, 413, "huge chunked body")
        expect(yield* Gateway.count("scans")).toBe(before)

        // Under the limit, a chunked body is read and handled like any other.
        const small = yield* chunked(new TextEncoder().encode(JSON.stringify(scan({ description: "chunked" }))))
        expect(small.status, small.text).toBe(201)
        expect((small.body as { description?: string }).description).toBe("chunked")
        expect(yield* Gateway.count("scans")).toBe(before + 1)
      }))

    it.effect("out-of-bounds fields and ill-formed targets are 400 naming the field; nothing is stored", () =>
      Effect.gen(function*() {
        const caller = yield* Gateway.newCaller("admin")
        const before = yield* Gateway.count("scans")
        const bodies: ReadonlyArray<readonly [string, unknown, string]> = [
          ["name too long", scan({ name: "n".repeat(201) }), "name"],
          ["empty name", scan({ name: "" }), "name"],
          ["description too long", scan({ description: "d".repeat(4001) }), "description"],
          ["half a MiB of name", scan({ name: "é".repeat(256 * 1024) }), "name"],
          [
            "too many modules",
            scan({ modules: Array.from({ length: 101 }, () => ({ id: "dns_resolve" })) }),
            "modules"
          ],
          ["duration over a week", scan({ configuration: { max_duration: 7 * 24 * 3600 + 1 } }), "max_duration"],
          ["duration of zero", scan({ configuration: { max_duration: 0 } }), "max_duration"],
          ["fractional duration", scan({ configuration: { max_duration: 1.5 } }), "max_duration"],
          ["too deep", scan({ configuration: { recursion_depth: 11 } }), "recursion_depth"],
          ["task timeout over an hour", scan({ configuration: { task_timeout: 3601 } }), "task_timeout"],
          ["task timeout of zero", scan({ configuration: { task_timeout: 0 } }), "task_timeout"],
          ["too many results", scan({ configuration: { max_results: 1_000_001 } }), "max_results"],
          ["a number for a name", scan({ name: 42 }), "name"],
          ["a domain that is not one", scan({ target: { type: "DOMAIN", value: "not a domain!" } }), "target"],
          [
            "a domain of 300 characters",
            scan({ target: { type: "DOMAIN", value: `${"a".repeat(300)}.com` } }),
            "target"
          ],
          ["an IP that is not one", scan({ target: { type: "IP", value: "999.1.1.1" } }), "target"],
          ["an email that is not one", scan({ target: { type: "EMAIL", value: "nobody" } }), "target"],
          ["an unknown type", scan({ target: { type: "SHIP", value: "x" } }), "target"]
        ]
        for (const [label, body, field] of bodies) {
          const answer = yield* Gateway.postRaw("/scans", JSON.stringify(body), caller)
          expectProblem(answer, 400, label)
          expect(answer.text, label).toContain(field)
        }
        for (
          const query of ["limit=201", "limit=0", "limit=-1", "limit=abc", "limit=1e9", `cursor=${"c".repeat(2000)}`]
        ) {
          expectProblem(yield* Gateway.get(`/scans?${query}`, caller), 400, query)
        }
        expect(yield* Gateway.count("scans")).toBe(before)
      }))
  }
)

const rateLimited = Gateway.layer.pipe(
  Layer.provide(Limits.layerWith({
    maxBodyBytes: 1024 * 1024,
    // Five at once, then one a minute: nothing refills within the test.
    rate: Option.some({ requests: 1, perSeconds: 60, burst: 5 })
  })),
  Layer.provide(RateLimiterMemory.layerFresh),
  Layer.provide(quiet)
)

layer(rateLimited, { excludeTestServices: true, timeout: "60 seconds" })("Rate limits", (it) => {
  it.effect("one API key past its bucket is 429 with Retry-After; another key is served", () =>
    Effect.gen(function*() {
      const busy = yield* Gateway.newCaller("admin")
      const calm = yield* Gateway.newCaller("admin")
      for (let i = 0; i < 5; i++) expect((yield* Gateway.get("/scans", busy)).status).toBe(200)
      const refused = yield* Gateway.get("/scans", busy)
      expectProblem(refused, 429, "sixth request")
      expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1)
      expect((yield* Gateway.get("/scans", calm)).status).toBe(200)
      // Probes are never limited; the busy key stays limited.
      expect((yield* Gateway.send(HttpClientRequest.get("/health"))).status).toBe(200)
      expect((yield* Gateway.get("/scans", busy)).status).toBe(429)
    }))
})

describe("Rate limit leases (memory limiter, TestClock)", () => {
  /** Limits over a limiter on `hub` that counts the takes reaching it. */
  const gateway = (hub: RateLimiterMemory.RateLimiterHub, limit: RateLimit) =>
    Effect.gen(function*() {
      const twin = RateLimiterMemory.backend(hub)
      const asked = { takes: 0 }
      const limiter = yield* RateLimiter.make({
        ...twin,
        take: (source, limit, most) => Effect.suspend(() => (asked.takes++, twin.take(source, limit, most)))
      })
      const limits = yield* Limits.make({ maxBodyBytes: 1024, rate: Option.some(limit) }).pipe(
        Effect.provideService(RateLimiter.RateLimiter, limiter)
      )
      return { limits, asked }
    })

  it("a lease is what the limit refills in its time, at most a tenth of the burst, at least one token", () => {
    expect(Limits.leaseSize({ requests: 50, perSeconds: 1, burst: 100 })).toBe(5)
    expect(Limits.leaseSize({ requests: 1000, perSeconds: 1, burst: 1000 })).toBe(100)
    expect(Limits.leaseSize({ requests: 1000, perSeconds: 1, burst: 30 })).toBe(3)
    expect(Limits.leaseSize({ requests: 1, perSeconds: 60, burst: 5 })).toBe(1)
    expect(Limits.leaseSize({ requests: 1_000_000, perSeconds: 1, burst: 1_000_000 })).toBe(100)
  })

  it.effect("one take of the shared bucket serves a lease's worth of requests; what is left lapses", () =>
    Effect.gen(function*() {
      const { asked, limits } = yield* gateway(RateLimiterMemory.makeHub(), {
        requests: 1000,
        perSeconds: 1,
        burst: 1000
      })
      for (let i = 0; i < 100; i++) expect(yield* limits.take("key:a")).toBe(0)
      expect(asked.takes).toBe(1)
      expect(yield* limits.take("key:a")).toBe(0)
      expect(asked.takes).toBe(2)
      // Another key has a lease of its own.
      expect(yield* limits.take("key:b")).toBe(0)
      expect(asked.takes).toBe(3)
      // 99 tokens of key:a's second lease are left; once its time is up they are not spent.
      yield* TestClock.adjust(`${Limits.leaseMs} millis`)
      expect(yield* limits.take("key:a")).toBe(0)
      expect(asked.takes).toBe(4)
    }))

  it.effect("two gateways leasing from one bucket never let a key past its rate and burst, and keep serving it", () =>
    Effect.gen(function*() {
      const hub = RateLimiterMemory.makeHub()
      const limit = { requests: 100, perSeconds: 1, burst: 200 }
      const a = yield* gateway(hub, limit)
      const b = yield* gateway(hub, limit)
      let served = 0
      let refused = 0
      // Eight requests every 5 ms, alternating between the gateways, for 5 s: 16 times the rate.
      for (let step = 0; step < 1000; step++) {
        for (let i = 0; i < 8; i++) {
          if ((yield* (i % 2 === 0 ? a : b).limits.take("key:busy")) === 0) served++
          else refused++
        }
        yield* TestClock.adjust("5 millis")
      }
      // Never more than the burst and the rate over the time: 200 + 100 × 5.
      expect(served).toBeLessThanOrEqual(700)
      // Leases that lapse cost at most a lease per gateway per lapse; the key still gets nearly all it may.
      expect(served).toBeGreaterThanOrEqual(650)
      expect(refused).toBe(8000 - served)
      // The bucket was asked far less often than once a request: refusals too are kept until it may have a token.
      expect(a.asked.takes + b.asked.takes).toBeLessThan(8000 / 4)
    }))
})
