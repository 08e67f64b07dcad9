/**
 * zoomeye_hosts against a declared ZoomEye asset search v2: the POST's body (the address's query in base64, its
 * family, the fields asked for) and key header, the records, another address's record, odd answers and refusals.
 */
import { describe, expect, it } from "@effect/vitest"
import { zoomeyeFields, zoomeyeHosts } from "@mirage/modules/modules/zoomeye_hosts"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "zoomeye-key-77"
const search = (address: string) => ({
  method: "POST",
  path: "/v2/search",
  body: JSON.stringify({
    qbase64: Buffer.from(`ip="${address}"`).toString("base64"),
    sub_type: address.includes(":") ? "v6" : "v4",
    page: 1,
    pagesize: 100,
    fields: zoomeyeFields
  }),
  headers: { "api-key": key, "content-type": "application/json" }
})
const request = search("198.51.100.60")
const record = (address: string, port: number, fields: Record<string, unknown> = {}) => ({
  ip: address,
  port,
  protocol: "tcp",
  service: "http",
  product: "Apache httpd",
  version: "2.4.58",
  os: "Linux",
  hostname: "",
  rdns: "",
  asn: 64550,
  "isp.name": "Example Cloud",
  "organization.name": "Example Cloud",
  update_time: "2026-11-20T08:00:00",
  ...fields
})
const answer = (data: ReadonlyArray<unknown>) => ({
  json: { code: 60000, message: "success", total: data.length, query: "ip=\"198.51.100.60\"", data }
})

describe("zoomeye_hosts", () => {
  it.scoped("each record's port and product, its names, the AS and holder; another address's record dropped", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(zoomeyeHosts, [{
        request,
        response: answer([
          record("198.51.100.60", 80, { hostname: "www.example-cloud.test", rdns: "host60.example-cloud.test" }),
          record("198.51.100.60", 8443, { product: "", service: "https" }),
          record("198.51.100.61", 21)
        ])
      }], { target: ip("198.51.100.60"), key })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "OPEN_PORT 198.51.100.60:80",
        "TECHNOLOGY Apache httpd",
        "DOMAIN www.example-cloud.test",
        "DOMAIN host60.example-cloud.test",
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
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toEqual({
        transport: "tcp",
        service: "http",
        seen: "2026-11-20T08:00:00"
      })
      expect(headersCarrying(run.server, key)).toEqual(["api-key"])
      expectHidden(run, key)
    }))

  it.scoped("an IPv6 address is asked as v6", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(zoomeyeHosts, [{
        request: search("2001:db8::60"),
        response: answer([record("2001:db8::60", 443, { product: "" })])
      }], { target: ip("2001:db8::60"), key })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual(["OPEN_PORT [2001:db8::60]:443", "ASN AS64550", "ORGANIZATION Example Cloud"])
    }))

  it.scoped("an odd record is skipped and counted; another code is a refusal; no data list is BadResponse; a rejected key AuthFailed", () =>
    Effect.gen(function*() {
      const partial = yield* collectAgainst(zoomeyeHosts, [{
        request,
        response: answer([record("198.51.100.60", 443), { ip: "198.51.100.60" }])
      }], { target: ip("198.51.100.60"), key })
      expect(found(partial.outcome)[0]).toBe("OPEN_PORT 198.51.100.60:443")
      expect(partial.notes.rows_skipped).toBe(1)
      const spent = yield* collectAgainst(zoomeyeHosts, [{
        request,
        response: { json: { code: 60010, message: "insufficient credits" } }
      }], { target: ip("198.51.100.60"), key })
      expect(spent.outcome).toMatchObject({ left: { _tag: "RateLimited" } })
      const odd = yield* collectAgainst(zoomeyeHosts, [{
        request,
        response: { json: { code: 60000, message: "success", total: 0 } }
      }], { target: ip("198.51.100.60"), key })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      yield* checkRejected(zoomeyeHosts, request, key, ip("198.51.100.60"))
    }))
})
