/** hunter_io against a declared Hunter API: the key in api_key, offset paging by meta.results, people and phones. */
import { describe, expect, it } from "@effect/vitest"
import { hunterIo } from "@mirage/modules/modules/hunter_io"
import { Effect, Either } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "hunter-key-0123456789"
const search = (offset: number) => ({
  path: "/v2/domain-search",
  query: { domain: "example.test", limit: "100", offset: String(offset), api_key: key },
  headers: { accept: "application/json" }
})
const email = (value: string, extra: Record<string, unknown> = {}) => ({
  value,
  type: "personal",
  confidence: 94,
  sources: [{ domain: "example.test", uri: "https://example.test/team", extracted_on: "2024-01-01" }],
  first_name: null,
  last_name: null,
  position: null,
  department: null,
  phone_number: null,
  verification: { date: "2024-02-01", status: "valid" },
  ...extra
})
const answer = (offset: number, results: number, emails: ReadonlyArray<unknown>) => ({
  json: {
    data: { domain: "example.test", organization: "Example Corp", pattern: "{first}.{last}", country: "DE", emails },
    meta: { results, limit: 100, offset, params: { domain: "example.test" } }
  }
})

describe("hunter_io", () => {
  it.scoped("asks with the key in api_key, by offset while meta.results has more; addresses, people, the company", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(hunterIo, [
        {
          request: search(0),
          response: answer(0, 150, [
            email("jane.doe@example.test", {
              first_name: "Jane",
              last_name: "Doe",
              position: "CTO",
              phone_number: "+49 30 1234567"
            }),
            email("someone@elsewhere.test")
          ])
        },
        {
          request: search(100),
          response: answer(100, 150, [email("info@example.test", { type: "generic", confidence: 60 })])
        }
      ], { target, key, config: { max_pages: 5 } })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "ORGANIZATION Example Corp",
        "EMAIL jane.doe@example.test",
        "PHONE +49301234567",
        "EMAIL info@example.test"
      ])
      expect(findings[1]).toMatchObject({
        confidence: 0.94,
        metadata: { first_name: "Jane", position: "CTO", verification: "valid", sources: 1 }
      })
      expect(findings[0]?.metadata).toMatchObject({ email_pattern: "{first}.{last}", domain: "example.test" })
      expect(headersCarrying(run.server, key)).toEqual([])
      expectHidden(run, key)
    }))

  it.scoped("an odd address is skipped and counted; a failing later page keeps the first; no emails is BadResponse", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(hunterIo, [
        { request: search(0), response: answer(0, 300, [email("a@example.test"), { value: 42 }]) },
        {
          request: search(100),
          response: { status: 429, json: { errors: [{ id: "too_many_requests", code: 429, details: "slow down" }] } }
        }
      ], { target, key, config: { max_pages: 3 } })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome).map((f) => f.value)).toEqual(["Example Corp", "a@example.test"])
      expect(run.notes.rows_skipped).toBe(1)
      expect(run.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
      const odd = yield* collectAgainst(hunterIo, [{ request: search(0), response: { json: { data: {} } } }], {
        target,
        key
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const sparse = yield* collectAgainst(hunterIo, [{
        request: search(0),
        response: { json: { data: { organization: "Example Corp", emails: [] }, meta: { results: 0 } } }
      }], { target, key })
      expect(Either.getOrThrow(sparse.outcome).map((f) => f.value)).toEqual(["Example Corp"])
    }))

  it.scoped("by default one page (a search of the quota each); a rejected key is AuthFailed; no key sends nothing", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(hunterIo, [
        { request: search(0), response: answer(0, 500, [email("a@example.test")]) }
      ], { target, key })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome)).toHaveLength(2)
      expect(run.notes.warnings.join(" ")).toContain("max_pages")
      yield* checkKeyRejected(hunterIo, search(0), key)
    }))
})
