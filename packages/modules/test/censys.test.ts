/** censys against a declared Censys Search API: HTTP Basic from `id:secret`, cursor paging, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { censys } from "@mirage/modules/modules/censys"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "censys-id-0123:censys-secret-4567"
const basic = `Basic ${Buffer.from(key).toString("base64")}`
const page = (cursor?: string) => ({
  path: "/api/v2/certificates/search",
  query: { q: "names: example.test", per_page: "100", ...(cursor === undefined ? {} : { cursor }) },
  headers: { authorization: basic }
})
const answer = (hits: ReadonlyArray<unknown>, next: string) => ({
  json: { code: 200, status: "OK", result: { query: "names: example.test", total: 3, hits, links: { next, prev: "" } } }
})

describe("censys", () => {
  it.scoped("asks with HTTP Basic from `id:secret`, following links.next as the cursor; keeps in-scope names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(censys, [
        {
          request: page(),
          response: answer([
            { names: ["*.example.test", "example.test"], fingerprint_sha256: "590ad51b" },
            { names: ["www.other.test"], fingerprint_sha256: "77aa" }
          ], "NextToken")
        },
        {
          request: page("NextToken"),
          response: answer([{ names: ["API.example.test"], fingerprint_sha256: "1c2d" }], "")
        }
      ], { target, key })
      yield* run.server.verify
      const findings = values(run.outcome)
      expect(findings).toEqual(["api.example.test", "example.test"])
      expect(headersCarrying(run.server, basic)).toEqual(["authorization"])
      expectHidden(run, key)
      expectHidden(run, basic)
    }))

  it.scoped("an odd hit is skipped and counted; a failing later page keeps the earlier one", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(censys, [
        {
          request: page(),
          response: answer([{ names: ["a.example.test"] }, { names: "b.example.test" }, { parsed: {} }], "Next2")
        },
        {
          request: page("Next2"),
          response: { status: 429, json: { code: 429, status: "Too Many Requests", error: "rate limit exceeded" } }
        }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["a.example.test"])
      expect(run.notes.rows_skipped).toBe(2)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(censys, page(), key))
})
