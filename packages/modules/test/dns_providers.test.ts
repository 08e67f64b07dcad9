/** dns_providers against a zone on the testkit's DNS server: MX, NS and SPF includes matched to their providers. */
import { describe, expect, it } from "@effect/vitest"
import { dnsProviders, mailProviders, providerOf } from "@mirage/modules/internal/Providers"
import { dnsProvidersModule } from "@mirage/modules/modules/dns_providers"
import { Effect, Either } from "effect"
import { collectInZone } from "./dnsZone.js"

const zone = {
  "example.test": {
    MX: [
      { priority: 1, exchange: "aspmx.l.google.com" },
      { priority: 5, exchange: "alt1.aspmx.l.google.com" },
      { priority: 10, exchange: "mx.self-hosted.test" }
    ],
    NS: ["ns-1234.awsdns-26.org", "ns-99.awsdns-01.com", "ns1.self-hosted.test"],
    TXT: ["v=spf1 include:_spf.google.com include:sendgrid.net include:%{i}._spf.example.test -all"]
  },
  "empty.test": { A: ["192.0.2.1"] }
}

describe("dns_providers", () => {
  it.scoped("names each provider once per role with the hosts that matched; unknown hosts are left out", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(dnsProvidersModule, zone, "example.test")
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.value, f.metadata["role"], f.metadata["hosts"]])).toEqual([
        ["Amazon Route 53", "dns", ["ns-1234.awsdns-26.org", "ns-99.awsdns-01.com"]],
        ["Google Workspace", "email sender", ["_spf.google.com"]],
        ["Google Workspace", "mail", ["alt1.aspmx.l.google.com", "aspmx.l.google.com"]],
        ["SendGrid", "email sender", ["sendgrid.net"]]
      ])
      expect(questions).toEqual(["MX example.test", "NS example.test", "TXT example.test"])
    }))

  it.scoped("a domain with no MX, NS or SPF is no findings", () =>
    Effect.gen(function*() {
      expect(Either.getOrThrow((yield* collectInZone(dnsProvidersModule, zone, "empty.test")).outcome)).toEqual([])
    }))

  it("matches the longest suffix, on label boundaries", () => {
    expect(providerOf("example-com.mail.protection.outlook.com.", mailProviders)).toBe("Microsoft 365")
    expect(providerOf("notgoogle.com", mailProviders)).toBeUndefined()
    expect(providerOf("ada.ns.cloudflare.com", dnsProviders)).toBe("Cloudflare")
  })
})
