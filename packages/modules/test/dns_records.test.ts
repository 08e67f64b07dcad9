/** dns_records through its lifecycle against the fixture world's DNS server, and its record parsers. */
import { describe, expect, it } from "@effect/vitest"
import { dnsRecords, rnameToEmail, spfDomains, txtEmails } from "@mirage/modules/modules/dns_records"
import * as DnsServer from "@mirage/testkit/DnsServer"
import { Effect, Either, Option } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const defaults = Either.getOrThrow(dnsRecords.decodeConfig({}))

const pairs = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  findings.map(({ type, value }) => `${type} ${value}`).sort()

describe("dns_records", () => {
  it.scoped("finds the mail exchanger, name server, SOA, SPF include and DMARC mailboxes of the domain", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_records")
      const session = yield* dnsRecords.setup(defaults, ctx)
      const findings = yield* dnsRecords.collect(session, domainTarget(world.domain))
      expect(pairs(findings)).toEqual([
        "DOMAIN _spf.mailhost.example",
        "DOMAIN mail.mirage-sandbox.test",
        "DOMAIN ns1.mirage-sandbox.test",
        "EMAIL dmarc-reports@mirage-sandbox.test",
        "EMAIL forensics@mailhost.example",
        "EMAIL hostmaster@mirage-sandbox.test"
      ])
      const spf = findings.find((finding) => finding.value === "_spf.mailhost.example")
      expect(spf).toMatchObject({ confidence: 1, metadata: { record_type: "TXT" }, source_data: { spf: "include" } })
      // ns1 is both the NS and the SOA's MNAME: reported once, as the first record that named it.
      expect(findings.find((finding) => finding.value === "ns1.mirage-sandbox.test")?.metadata).toEqual({
        record_type: "NS"
      })
      expect(world.dns.questions().map((question) => `${question.type} ${question.name}`).sort()).toEqual([
        "MX mirage-sandbox.test",
        "NS mirage-sandbox.test",
        "SOA mirage-sandbox.test",
        "TXT _dmarc.mirage-sandbox.test",
        "TXT mirage-sandbox.test"
      ])
    }))

  it.scoped("a name without such records, or an alias, has no findings", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_records")
      const session = yield* dnsRecords.setup(defaults, ctx)
      expect(yield* dnsRecords.collect(session, domainTarget("www.mirage-sandbox.test"))).toEqual([])
      expect(yield* dnsRecords.collect(session, domainTarget("nothing.mirage-sandbox.test"))).toEqual([])
      // cdn is a CNAME: its SOA question is answered with the alias, which is no SOA.
      expect(yield* dnsRecords.collect(session, domainTarget("cdn.mirage-sandbox.test"))).toEqual([])
    }))

  it.scoped("SERVFAIL to every question is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_records")
      // Without DMARC every question is about the broken name itself.
      const session = yield* dnsRecords.open({ dmarc: false }, ctx)
      const error = yield* Effect.flip(session.collect(domainTarget("broken.mirage-sandbox.test")))
      expect(error._tag).toBe("SourceUnavailable")
    }))

  it.scoped("config turns record types off", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_records")
      const session = yield* dnsRecords.open({ txt: false, dmarc: false, soa: false, ns: false }, ctx)
      expect(pairs(yield* session.collect(domainTarget(world.domain)))).toEqual(["DOMAIN mail.mirage-sandbox.test"])
      expect(world.dns.questions().map((question) => question.type)).toEqual(["MX"])
    }))

  it.scoped("open refuses a bad config and a target of the wrong type", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_records")
      const bad = yield* Effect.flip(dnsRecords.open({ mx: "yes" }, ctx))
      expect(bad.message).toContain("mx Expected boolean")
      expect((yield* Effect.flip(dnsRecords.open({ spf: true }, ctx))).message).toContain("spf is unexpected")
      const session = yield* dnsRecords.open({}, ctx)
      const wrong = yield* Effect.flip(session.collect({ target: { type: "IP", value: "192.0.2.10" } }))
      expect(wrong._tag).toBe("ModuleConfigError")
    }))

  it.scoped("a question that fails while the others answered is a warning; their findings are kept", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make({
        "example.test": {
          MX: [{ priority: 10, exchange: "mx.example.test" }],
          TXT: ["v=spf1 include:_spf.mail.test -all"]
        },
        "_dmarc.example.test": { rcode: "SERVFAIL" }
      })
      const { ctx } = yield* contextFor("dns_records", { dnsServers: [server.address] })
      const session = yield* dnsRecords.open({}, ctx)
      expect(pairs(yield* session.collect(domainTarget("example.test")))).toEqual([
        "DOMAIN _spf.mail.test",
        "DOMAIN mx.example.test"
      ])
      const notes = yield* ctx.notes.summary
      expect(notes.warnings).toEqual([expect.stringContaining("_dmarc.example.test")])
    }))
})

describe("dns_records parsers", () => {
  it("reads the SOA RNAME as a mailbox, escaped dots included", () => {
    expect(rnameToEmail("hostmaster.example.com.")).toEqual(Option.some("hostmaster@example.com"))
    expect(rnameToEmail("john\\.doe.example.com")).toEqual(Option.some("john.doe@example.com"))
    expect(rnameToEmail("localhost")).toEqual(Option.none())
  })

  it("reads SPF includes and redirects, not macros or other records", () => {
    expect(spfDomains("v=spf1 a mx include:_spf.google.com ~include:spf.example.net redirect=_spf.example.org -all"))
      .toEqual([
        { mechanism: "include", domain: "_spf.google.com" },
        { mechanism: "include", domain: "spf.example.net" },
        { mechanism: "redirect", domain: "_spf.example.org" }
      ])
    expect(spfDomains("v=spf1 include:%{i}._ip.example.com -all")).toEqual([])
    expect(spfDomains("google-site-verification=include:x.example")).toEqual([])
  })

  it("finds mailboxes in TXT records, with DMARC size limits dropped", () => {
    expect(txtEmails("v=DMARC1; p=none; rua=mailto:a@example.com!10m,mailto:b@example.net; ruf=mailto:a@example.com"))
      .toEqual(["a@example.com", "b@example.net"])
    expect(txtEmails("v=spf1 -all")).toEqual([])
  })
})
