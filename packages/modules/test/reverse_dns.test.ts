/** reverse_dns through its lifecycle against the fixture world's DNS server and a zone of its own. */
import { describe, expect, it } from "@effect/vitest"
import { reverseDns } from "@mirage/modules/modules/reverse_dns"
import * as DnsServer from "@mirage/testkit/DnsServer"
import { Effect, Exit, Scope } from "effect"
import { contextFor, worldWithContext } from "./support.js"

const ip = (value: string) => ({ target: { type: "IP" as const, value } })

const zone: DnsServer.Zone = {
  [DnsServer.reverseName("192.0.2.200")]: { PTR: ["good.example.test", "liar.example.test"] },
  "good.example.test": { A: ["192.0.2.200"] },
  "broken.example.test": { rcode: "SERVFAIL" },
  "also.example.test": { A: ["192.0.2.210"] },
  [DnsServer.reverseName("192.0.2.210")]: { PTR: ["broken.example.test", "also.example.test"] },
  "liar.example.test": { A: ["192.0.2.201"] },
  [DnsServer.reverseName("192.0.2.250")]: { rcode: "SERVFAIL" }
}

describe("reverse_dns", () => {
  it.scoped("finds the name an address points back to, IPv4 and IPv6", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("reverse_dns")
      const session = yield* reverseDns.open({}, ctx)
      const www = yield* session.collect(ip("192.0.2.11"))
      expect(www).toEqual([{
        type: "DOMAIN",
        value: "www.mirage-sandbox.test",
        confidence: 0.9,
        source_data: { ip: "192.0.2.11", ptr: "www.mirage-sandbox.test" },
        metadata: { record_type: "PTR", forward_confirmed: false }
      }])
      const v6 = yield* session.collect(ip("2001:0db8:0000::0010"))
      expect(v6.map((finding) => finding.value)).toEqual(["mirage-sandbox.test"])
      expect(world.dns.questions().map((question) => question.type)).toEqual(["PTR", "PTR"])
    }))

  it.scoped("an address without a PTR record has no findings", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("reverse_dns")
      const session = yield* reverseDns.open({}, ctx)
      expect(yield* session.collect(ip("10.9.9.9"))).toEqual([])
    }))

  it.scoped("verify_forward keeps only names that resolve back to the address", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const { ctx } = yield* contextFor("reverse_dns", { dnsServers: [server.address] })
      const unverified = yield* (yield* reverseDns.open({}, ctx)).collect(ip("192.0.2.200"))
      expect(unverified.map((finding) => finding.value).sort()).toEqual(["good.example.test", "liar.example.test"])
      const verified = yield* (yield* reverseDns.open({ verify_forward: true }, ctx)).collect(ip("192.0.2.200"))
      expect(verified.map(({ confidence, value }) => ({ value, confidence }))).toEqual([
        { value: "good.example.test", confidence: 1 }
      ])
    }))

  it.scoped("verify_forward: a name whose forward lookups fail is not confirmed, with a warning; the others are", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const { ctx } = yield* contextFor("reverse_dns", { dnsServers: [server.address] })
      const findings = yield* (yield* reverseDns.open({ verify_forward: true }, ctx)).collect(ip("192.0.2.210"))
      expect(findings.map((finding) => finding.value)).toEqual(["also.example.test"])
      expect((yield* ctx.notes.summary).warnings).toEqual([
        expect.stringContaining("broken.example.test could not be checked forward")
      ])
    }))

  it.scoped("a SERVFAIL reads as no PTR record: node:dns's reverse (c-ares gethostbyaddr) does not tell them apart", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const { ctx } = yield* contextFor("reverse_dns", { dnsServers: [server.address] })
      expect(yield* (yield* reverseDns.open({}, ctx)).collect(ip("192.0.2.250"))).toEqual([])
      expect(server.questions()).toContainEqual({ name: DnsServer.reverseName("192.0.2.250"), type: "PTR" })
    }))

  it.scoped("refuses a bad config and a target of the wrong type; cleanup runs when the scope closes", () =>
    Effect.gen(function*() {
      const { ctx, logs } = yield* worldWithContext("reverse_dns")
      expect((yield* Effect.flip(reverseDns.open({ verify_forward: 1 }, ctx))).message).toContain("verify_forward")
      const scope = yield* Scope.make()
      const session = yield* Scope.extend(reverseDns.open({}, ctx), scope)
      const wrong = yield* Effect.flip(session.collect({ target: { type: "DOMAIN", value: "example.test" } }))
      expect(wrong.message).toContain("does not take DOMAIN targets")
      yield* session.collect(ip("192.0.2.10"))
      yield* Scope.close(scope, Exit.void)
      expect(logs).toContainEqual({ message: "reverse_dns session closed", fields: { lookups: 1 } })
    }))
})
