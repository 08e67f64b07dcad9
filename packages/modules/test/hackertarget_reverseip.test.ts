/** hackertarget_reverseip against a declared HackerTarget: host lines, `No records found`, odd lines, 429. */
import { describe, expect, it } from "@effect/vitest"
import { hackertargetReverseip } from "@mirage/modules/modules/hackertarget_reverseip"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "IP" as const, value: "192.0.2.10" }
const request = { path: "/reverseiplookup/", query: { q: "192.0.2.10" } }

describe("hackertarget_reverseip", () => {
  it.scoped("each line is a name on the address, whatever its domain", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(hackertargetReverseip, [{
        request,
        response: FixtureServer.text("example.test\nWWW.example.test\nshop.other.test\nexample.test\n")
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => f.value)).toEqual(["example.test", "shop.other.test", "www.example.test"])
      expect(findings[0]?.metadata).toEqual({ ip: "192.0.2.10" })
    }))

  it.scoped("`No records found` is none; a line that is not a name is skipped and counted; 429 is RateLimited", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(hackertargetReverseip, [{
        request,
        response: FixtureServer.text("No records found for 192.0.2.10")
      }], { target })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(hackertargetReverseip, [{
        request,
        response: FixtureServer.text("a.example.test\n<html>oops</html>")
      }], { target })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(1)
      const limited = yield* collectAgainst(hackertargetReverseip, [{
        request,
        response: FixtureServer.rateLimited(60)
      }], { target })
      expect(Either.flip(limited.outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 60_000
      })
    }))
})
