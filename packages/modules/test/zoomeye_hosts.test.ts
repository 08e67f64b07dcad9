/** zoomeye_hosts against a declared ZoomEye: the host search's request, matches, another address's match, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { zoomeyeHosts } from "@mirage/modules/modules/zoomeye_hosts"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "zoomeye-key-77"
const request = {
  path: "/host/search",
  query: { query: "ip:\"198.51.100.60\"", page: "1" },
  headers: { "api-key": key }
}
const match = (address: string, port: number, portinfo: Record<string, unknown> = {}) => ({
  ip: address,
  portinfo: { port, service: "http", app: "Apache httpd", version: "2.4.58", os: "Linux", hostname: "", ...portinfo },
  geoinfo: { asn: 64550, organization: "Example Cloud", isp: "Example Cloud", country: { names: { en: "France" } } },
  timestamp: "2026-11-20T08:00:00"
})

describe("zoomeye_hosts", () => {
  it.scoped("each match's port and product, the AS and holder; a match of another address dropped; key in API-KEY", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(zoomeyeHosts, [{
        request,
        response: {
          json: {
            total: 3,
            available: 3,
            matches: [
              match("198.51.100.60", 80, { hostname: "www.example-cloud.test" }),
              match("198.51.100.60", 8443, { app: null, service: "https" }),
              match("198.51.100.61", 21)
            ]
          }
        }
      }], { target: ip("198.51.100.60"), key })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "OPEN_PORT 198.51.100.60:80",
        "TECHNOLOGY Apache httpd",
        "DOMAIN www.example-cloud.test",
        "ASN AS64550",
        "ORGANIZATION Example Cloud",
        "OPEN_PORT 198.51.100.60:8443"
      ])
      expect(Either.getOrThrow(run.outcome)[1]?.metadata).toEqual({
        ip: "198.51.100.60",
        port: 80,
        version: "2.4.58",
        os: "Linux"
      })
      expect(headersCarrying(run.server, key)).toEqual(["api-key"])
      expectHidden(run, key)
    }))

  it.scoped("an odd match is skipped and counted; an answer without matches is BadResponse; a rejected key AuthFailed", () =>
    Effect.gen(function*() {
      const partial = yield* collectAgainst(zoomeyeHosts, [{
        request,
        response: { json: { total: 2, matches: [match("198.51.100.60", 443), { ip: "198.51.100.60" }] } }
      }], { target: ip("198.51.100.60"), key })
      expect(found(partial.outcome)[0]).toBe("OPEN_PORT 198.51.100.60:443")
      expect(partial.notes.rows_skipped).toBe(1)
      const odd = yield* collectAgainst(zoomeyeHosts, [{
        request,
        response: { json: { error: "resource_not_found", message: "no data" } }
      }], { target: ip("198.51.100.60"), key })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      yield* checkRejected(zoomeyeHosts, request, key, ip("198.51.100.60"))
    }))
})
