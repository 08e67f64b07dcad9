/** chaos against a declared Chaos API: the raw key in Authorization, labels and wildcards, odd rows, keys. */
import { describe, expect, it } from "@effect/vitest"
import { chaos } from "@mirage/modules/modules/chaos"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, failure, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "chaos-key-0123456789"
const request = { path: "/dns/example.test/subdomains", headers: { authorization: key } }

describe("chaos", () => {
  it.scoped("asks with the raw key in Authorization; labels and wildcard labels become names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(chaos, [{
        request,
        response: { json: { domain: "example.test", subdomains: ["www", "*.asdf.cloud", "Api", "*.cloud"] } }
      }], { target, key })
      yield* run.server.verify
      const findings = values(run.outcome)
      expect(findings).toEqual([
        "api.example.test",
        "asdf.cloud.example.test",
        "cloud.example.test",
        "www.example.test"
      ])
      expect(headersCarrying(run.server, key)).toEqual(["authorization"])
      expectHidden(run, key)
    }))

  it.scoped("an odd label is skipped and counted; a count answer instead of labels is BadResponse", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(chaos, [{
        request,
        response: { json: { domain: "example.test", subdomains: ["www", false] } }
      }], { target, key })
      expect(values(odd.outcome)).toEqual(["www.example.test"])
      expect(odd.notes).toMatchObject({ rows_skipped: 1, skip_reason: expect.stringContaining("string") })
      const count = yield* collectAgainst(chaos, [{
        request,
        response: { json: { domain: "example.test", subdomains: 65 } }
      }], { target, key })
      expect(failure(count.outcome)).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(chaos, request, key))
})
