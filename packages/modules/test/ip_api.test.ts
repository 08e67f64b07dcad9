/** ip_api against a declared ip-api.com: the fields it asks for, AS and organizations with location, its failures. */
import { describe, expect, it } from "@effect/vitest"
import { fields, ipApi } from "@mirage/modules/modules/ip_api"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = (value: string) => ({ target: { type: "IP" as const, value } })
const request = (ip: string) => ({ path: `/json/${ip}`, query: { fields }, headers: { accept: "application/json" } })

describe("ip_api", () => {
  it.scoped("asks for the address's fields and finds its AS, operator and ISP, located", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(ipApi, [{
        request: request("198.51.100.7"),
        response: {
          json: {
            status: "success",
            country: "Germany",
            countryCode: "DE",
            regionName: "Hesse",
            city: "Frankfurt am Main",
            lat: 50.1109,
            lon: 8.68213,
            timezone: "Europe/Berlin",
            isp: "Example Carrier GmbH",
            org: "Example Hosting",
            as: "AS64500 Example Carrier GmbH",
            asname: "EXAMPLE-AS",
            hosting: true,
            proxy: false,
            mobile: false,
            query: "198.51.100.7"
          }
        }
      }], target("198.51.100.7"))
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value])).toEqual([
        ["ASN", "AS64500"],
        ["ORGANIZATION", "Example Hosting"],
        ["ORGANIZATION", "Example Carrier GmbH"]
      ])
      expect(findings[0]?.metadata).toEqual({
        ip: "198.51.100.7",
        name: "EXAMPLE-AS",
        hosting: true,
        proxy: false,
        mobile: false,
        location: {
          country: "Germany",
          country_code: "DE",
          region: "Hesse",
          city: "Frankfurt am Main",
          latitude: 50.1109,
          longitude: 8.68213,
          timezone: "Europe/Berlin"
        }
      })
      expect(findings[1]?.metadata).toMatchObject({ roles: ["network operator"], asn: "AS64500" })
      expect(findings[2]?.metadata).toMatchObject({ roles: ["isp"] })
    }))

  it.scoped("the same name as operator and ISP is one organization with both roles; a partial answer keeps what it has", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(ipApi, [{
        request: request("192.0.2.9"),
        response: { json: { status: "success", isp: "Tiny ISP", org: "Tiny ISP", as: "", country: null } }
      }], target("192.0.2.9"))
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value, f.metadata["roles"]])).toEqual([
        ["ORGANIZATION", "Tiny ISP", ["network operator", "isp"]]
      ])
      expect(findings[0]?.metadata["location"]).toEqual({})
    }))

  it.scoped("a private address is no findings; an invalid query is a BadResponse; a malformed answer too", () =>
    Effect.gen(function*() {
      const privateRange = yield* collectAgainst(ipApi, [{
        request: request("10.1.2.3"),
        response: { json: { status: "fail", message: "private range", query: "10.1.2.3" } }
      }], target("10.1.2.3"))
      expect(Either.getOrThrow(privateRange.outcome)).toEqual([])
      const invalid = yield* collectAgainst(ipApi, [{
        request: request("192.0.2.1"),
        response: { json: { status: "fail", message: "invalid query" } }
      }], target("192.0.2.1"))
      expect(Either.getLeft(invalid.outcome)).toMatchObject({ _tag: "Some", value: { _tag: "BadResponse" } })
      const malformed = yield* collectAgainst(ipApi, [{
        request: request("192.0.2.1"),
        response: { json: { status: "success", as: 64500, lat: "north" } }
      }], target("192.0.2.1"))
      expect(Either.getLeft(malformed.outcome)).toMatchObject({ _tag: "Some", value: { _tag: "BadResponse" } })
      expect(malformed.notes.rows_skipped).toBe(1)
    }))

  it.scoped("its 429 states the wait in X-Ttl: RateLimited for that long", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(ipApi, [{
        request: request("192.0.2.1"),
        response: { status: 429, headers: { "x-ttl": "42", "x-rl": "0" }, body: "" }
      }], target("192.0.2.1"))
      expect(Either.getLeft(outcome)).toMatchObject({
        _tag: "Some",
        value: { _tag: "RateLimited", retryAfterMs: 42_000 }
      })
    }))

  it.scoped("a key goes in ?key= for the pro endpoint", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(ipApi, [{
        request: { path: "/json/192.0.2.1", query: { fields, key: "pro-key" } },
        response: { json: { status: "success", as: "AS64501 Pro" } }
      }], { ...target("192.0.2.1"), key: "pro-key" })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["AS64501"])
    }))
})
