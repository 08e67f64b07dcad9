/** myssl against a declared MySSL: the request, names and addresses, null data, refusals and odd rows. */
import { describe, expect, it } from "@effect/vitest"
import { myssl } from "@mirage/modules/modules/myssl"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = { path: "/api/v1/discover_sub_domain", query: { domain: "example.test" } }
const row = (domain: string, ip: string) => ({ ip, port: "443", level: 2, domain, ip_location: "美国", tips: [] })

describe("myssl", () => {
  it.scoped("finds the names under the domain and the addresses they answered on", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(myssl, [{
        request,
        response: {
          json: {
            code: 0,
            data: [
              row("www.example.test", "192.0.2.1"),
              row("api.example.test", "192.0.2.1"),
              row("x.other.test", "192.0.2.9")
            ]
          }
        }
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN api.example.test",
        "DOMAIN www.example.test",
        "IP 192.0.2.1"
      ])
      expect(findings[2]?.metadata).toEqual({ hostnames: ["api.example.test", "www.example.test"] })
      expect(findings[0]?.source_data).toEqual({ evidence: [{ ip: "192.0.2.1", port: "443" }] })
    }))

  it.scoped("`data: null` is nothing known; a row without a domain is skipped and counted; a non-zero code refuses", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(myssl, [{ request, response: { json: { code: 0, data: null } } }], { target })
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(myssl, [{
        request,
        response: { json: { code: 0, data: [row("a.example.test", "192.0.2.2"), { ip: "192.0.2.3", port: 80 }] } }
      }], { target })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["a.example.test", "192.0.2.2"])
      expect(odd.notes).toMatchObject({ rows_skipped: 1, skip_reason: expect.stringContaining("domain") })
      const refused = yield* collectAgainst(myssl, [{ request, response: { json: { code: 10001, error: "busy" } } }], {
        target
      })
      expect(Either.flip(refused.outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "BadResponse",
        reason: "myssl refused: code 10001 busy"
      })
    }))
})
