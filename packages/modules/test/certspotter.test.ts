/** certspotter against the emulated Cert Spotter API: paging, scoping, the optional key and the API's refusals. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { certspotter } from "@mirage/modules/modules/certspotter"
import * as CertspotterServer from "@mirage/testkit/CertspotterServer"
import * as FixtureWorld from "@mirage/testkit/FixtureWorld"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either, Redacted } from "effect"
import { collectAgainst } from "./support.js"

const key = IntelWorld.keys.certspotter

const open = (options: { readonly key?: string; readonly config?: unknown } = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const logs: Array<{ readonly message: string; readonly fields: unknown }> = []
    const ctx = yield* makeModuleContext({
      module: "certspotter",
      endpoints: { dnsServers: [], ...intel.endpoints },
      timeoutMs: 5_000,
      ...(options.key === undefined ? {} : { credentials: Redacted.make(options.key) }),
      log: (message, fields = {}) => Effect.sync(() => void logs.push({ message, fields }))
    })
    const session = yield* certspotter.open(options.config ?? {}, ctx)
    return { intel, session, logs }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

describe("certspotter", () => {
  it.scoped("finds the in-scope names of every page of issuances, following `after`", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "api.mirage-sandbox.test"],
        ["DOMAIN", "mail.mirage-sandbox.test"],
        ["DOMAIN", "mirage-sandbox.test"],
        ["DOMAIN", "staging.mirage-sandbox.test"],
        ["DOMAIN", "vpn.mirage-sandbox.test"],
        ["DOMAIN", "www.mirage-sandbox.test"]
      ])
      // Pages of two, then the empty page that ends the listing.
      const base = "/v1/issuances?domain=mirage-sandbox.test&include_subdomains=true&expand=dns_names"
      expect(intel.certspotter.requestLog()).toEqual([
        base,
        `${base}&after=9211000002`,
        `${base}&after=9211000004`,
        `${base}&after=9211000006`
      ])
      const apex = findings.find((finding) => finding.value === "mirage-sandbox.test")
      expect(apex?.metadata).toEqual({ wildcard: true, issuance_count: 2 })
      expect(apex?.source_data).toEqual({ issuance_ids: ["9211000001", "9211000002"] })
      for (const absent of IntelWorld.expectedIntel.absent) expect(findings.map((f) => f.value)).not.toContain(absent)
      // Names the sandbox's DNS and crt.sh know too, and one only CT search knows.
      expect(FixtureWorld.expected.domains).toEqual(expect.arrayContaining(["api.mirage-sandbox.test"]))
      expect(FixtureWorld.expected.domains).not.toContain("staging.mirage-sandbox.test")
    }))

  it.scoped("keyless requests carry no Authorization; with a key it is a bearer token", () =>
    Effect.gen(function*() {
      const keyless = yield* open()
      yield* keyless.session.collect(target(IntelWorld.domain))
      expect(keyless.intel.certspotter.received()[0]?.headers.authorization).toBeUndefined()
      const keyed = yield* open({ key })
      yield* keyed.session.collect(target(IntelWorld.domain))
      expect(keyed.intel.certspotter.received().map((request) => request.headers.authorization)).toEqual(
        Array(4).fill(`Bearer ${key}`)
      )
      expect(JSON.stringify(keyed.logs)).not.toContain(key)
    }))

  it.scoped("max_pages bounds the paging", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open({ config: { max_pages: 1 } })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => finding.value)).toEqual(["mirage-sandbox.test", "www.mirage-sandbox.test"])
      expect(intel.certspotter.requests()).toBe(1)
    }))

  it.scoped("a subdomain target keeps only names under it; an unknown domain is no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      const staging = yield* session.collect(target("staging.mirage-sandbox.test"))
      expect(staging.map((finding) => [finding.value, finding.metadata["wildcard"]])).toEqual([
        ["staging.mirage-sandbox.test", true]
      ])
      expect(yield* session.collect(target("nothing-here.test"))).toEqual([])
    }))

  it.scoped("a rejected key is AuthFailed, without the key in the error", () =>
    Effect.gen(function*() {
      const { session } = yield* open({ key: "wrong-key-123" })
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "AuthFailed", status: 401 })
      expect(JSON.stringify(error)).not.toContain("wrong-key-123")
      expect(error.message).not.toContain("wrong-key-123")
    }))

  it.scoped("429 with Retry-After is RateLimited with retryAfterMs", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open({ key })
      yield* intel.certspotter.failNext(1, {
        status: 429,
        retryAfter: "1800",
        body: CertspotterServer.rateLimitedBody,
        contentType: "application/json"
      })
      const error = yield* Effect.flip(session.collect(target(IntelWorld.domain)))
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMs: 1_800_000 })
      expect(error.message).not.toContain(key)
    }))

  it.scoped("a rate_limited answer with status 200 is RateLimited too", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.certspotter.failNext(1, {
        status: 200,
        body: CertspotterServer.rateLimitedBody,
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "RateLimited" })
    }))

  it.scoped("a malformed answer, or one of which no row reads, is BadResponse", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.certspotter.failNext(1, { status: 200, body: "[{\"id\": \"1\", ", contentType: "application/json" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.certspotter.failNext(1, {
        status: 200,
        body: "[{\"id\": {\"n\": 7}, \"dns_names\": 3}]",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
    }))

  it.scoped("503 is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.certspotter.failNext(1, { status: 503 })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "SourceUnavailable",
        status: 503
      })
    }))

  it.scoped("numeric and missing ids are read; a later page failing keeps the earlier pages with a warning", () =>
    Effect.gen(function*() {
      const query = { domain: "example.test", include_subdomains: "true", expand: "dns_names" }
      const { notes, outcome, server } = yield* collectAgainst(certspotter, [
        {
          request: { path: "/v1/issuances", query, headers: { authorization: null } },
          response: {
            json: [
              { id: 9211000001, dns_names: ["www.example.test"] },
              { dns_names: ["*.api.example.test"] },
              { id: "9211000003", dns_names: ["mail.example.test"], revoked: "no" }
            ]
          }
        },
        {
          request: { path: "/v1/issuances", query: { ...query, after: "9211000001" } },
          response: { status: 404, json: { code: "not_found", message: "Not found" } }
        }
      ], { target: { type: "DOMAIN", value: "example.test" } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.value, f.source_data])).toEqual([
        ["api.example.test", { issuance_ids: [] }],
        ["www.example.test", { issuance_ids: ["9211000001"] }]
      ])
      // The row with `revoked: "no"` is skipped; paging goes on after the last id read.
      expect(notes.rows_skipped).toBe(1)
      expect(notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
    }))

  it.scoped("each certificate is a CERTIFICATE: its SHA-256 in lowercase hex, validity, issuer and names; capped", () =>
    Effect.gen(function*() {
      const query = { domain: "example.test", include_subdomains: "true", expand: "dns_names" }
      const sha = (c: string) => c.repeat(64)
      const rows = [
        {
          id: "1",
          cert_sha256: sha("A"),
          dns_names: ["example.test", "www.example.test"],
          not_before: "2025-01-01T00:00:00Z",
          not_after: "2025-04-01T00:00:00Z",
          issuer: { friendly_name: "Let's Encrypt", name: "C=US, O=Let's Encrypt, CN=R3" }
        },
        // The same certificate seen again (a precertificate and its certificate share nothing; a re-log does).
        { id: "2", cert_sha256: sha("a"), dns_names: ["api.example.test"], not_after: "2025-04-01T00:00:00Z" },
        { id: "3", cert_sha256: sha("b"), dns_names: ["*.example.test"], not_after: "2026-04-01T00:00:00Z" },
        // Not SHA-256, or out of scope: no CERTIFICATE.
        { id: "4", cert_sha256: "c".repeat(40), dns_names: ["old.example.test"] },
        { id: "5", cert_sha256: sha("d"), dns_names: ["shop.other.test"] },
        { id: "6", dns_names: ["nofingerprint.example.test"] }
      ]
      const run = (config: unknown) =>
        collectAgainst(certspotter, [
          { request: { path: "/v1/issuances", query }, response: { json: rows } },
          { request: { path: "/v1/issuances", query: { ...query, after: "6" } }, response: { json: [] } }
        ], { target: { type: "DOMAIN", value: "example.test" }, config })
      const all = yield* run({})
      yield* all.server.verify
      const certificates = Either.getOrThrow(all.outcome).filter((f) => f.type === "CERTIFICATE")
      // The latest-expiring first.
      expect(certificates.map((f) => f.value)).toEqual([sha("b"), sha("a")])
      expect(certificates[1]).toMatchObject({
        confidence: 0.9,
        metadata: {
          not_before: "2025-01-01T00:00:00Z",
          not_after: "2025-04-01T00:00:00Z",
          issuer: "Let's Encrypt",
          names: ["api.example.test", "example.test", "www.example.test"]
        },
        source_data: { evidence: [{ issuance_id: "1" }, { issuance_id: "2" }] }
      })
      expect(certificates[0]?.metadata).toEqual({ not_after: "2026-04-01T00:00:00Z", names: ["*.example.test"] })
      expect(certspotter.output_types).toEqual(["DOMAIN", "CERTIFICATE"])
      const capped = yield* run({ max_certificates: 1 })
      expect(Either.getOrThrow(capped.outcome).filter((f) => f.type === "CERTIFICATE").map((f) => f.value)).toEqual([
        sha("b")
      ])
      const none = yield* run({ max_certificates: 0 })
      expect(Either.getOrThrow(none.outcome).every((f) => f.type === "DOMAIN")).toBe(true)
    }))
})
