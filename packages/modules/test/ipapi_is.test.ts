/** ipapi_is against a declared ipapi.is: its request, a data-centre VPN address, a bogon, refusals, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { ipapiIs } from "@mirage/modules/modules/ipapi_is"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"
import { found, ip } from "./threatSupport.js"

const answer = (extra: Record<string, unknown> = {}) => ({
  json: {
    ip: "192.0.2.99",
    rir: "RIPE",
    is_bogon: false,
    is_mobile: false,
    is_crawler: false,
    is_datacenter: true,
    is_tor: false,
    is_proxy: false,
    is_vpn: true,
    is_abuser: false,
    company: {
      name: "Tunnel Co",
      abuser_score: "0.001 (Low)",
      domain: "tunnel.example",
      type: "hosting",
      network: "192.0.2.0 - 192.0.2.255"
    },
    asn: {
      asn: 64520,
      abuser_score: "0.01 (Low)",
      route: "192.0.2.0/24",
      descr: "TUNNEL, NL",
      country: "nl",
      org: "Tunnel Co",
      type: "hosting"
    },
    location: { country_code: "NL", city: "Amsterdam" },
    elapsed_ms: 0.4,
    ...extra
  }
})

describe("ipapi_is", () => {
  it.scoped("keyless: the AS, its route, the holder, and the address itself because it is a VPN", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(ipapiIs, [{
        request: { path: "/", query: { q: "192.0.2.99" }, headers: { accept: "application/json" } },
        response: answer()
      }], { target: ip("192.0.2.99") })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "ASN AS64520",
        "NETBLOCK 192.0.2.0/24",
        "ORGANIZATION Tunnel Co",
        "IP 192.0.2.99"
      ])
      expect(Either.getOrThrow(run.outcome)[3]?.metadata).toEqual({
        ipapi: {
          datacenter: true,
          tor: false,
          proxy: false,
          vpn: true,
          abuser: false,
          mobile: false,
          company_type: "hosting",
          country_code: "NL",
          city: "Amsterdam",
          rir: "RIPE"
        }
      })
    }))

  it.scoped("with a key: sent as the key parameter; an ordinary address is not reported itself; a bogon is nothing", () =>
    Effect.gen(function*() {
      const keyed = yield* collectAgainst(ipapiIs, [{
        request: { path: "/", query: { q: "192.0.2.99", key: "ipapi-key-1" } },
        response: answer({ is_vpn: false, is_datacenter: false })
      }], { target: ip("192.0.2.99"), key: "ipapi-key-1" })
      yield* keyed.server.verify
      expect(found(keyed.outcome)).toEqual(["ASN AS64520", "NETBLOCK 192.0.2.0/24", "ORGANIZATION Tunnel Co"])
      const bogon = yield* collectAgainst(ipapiIs, [{
        request: { path: "/", query: { q: "10.9.8.7" } },
        response: { json: { ip: "10.9.8.7", is_bogon: true } }
      }], { target: ip("10.9.8.7") })
      expect(found(bogon.outcome)).toEqual([])
    }))

  it.scoped("an error in a 200 is a refusal (a quota RateLimited); an answer without ip is BadResponse", () =>
    Effect.gen(function*() {
      const quota = yield* collectAgainst(ipapiIs, [{
        request: { path: "/", query: { q: "192.0.2.99" } },
        response: { json: { error: "Daily quota limit exceeded" } }
      }], { target: ip("192.0.2.99") })
      expect(quota.outcome).toMatchObject({ left: { _tag: "RateLimited" } })
      const odd = yield* collectAgainst(ipapiIs, [{
        request: { path: "/", query: { q: "192.0.2.99" } },
        response: { json: { asn: { asn: "many" } } }
      }], { target: ip("192.0.2.99") })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
