/** hackertarget_dnslookup against a declared HackerTarget: `TYPE : value` lines, odd lines, the quota line, 429. */
import { describe, expect, it } from "@effect/vitest"
import { hackertargetDnslookup } from "@mirage/modules/modules/hackertarget_dnslookup"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = { path: "/dnslookup/", query: { q: "example.test" } }

describe("hackertarget_dnslookup", () => {
  it.scoped("reads the record lines: addresses, MX, NS and CNAME names; TXT and SOA are not findings", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(hackertargetDnslookup, [{
        request,
        response: FixtureServer.text([
          "A : 192.0.2.10",
          "AAAA : 2001:db8::10",
          "MX : 10 mail.example.test.",
          "MX : 20 mx.provider.test.",
          "NS : ns1.example.test.",
          "TXT : \"v=spf1 -all\"",
          "SOA : ns1.example.test. hostmaster.example.test. 2025060101 7200 3600 1209600 300"
        ].join("\n"))
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN mail.example.test",
        "DOMAIN mx.provider.test",
        "DOMAIN ns1.example.test",
        "IP 192.0.2.10",
        "IP 2001:db8::10"
      ])
      expect(findings[0]?.metadata).toEqual({ record: "MX", name: "example.test" })
    }))

  it.scoped("a line not of the form is skipped and counted; a key goes in `apikey`", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(hackertargetDnslookup, [{
        request: { ...request, query: { ...request.query, apikey: "ht-key" } },
        response: FixtureServer.text("A : 192.0.2.10\n;; truncated, retrying in TCP mode")
      }], { target, key: "ht-key" })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["192.0.2.10"])
      expect(notes).toMatchObject({ rows_skipped: 1, skip_reason: "a line is not TYPE : value" })
    }))

  it.scoped("`API count exceeded` is RateLimited until midnight UTC by the answer's date; `error …` is BadResponse", () =>
    Effect.gen(function*() {
      const quota = yield* collectAgainst(hackertargetDnslookup, [{
        request,
        response: {
          headers: { date: "Sat, 05 Dec 2026 18:00:00 GMT" },
          body: "API count exceeded - Increase Quota with Membership"
        }
      }], { target })
      expect(Either.flip(quota.outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 6 * 3_600_000
      })
      const refused = yield* collectAgainst(hackertargetDnslookup, [{
        request,
        response: FixtureServer.text("error check your search parameter")
      }], { target })
      expect(Either.flip(refused.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "BadResponse" })
    }))
})
