/** otx_reputation against a declared OTX: the indicator sections, pulses as report URLs, the AS, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { otxReputation } from "@mirage/modules/modules/otx_reputation"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "otx-key-0123456789abcdef"
const ip = { type: "IP" as const, value: "192.0.2.66" }
const request = { path: "/api/v1/indicators/IPv4/192.0.2.66/general", headers: { accept: "application/json" } }
const pulse = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  description: "",
  created: "2025-01-02T03:04:05.000000",
  modified: "2025-01-03T03:04:05.000000",
  tags: ["mirai", "botnet"],
  adversary: "",
  malware_families: [{ id: "Mirai", display_name: "Mirai", target: null }],
  attack_ids: [{ id: "T1498", name: "Network Denial of Service", display_name: "T1498 - Network Denial of Service" }],
  references: ["https://reports.example.test/mirai"],
  TLP: "white",
  ...extra
})
const general = (pulses: ReadonlyArray<unknown>, extra: Record<string, unknown> = {}) => ({
  json: {
    indicator: "192.0.2.66",
    type: "IPv4",
    reputation: 0,
    pulse_info: { count: pulses.length, pulses, references: [], related: {} },
    asn: "AS64511 Example Transit Ltd",
    country_code: "GB",
    country_name: "United Kingdom of Great Britain and Northern Ireland",
    city: null,
    ...extra
  }
})

describe("otx_reputation", () => {
  it.scoped("an address's pulses as report URLs with their tags and families; its AS; the key in X-OTX-API-KEY", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(otxReputation, [{
        request: { ...request, headers: { ...request.headers, "x-otx-api-key": key } },
        response: general([pulse("65a1b2c3d4e5f60718293a4b", "Mirai C2 servers")])
      }], { target: ip, key })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "URL https://otx.alienvault.com/pulse/65a1b2c3d4e5f60718293a4b",
        "ASN AS64511"
      ])
      expect(findings[0]?.metadata).toMatchObject({
        pulse: "Mirai C2 servers",
        pulse_count: 1,
        tags: ["mirai", "botnet"],
        malware_families: ["Mirai"],
        attack_ids: ["T1498"],
        references: ["https://reports.example.test/mirai"]
      })
      expect(findings[1]?.metadata).toMatchObject({ name: "Example Transit Ltd", country_code: "GB" })
      expect(headersCarrying(run.server, key)).toEqual(["x-otx-api-key"])
      expectHidden(run, key)
    }))

  it.scoped("domains and IPv6 addresses ask their own sections; a domain without pulses or AS is nothing; 400 is nothing", () =>
    Effect.gen(function*() {
      const domain = yield* collectAgainst(otxReputation, [{
        request: { path: "/api/v1/indicators/domain/example.test/general" },
        response: { json: { indicator: "example.test", type: "domain", pulse_info: { count: 0, pulses: [] } } }
      }], { target: { type: "DOMAIN", value: "example.test" } })
      yield* domain.server.verify
      expect(Either.getOrThrow(domain.outcome)).toEqual([])
      const v6 = yield* collectAgainst(otxReputation, [{
        request: { path: "/api/v1/indicators/IPv6/2001:db8::66/general" },
        response: { status: 400, json: { detail: "Invalid indicator" } }
      }], { target: { type: "IP", value: "2001:db8::66" } })
      yield* v6.server.verify
      expect(Either.getOrThrow(v6.outcome)).toEqual([])
    }))

  it.scoped("an odd pulse is skipped and counted; an answer without pulse_info is BadResponse", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(otxReputation, [{
        request,
        response: general([pulse("65a1b2c3d4e5f60718293a4b", "Good"), { name: "no id" }])
      }], { target: ip })
      expect(Either.getOrThrow(run.outcome).map((f) => f.type)).toEqual(["URL", "ASN"])
      expect(run.notes.rows_skipped).toBe(1)
      const odd = yield* collectAgainst(otxReputation, [{ request, response: { json: { detail: "odd" } } }], {
        target: ip
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
