/** otx_passive_dns against the emulated OTX: names and addresses, CNAME targets, NXDOMAIN, the optional key. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { otxPassiveDns } from "@mirage/modules/modules/otx_passive_dns"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either, Redacted } from "effect"
import { collectAgainst } from "./support.js"

const key = IntelWorld.keys.otx

const open = (options: { readonly key?: string; readonly config?: unknown } = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const logs: Array<unknown> = []
    const ctx = yield* makeModuleContext({
      module: "otx_passive_dns",
      endpoints: { dnsServers: [], ...intel.endpoints },
      timeoutMs: 5_000,
      ...(options.key === undefined ? {} : { credentials: Redacted.make(options.key) }),
      log: (message, fields = {}) => Effect.sync(() => void logs.push({ message, fields }))
    })
    return { intel, logs, session: yield* otxPassiveDns.open(options.config ?? {}, ctx) }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

describe("otx_passive_dns", () => {
  it.scoped("finds the names under the domain, on-domain CNAME targets and the addresses they had", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "api.mirage-sandbox.test"],
        ["DOMAIN", "cdn.mirage-sandbox.test"],
        ["DOMAIN", "edge.mirage-sandbox.test"],
        ["DOMAIN", "legacy.mirage-sandbox.test"],
        ["DOMAIN", "mail.mirage-sandbox.test"],
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "staging.mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"],
        ["IP", "192.0.2.10"],
        ["IP", "192.0.2.11"],
        ["IP", "192.0.2.12"],
        ["IP", "192.0.2.20"],
        ["IP", "2001:db8::11"]
      ])
      expect(findings.find((finding) => finding.value === "192.0.2.20")?.metadata).toEqual({
        hostnames: ["staging.mirage-sandbox.test"],
        first_seen: "2024-09-01T00:00:00",
        last_seen: "2025-05-01T00:00:00"
      })
      const values = findings.map((finding) => finding.value)
      expect(values).not.toContain("mx.hosting-provider.example")
      expect(values).not.toContain("NXDOMAIN")
      expect(intel.otx.requestLog()).toEqual(["/api/v1/indicators/domain/mirage-sandbox.test/passive_dns"])
      expect(intel.otx.received()[0]?.headers["x-otx-api-key"]).toBeUndefined()
    }))

  it.scoped("with a key it goes in X-OTX-API-KEY, never in logs; config drops addresses", () =>
    Effect.gen(function*() {
      const { intel, logs, session } = yield* open({ key, config: { ips: false } })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.every((finding) => finding.type === "DOMAIN")).toBe(true)
      expect(intel.otx.received()[0]?.headers["x-otx-api-key"]).toBe(key)
      expect(JSON.stringify(logs)).not.toContain(key)
    }))

  it.scoped("{\"passive_dns\": [], \"count\": 0} is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("quiet-domain.test"))).toEqual([])
    }))

  it.scoped("a rejected key (403) is AuthFailed, without the key", () =>
    Effect.gen(function*() {
      const { session } = yield* open({ key: "otx-wrong-key-5" })
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "AuthFailed", status: 403 })
      expect(JSON.stringify(error) + error.message).not.toContain("otx-wrong-key-5")
    }))

  it.scoped("429 is RateLimited with retryAfterMs; a malformed body BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open({ key })
      yield* intel.otx.failNext(1, { status: 429, retryAfter: "15" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 15_000
      })
      yield* intel.otx.failNext(1, { status: 200, body: "{\"passive_dns\": null}", contentType: "application/json" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("odd records are skipped and counted; numbers and nulls where text was documented are read", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(otxPassiveDns, [{
        request: { path: "/api/v1/indicators/domain/example.test/passive_dns", headers: { "x-otx-api-key": null } },
        response: {
          json: {
            passive_dns: [
              { hostname: "www.example.test", address: "192.0.2.1", record_type: "A", first: null, asn: 64500 },
              { hostname: "mx.example.test", address: null, record_type: "MX" },
              { hostname: "old.example.test", record_type: "A", last: "2024-01-01T00:00:00" },
              { hostname: 7, address: "192.0.2.9", record_type: "A" },
              { address: "192.0.2.10", record_type: "A" }
            ],
            count: "5"
          }
        }
      }], { target: { type: "DOMAIN", value: "example.test" } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.type, f.value, f.metadata["last_seen"]])).toEqual([
        ["DOMAIN", "mx.example.test", null],
        ["DOMAIN", "old.example.test", "2024-01-01T00:00:00"],
        ["DOMAIN", "www.example.test", null],
        ["IP", "192.0.2.1", null]
      ])
      expect(notes.rows_skipped).toBe(2)
      expect(notes.skip_reason).toContain("hostname")
    }))

  it.scoped("an unknown domain (404) is no findings", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(otxPassiveDns, [{
        request: { path: "/api/v1/indicators/domain/example.test/passive_dns" },
        response: { status: 404, json: { detail: "endpoint not found" } }
      }], { target: { type: "DOMAIN", value: "example.test" } })
      expect(outcome).toEqual(Either.right([]))
    }))
})
