/** threatminer against a declared ThreatMiner API: the rt=5 report, its string status codes, odd rows, its rate. */
import { describe, expect, it } from "@effect/vitest"
import { threatminer } from "@mirage/modules/modules/threatminer"
import { Effect } from "effect"
import { failure, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const request = {
  path: "/v2/domain.php",
  query: { q: "example.test", rt: "5" },
  headers: { accept: "application/json", authorization: null }
}
const report = (status: string, message: string, results: ReadonlyArray<unknown>) => ({
  json: { status_code: status, status_message: message, results }
})

describe("threatminer", () => {
  it.scoped("asks for the domain's subdomain report (rt=5), keyless; keeps in-scope names once each", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(threatminer, [{
        request,
        response: report("200", "Results found.", [
          "www.example.test",
          "API.example.test",
          "*.dev.example.test",
          "example.test.evil.test",
          "www.example.test"
        ])
      }], { target })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["api.example.test", "dev.example.test", "www.example.test"])
    }))

  it.scoped("status \"404\" is no findings; an odd row is skipped and counted; another status is a refusal", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(threatminer, [{
        request,
        response: report("404", "No results found.", [])
      }], { target })
      expect(values(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(threatminer, [{
        request,
        response: report("200", "Results found.", ["a.example.test", 7, null, { name: "b.example.test" }])
      }], { target })
      expect(values(odd.outcome)).toEqual(["a.example.test"])
      expect(odd.notes.rows_skipped).toBe(3)
      const refused = yield* collectAgainst(threatminer, [{
        request,
        response: report("403", "Rate limit exceeded.", [])
      }], { target })
      expect(failure(refused.outcome)).toMatchObject({ _tag: "RateLimited" })
      const broken = yield* collectAgainst(threatminer, [{
        request,
        response: { status: 500, headers: { "content-type": "text/html" }, body: "<h1>Internal Server Error</h1>" }
      }], { target })
      expect(failure(broken.outcome)).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it("declares ThreatMiner's documented 10 queries a minute, one at a time", () => {
    expect(threatminer.source.rateLimit).toEqual({ requests: 10, perSeconds: 60, burst: 1 })
    expect(threatminer.source.requiresKey).toBe(false)
  })
})
