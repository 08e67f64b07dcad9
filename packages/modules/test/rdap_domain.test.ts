/** rdap_domain against the emulated RDAP bootstrap and registry: redirects, jCard contacts, name servers, 404. */
import { describe, expect, it } from "@effect/vitest"
import { makeModuleContext } from "@mirage/modules/Module"
import { rdapDomain } from "@mirage/modules/modules/rdap_domain"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

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

  const registry = {
    objectClassName: "domain",
    ldhName: "EXAMPLE.TEST",
    links: [
      { rel: "self", href: "/domain/example.test", type: "application/rdap+json" },
      { rel: "related", href: "/registrar/domain/example.test", type: "application/rdap+json" },
      { rel: "related", href: "https://registrar.example/whois", type: "text/html" }
    ],
    entities: [
      {
        roles: ["registrar"],
        handle: 9999,
        vcardArray: ["vcard", [["kind", {}, "text", "org"], ["fn", {}, "text", "Example Registrar LLC"]]]
      },
      "not an entity"
    ],
    nameservers: [{ ldhName: "NS1.EXAMPLE.NET" }, { name: "ns2" }]
  }

  it.scoped("follows the registry's related link to the registrar's record and reads its jCards in full", () =>
    Effect.gen(function*() {
      const registrar = {
        objectClassName: "domain",
        ldhName: "example.test",
        entities: [
          {
            roles: ["registrant"],
            vcardArray: ["vcard", [
              ["version", {}, "text", "4.0"],
              ["kind", {}, "text", "individual"],
              ["fn", {}, "text", "Jane Doe"],
              ["org", {}, "text", ["Example Widgets Ltd", "IT"]],
              ["email", {}, "text", "jane@example.test"],
              ["email", { type: "work" }, "text", "it@example.test"],
              ["tel", { type: ["voice"] }, "uri", "tel:+44.2071234567;ext=12"],
              ["adr", {}, "text", ["", "", "1 High Street", "London", "", "EC1A 1AA", "GB"]],
              7
            ]]
          },
          {
            roles: "registrar",
            vcardArray: ["vcard", [["fn", {}, "text", "Example Registrar LLC"], ["kind", {}, "text", "org"]]],
            entities: [{
              roles: ["abuse"],
              vcardArray: ["vcard", [
                ["fn", {}, "text", "Abuse desk"],
                ["email", {}, "text", "abuse@registrar.example"],
                ["tel", {}, "text", "+1.5555550100"]
              ]]
            }, 42]
          }
        ]
      }
      const { notes, outcome, server } = yield* collectAgainst(rdapDomain, [
        { request: { path: "/domain/example.test" }, response: { json: registry } },
        { request: { path: "/registrar/domain/example.test" }, response: { json: registrar } }
      ], { target: { type: "DOMAIN", value: "example.test" }, config: { include_registrar: true } })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value, f.metadata["roles"]])).toEqual([
        ["DOMAIN", "ns1.example.net", undefined],
        ["EMAIL", "abuse@registrar.example", ["abuse"]],
        ["EMAIL", "it@example.test", ["registrant"]],
        ["EMAIL", "jane@example.test", ["registrant"]],
        ["ORGANIZATION", "Example Registrar LLC", ["registrar"]],
        ["ORGANIZATION", "Example Widgets Ltd", ["registrant"]],
        ["PHONE", "+15555550100", ["abuse"]],
        ["PHONE", "+442071234567", ["registrant"]]
      ])
      expect(findings.find((f) => f.value === "Example Widgets Ltd")?.metadata).toMatchObject({
        name: "Jane Doe",
        address: "1 High Street, London, EC1A 1AA, GB"
      })
      // The registry's string entity and name server without ldhName, the registrar's number entity (an odd
      // vCard property is passed over, not counted).
      expect(notes.rows_skipped).toBe(3)
      expect(notes.warnings).toEqual([])
    }))

  it.scoped("when the registrar's server fails, the registry's answer is used alone, with a warning", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(rdapDomain, [
        { request: { path: "/domain/example.test" }, response: { json: registry } },
        { request: { path: "/registrar/domain/example.test" }, response: { status: 503, body: "down" } }
      ], { target: { type: "DOMAIN", value: "example.test" }, config: { include_registrar: true } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.type, f.value])).toEqual([
        ["DOMAIN", "ns1.example.net"],
        ["ORGANIZATION", "Example Registrar LLC"]
      ])
      expect(notes.warnings).toEqual([expect.stringContaining("registrar's RDAP record could not be read")])
    }))
})
