/** rdap_domain against the emulated RDAP bootstrap and registry: redirects, jCard contacts, name servers, 404. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { rdapDomain } from "@mirage/modules/modules/rdap_domain"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect } from "effect"

const open = (config: unknown = {}) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const ctx = yield* makeModuleContext({
      module: "rdap_domain",
      endpoints: { dnsServers: [], ...intel.endpoints },
      timeoutMs: 5_000,
      log: () => Effect.void
    })
    return { intel, session: yield* rdapDomain.open(config, ctx) }
  })

const target = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

describe("rdap_domain", () => {
  it.scoped("follows the bootstrap to the registry and finds the holder, its email and the name servers", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["DOMAIN", "ns1.sandbox-dns.test"],
        ["DOMAIN", "ns2.sandbox-dns.test"],
        ["EMAIL", "hostmaster@mirage-sandbox.test"],
        ["ORGANIZATION", "Mirage Sandbox Ltd"]
      ])
      expect(intel.rdap.requestLog()).toEqual([
        "/domain/mirage-sandbox.test",
        "/registry/domain/mirage-sandbox.test"
      ])
      expect(intel.rdap.received()[0]?.headers.accept).toContain("application/rdap+json")
      // The same address is the registrant's and the technical contact's.
      expect(findings.find((finding) => finding.type === "EMAIL")?.metadata).toMatchObject({
        roles: ["administrative", "registrant", "technical"],
        domain: "mirage-sandbox.test"
      })
      expect(findings.map((finding) => finding.value)).not.toContain("abuse@sandbox-registrar.test")
      expect(findings.map((finding) => finding.value)).not.toContain("Sandbox Registrar Inc")
    }))

  it.scoped("config: the registrar and its abuse desk, without name servers", () =>
    Effect.gen(function*() {
      const { session } = yield* open({ include_registrar: true, nameservers: false })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([
        ["EMAIL", "abuse@sandbox-registrar.test"],
        ["EMAIL", "hostmaster@mirage-sandbox.test"],
        ["ORGANIZATION", "Mirage Sandbox Ltd"],
        ["ORGANIZATION", "Sandbox Registrar Inc"]
      ])
    }))

  it.scoped("a name the registry does not hold (a subdomain) is a 404: no findings", () =>
    Effect.gen(function*() {
      const { session } = yield* open()
      expect(yield* session.collect(target("www.mirage-sandbox.test"))).toEqual([])
    }))

  it.scoped("placeholders for redacted data are not findings", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.rdap.failNext(1, {
        status: 200,
        contentType: "application/rdap+json",
        body: JSON.stringify({
          objectClassName: "domain",
          ldhName: "mirage-sandbox.test",
          entities: [{
            roles: ["registrant"],
            vcardArray: ["vcard", [
              ["version", {}, "text", "4.0"],
              ["fn", {}, "text", "REDACTED FOR PRIVACY"],
              ["org", {}, "text", "Mirage Sandbox Ltd"],
              ["email", {}, "text", "Please query the RDDS service of the Registrar of Record"]
            ]]
          }]
        })
      })
      const findings = yield* session.collect(target(IntelWorld.domain))
      expect(findings.map((finding) => [finding.type, finding.value])).toEqual([["ORGANIZATION", "Mirage Sandbox Ltd"]])
    }))

  it.scoped("a non-RDAP answer is BadResponse; 429 RateLimited; 403 AuthFailed", () =>
    Effect.gen(function*() {
      const { intel, session } = yield* open()
      yield* intel.rdap.failNext(1, {
        status: 200,
        body: "{\"objectClassName\":\"entity\"}",
        contentType: "application/json"
      })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "BadResponse" })
      yield* intel.rdap.failNext(1, { status: 429, retryAfter: "10" })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({
        _tag: "RateLimited",
        retryAfterMs: 10_000
      })
      yield* intel.rdap.failNext(1, { status: 403 })
      expect(yield* Effect.flip(session.collect(target(IntelWorld.domain)))).toMatchObject({ _tag: "AuthFailed" })
    }))
})
