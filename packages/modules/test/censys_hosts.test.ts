/** censys_hosts against a declared Censys: a host's services, software, certificates, AS and names; odd services; errors. */
import { describe, expect, it } from "@effect/vitest"
import { censysHosts } from "@mirage/modules/modules/censys_hosts"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "censys-id:censys-secret"
const basic = `Basic ${Buffer.from(key).toString("base64")}`
const sha = "ab".repeat(32)
const request = { path: "/api/v2/hosts/192.0.2.80", headers: { authorization: basic } }
const host = (services: ReadonlyArray<unknown>) => ({
  json: {
    code: 200,
    status: "OK",
    result: {
      ip: "192.0.2.80",
      services,
      location: { country: "Germany", country_code: "DE" },
      autonomous_system: {
        asn: 64540,
        description: "EXAMPLE-AS",
        bgp_prefix: "192.0.2.0/24",
        name: "EXAMPLE-AS",
        country_code: "DE"
      },
      dns: { names: ["origin.shop.example"], reverse_dns: { names: ["static-80.example.net"] } },
      last_updated_at: "2026-12-01T10:00:00.000Z"
    }
  }
})
const https = {
  port: 443,
  service_name: "HTTP",
  extended_service_name: "HTTPS",
  transport_protocol: "TCP",
  software: [{
    product: "nginx",
    vendor: "F5",
    version: "1.25.3",
    uniform_resource_identifier: "cpe:2.3:a:f5:nginx:1.25.3"
  }],
  certificate: sha,
  observed_at: "2026-12-01T09:00:00Z"
}

describe("censys_hosts", () => {
  it.scoped("ports, software with version and CPE, the certificate, the AS and prefix, forward and reverse names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(censysHosts, [{
        request,
        response: host([https, { port: 22, service_name: "SSH", transport_protocol: "TCP" }])
      }], { target: ip("192.0.2.80"), key })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "OPEN_PORT 192.0.2.80:443",
        "OPEN_PORT 192.0.2.80:22",
        "TECHNOLOGY nginx",
        `CERTIFICATE ${sha}`,
        "ASN AS64540",
        "NETBLOCK 192.0.2.0/24",
        "DOMAIN origin.shop.example",
        "DOMAIN static-80.example.net"
      ])
      const findings = Either.getOrThrow(run.outcome)
      expect(findings[0]?.metadata).toEqual({ transport: "tcp", service: "HTTPS", seen: "2026-12-01T09:00:00Z" })
      expect(findings[2]?.metadata).toMatchObject({ port: 443, vendor: "F5", version: "1.25.3" })
    }))

  it.scoped("an odd service is skipped and counted, the others kept; unknown (404) is nothing", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(censysHosts, [{ request, response: host([https, { port: "http" }]) }], {
        target: ip("192.0.2.80"),
        key
      })
      expect(found(run.outcome)).toContain("OPEN_PORT 192.0.2.80:443")
      expect(run.notes.rows_skipped).toBe(1)
      const unknown = yield* collectAgainst(censysHosts, [{
        request,
        response: { status: 404, json: { code: 404, status: "Not Found", error: "host not found" } }
      }], { target: ip("192.0.2.80"), key })
      expect(found(unknown.outcome)).toEqual([])
    }))

  it.scoped("an answer without result is BadResponse; a rejected or missing key AuthFailed", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(censysHosts, [{ request, response: { json: { code: 200, status: "OK" } } }], {
        target: ip("192.0.2.80"),
        key
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      yield* checkRejected(censysHosts, request, key, ip("192.0.2.80"))
    }))
})
