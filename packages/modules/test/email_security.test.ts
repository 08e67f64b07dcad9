/** email_security against zones on the testkit's DNS server: SPF, DMARC (own or inherited), DKIM, and the issues found. */
import { describe, expect, it } from "@effect/vitest"
import { emailSecurity, parseDmarc, parseSpf } from "@mirage/modules/modules/email_security"
import { Effect, Either } from "effect"
import { collectInZone } from "./dnsZone.js"

const zone = {
  "example.test": {
    TXT: [
      ["v=spf1 mx ip4:192.0.2.0/24 include:_spf.google.com ", "include:sendgrid.net ~all"],
      "google-site-verification=abc"
    ]
  },
  "_dmarc.example.test": {
    TXT: ["v=DMARC1; p=reject; sp=none; pct=50; rua=mailto:dmarc@example.test,mailto:x@rua.dmarcian.test!10m"]
  },
  "selector1._domainkey.example.test": {
    TXT: [["v=DKIM1; k=rsa; p=MIIBIjANBgkqh", "kiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]]
  },
  "s1._domainkey.example.test": { TXT: ["v=DKIM1; p="] },
  "app.example.test": { A: ["192.0.2.5"], TXT: ["v=spf1 +all", "v=spf1 -all"] },
  "bare.test": { A: ["192.0.2.9"] }
}

const metadataOf = (outcome: Either.Either<ReadonlyArray<{ readonly metadata: Record<string, unknown> }>, unknown>) =>
  Either.getOrThrow(outcome)[0]!.metadata

describe("email_security", () => {
  it.scoped("parses the domain's SPF, DMARC and DKIM keys at the probed selectors, and lists the issues", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(emailSecurity, zone, "example.test", {
        dkim_selectors: ["selector1", "s1", "google"]
      })
      expect(Either.getOrThrow(outcome).map((f) => `${f.type} ${f.value}`)).toEqual(["DOMAIN example.test"])
      const metadata = metadataOf(outcome)
      expect(metadata["spf"]).toMatchObject({ all: "~", includes: ["_spf.google.com", "sendgrid.net"], lookups: 3 })
      expect(metadata["dmarc"]).toMatchObject({
        policy: "reject",
        subdomain_policy: "none",
        pct: 50,
        rua: ["dmarc@example.test", "x@rua.dmarcian.test"],
        inherited_from: null
      })
      expect(metadata["dkim"]).toEqual([
        { selector: "selector1", key_type: "rsa", revoked: false, testing: false },
        { selector: "s1", key_type: "rsa", revoked: true, testing: false }
      ])
      expect(metadata["issues"]).toEqual([
        { severity: "low", issue: "DMARC sp=none only monitors subdomains" },
        { severity: "low", issue: "DMARC applies to 50% of mail" },
        { severity: "low", issue: "DKIM key at selector s1 is revoked" }
      ])
      expect(questions).toEqual([
        "TXT _dmarc.example.test",
        "TXT example.test",
        "TXT google._domainkey.example.test",
        "TXT s1._domainkey.example.test",
        "TXT selector1._domainkey.example.test"
      ])
    }))

  it.scoped("a subdomain inherits the organizational domain's DMARC at its `sp`; two SPF records and +all are flagged", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectInZone(emailSecurity, zone, "app.example.test", { dkim_selectors: [] })
      const metadata = metadataOf(outcome)
      expect(metadata["dmarc"]).toMatchObject({ policy: "none", inherited_from: "example.test" })
      expect(metadata["issues"]).toEqual([
        { severity: "high", issue: "more than one SPF record (permerror)" },
        { severity: "high", issue: "SPF +all lets anyone send as the domain" },
        { severity: "medium", issue: "DMARC p=none only monitors" },
        { severity: "low", issue: "DMARC sp=none only monitors subdomains" },
        { severity: "low", issue: "DMARC applies to 50% of mail" }
      ])
    }))

  it.scoped("no records at all is said as issues; a failing selector lookup is a warning, the rest still assessed", () =>
    Effect.gen(function*() {
      const bare = yield* collectInZone(emailSecurity, zone, "bare.test", { dkim_selectors: [] })
      expect(metadataOf(bare.outcome)["issues"]).toEqual([
        { severity: "medium", issue: "no SPF record" },
        { severity: "medium", issue: "no DMARC record" }
      ])
      const broken = yield* collectInZone(
        emailSecurity,
        {
          ...zone,
          "k1._domainkey.example.test": { rcode: "SERVFAIL" }
        },
        "example.test",
        { dkim_selectors: ["k1"] }
      )
      expect(metadataOf(broken.outcome)["spf"]).toMatchObject({ all: "~" })
      expect(broken.notes.warnings).toEqual([expect.stringContaining("k1._domainkey.example.test")])
    }))

  it("reads SPF terms and DMARC tags; text that is neither is undefined", () => {
    expect(parseSpf("v=spf1 a/24 mx:mail.example.test redirect=_spf.example.test")).toMatchObject({
      all: undefined,
      redirect: "_spf.example.test",
      lookups: 3
    })
    expect(parseSpf("v=spf10 -all")).toBeUndefined()
    expect(parseDmarc("v=DMARC1;p=quarantine")).toMatchObject({ policy: "quarantine", pct: 100, rua: [] })
    expect(parseDmarc("p=reject")).toBeUndefined()
  })
})
