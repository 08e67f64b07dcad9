/** ipinfo against a declared IPinfo: its request (keyless or with a token), AS, holder, PTR name, bogons, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { ipinfo, splitOrg } from "@mirage/modules/modules/ipinfo"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = (value: string) => ({ target: { type: "IP" as const, value } })

describe("ipinfo", () => {
  it.scoped("keyless: the AS and its holder from org, the reverse name, the location", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(ipinfo, [{
        request: { path: "/198.51.100.7/json", headers: { accept: "application/json", authorization: null } },
        response: {
          json: {
            ip: "198.51.100.7",
            hostname: "edge-7.Example.test",
            city: "Amsterdam",
            region: "North Holland",
            country: "NL",
            loc: "52.3740,4.8897",
            org: "AS64500 Example Networks B.V.",
            postal: "1012",
            timezone: "Europe/Amsterdam",
            readme: "https://ipinfo.io/missingauth"
          }
        }
      }], target("198.51.100.7"))
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value])).toEqual([
        ["ASN", "AS64500"],
        ["ORGANIZATION", "Example Networks B.V."],
        ["DOMAIN", "edge-7.example.test"]
      ])
      expect(findings[0]?.metadata).toEqual({
        ip: "198.51.100.7",
        name: "Example Networks B.V.",
        location: {
          city: "Amsterdam",
          region: "North Holland",
          country_code: "NL",
          latitude: 52.374,
          longitude: 4.8897,
          timezone: "Europe/Amsterdam"
        }
      })
    }))

  it.scoped("with a token: sent as Bearer; a paid answer's asn.route is the NETBLOCK and company the holder", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(ipinfo, [{
        request: { path: "/192.0.2.44/json", headers: { authorization: "Bearer tok-123" } },
        response: {
          json: {
            ip: "192.0.2.44",
            asn: { asn: "AS64501", name: "Carrier One", domain: "carrier.test", route: "192.0.2.0/24", type: "isp" },
            company: { name: "Shop Corp", domain: "shop.test", type: "business" }
          }
        }
      }], { ...target("192.0.2.44"), key: "tok-123" })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value])).toEqual([
        ["ASN", "AS64501"],
        ["ORGANIZATION", "Shop Corp"],
        ["NETBLOCK", "192.0.2.0/24"]
      ])
      expect(findings[1]?.metadata).toMatchObject({ asn: "AS64501", domain: "shop.test" })
    }))

  it.scoped("a bogon is no findings; an answer without its ip is a BadResponse, the row counted", () =>
    Effect.gen(function*() {
      const bogon = yield* collectAgainst(ipinfo, [{
        request: { path: "/10.0.0.1/json" },
        response: { json: { ip: "10.0.0.1", bogon: true } }
      }], target("10.0.0.1"))
      expect(Either.getOrThrow(bogon.outcome)).toEqual([])
      const odd = yield* collectAgainst(ipinfo, [{
        request: { path: "/192.0.2.1/json" },
        response: { json: { hostname: "x.example.test", org: 64500 } }
      }], target("192.0.2.1"))
      expect(Either.getLeft(odd.outcome)).toMatchObject({ _tag: "Some", value: { _tag: "BadResponse" } })
      expect(odd.notes.rows_skipped).toBe(1)
    }))

  it.scoped("429 honours Retry-After", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(ipinfo, [{
        request: { path: "/192.0.2.1/json" },
        response: {
          status: 429,
          headers: { "retry-after": "60" },
          json: { status: 429, error: { title: "Rate limit" } }
        }
      }], target("192.0.2.1"))
      expect(Either.getLeft(outcome)).toMatchObject({
        _tag: "Some",
        value: { _tag: "RateLimited", retryAfterMs: 60_000 }
      })
    }))

  it("splits org into AS and holder", () => {
    expect(splitOrg("AS15169 Google LLC")).toEqual({ asn: "AS15169", name: "Google LLC" })
    expect(splitOrg("Some Org")).toEqual({ name: "Some Org" })
  })
})
