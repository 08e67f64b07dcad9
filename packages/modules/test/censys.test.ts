/** censys against a declared Censys Search API: HTTP Basic from `id:secret`, cursor paging, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { censys } from "@mirage/modules/modules/censys"
import { Effect, Either } from "effect"
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

  it.scoped("each certificate hit is a CERTIFICATE with its validity and issuer when the hit parses them", () =>
    Effect.gen(function*() {
      const fingerprint = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
      const run = yield* collectAgainst(censys, [{
        request: page(),
        response: answer([
          {
            names: ["www.example.test"],
            fingerprint_sha256: fingerprint,
            parsed: {
              issuer_dn: "C=US, O=Let's Encrypt, CN=R11",
              validity_period: { not_before: "2025-03-01T00:00:00Z", not_after: "2025-05-30T00:00:00Z" }
            }
          },
          // A hit whose parsed fields are odd still gives its certificate, without them.
          { names: ["api.example.test"], fingerprint_sha256: "ab".repeat(32), parsed: { validity_period: 7 } },
          { names: ["other.test"], fingerprint_sha256: "cd".repeat(32) }
        ], "")
      }], { target, key })
      yield* run.server.verify
      const certificates = Either.getOrThrow(run.outcome).filter((f) => f.type === "CERTIFICATE")
      expect(certificates.map((f) => [f.value, f.metadata])).toEqual([
        [fingerprint.toLowerCase(), {
          not_before: "2025-03-01T00:00:00Z",
          not_after: "2025-05-30T00:00:00Z",
          issuer: "C=US, O=Let's Encrypt, CN=R11",
          names: ["www.example.test"]
        }],
        ["ab".repeat(32), { names: ["api.example.test"] }]
      ])
      expect(censys.output_types).toEqual(["DOMAIN", "CERTIFICATE"])
    }))
})
