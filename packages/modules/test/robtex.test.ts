/** robtex against a declared Robtex free API: NDJSON records, odd lines skipped, 404 and 429. */
import { describe, expect, it } from "@effect/vitest"
import { robtex } from "@mirage/modules/modules/robtex"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = { path: "/pdns/forward/example.test", headers: { "accept": "text/plain, */*" } }
const line = (rrname: string, rrtype: string, rrdata: string) =>
  JSON.stringify({ rrname, rrdata, rrtype, time_first: 1420070400, time_last: 1700000000, count: 3 })

describe("robtex", () => {
  it.scoped("reads one record a line: names under the domain, their addresses, in-scope CNAME and NS targets", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(robtex, [{
        request,
        response: FixtureServer.text(
          [
            line("example.test", "A", "192.0.2.10"),
            line("example.test", "NS", "ns1.example.test"),
            line("example.test", "MX", "mx.provider.test"),
            line("www.example.test", "CNAME", "example.test"),
            ""
          ].join("\r\n"),
          200,
          "application/x-ndjson"
        )
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN example.test",
        "DOMAIN ns1.example.test",
        "DOMAIN www.example.test",
        "IP 192.0.2.10"
      ])
      expect(findings[3]?.metadata).toEqual({ hostnames: ["example.test"] })
    }))

  it.scoped("a line that is not a record is skipped and counted; a pro key goes in `key`", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(robtex, [{
        request: { ...request, query: { key: "rt-pro" } },
        response: FixtureServer.text(`${line("a.example.test", "A", "192.0.2.1")},\n{"rrname": 5}\nnot json`)
      }], { target, key: "rt-pro" })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test", "192.0.2.1"])
      expect(notes.rows_skipped).toBe(2)
    }))

  it.scoped("404 is no findings; 429 with Retry-After is RateLimited", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(robtex, [{ request, response: FixtureServer.text("", 404) }], { target })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const limited = yield* collectAgainst(robtex, [{ request, response: FixtureServer.rateLimited(30) }], { target })
      expect(Either.flip(limited.outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 30_000
      })
    }))
})
