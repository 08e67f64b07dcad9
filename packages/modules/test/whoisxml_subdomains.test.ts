/** whoisxml_subdomains against a declared WhoisXML API: the key in apiKey, records, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { whoisxmlSubdomains } from "@mirage/modules/modules/whoisxml_subdomains"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "at_whoisxml0123456789"
const request = { path: "/api/v1", query: { apiKey: key, domainName: "example.test", outputFormat: "JSON" } }
const answer = (records: ReadonlyArray<unknown>) => ({
  json: { search: "example.test", result: { count: records.length, records } }
})

describe("whoisxml_subdomains", () => {
  it.scoped("asks with the key in apiKey; keeps in-scope names with when they were seen", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(whoisxmlSubdomains, [{
        request,
        response: answer([
          { domain: "A.example.test", firstSeen: 1620000000, lastSeen: 1700000000 },
          { domain: "b.example.test", firstSeen: 1610000000, lastSeen: 1690000000 },
          { domain: "example.test.attacker.test", firstSeen: 1, lastSeen: 2 }
        ])
      }], { target, key })
      yield* run.server.verify
      const findings = values(run.outcome)
      expect(findings).toEqual(["a.example.test", "b.example.test"])
      expect(headersCarrying(run.server, key)).toEqual([])
      expectHidden(run, key)
    }))

  it.scoped("an odd record is skipped and counted; an answer without records is BadResponse", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(whoisxmlSubdomains, [{
        request,
        response: answer([{ domain: "a.example.test", firstSeen: "yesterday" }, { domain: "c.example.test" }])
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["c.example.test"])
      expect(odd.notes).toMatchObject({ rows_skipped: 1, skip_reason: expect.stringContaining("firstSeen") })
      const wrong = yield* collectAgainst(whoisxmlSubdomains, [{
        request,
        response: { json: { code: 422, messages: "domainName is invalid" } }
      }], { target, key })
      expect(failure(wrong.outcome)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(whoisxmlSubdomains, request, key))
})
