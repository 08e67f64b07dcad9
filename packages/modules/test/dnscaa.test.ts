/** dnscaa against a zone on the testkit's DNS server: the relevant CAA set, issuers as CAs, iodef contacts. */
import { describe, expect, it } from "@effect/vitest"
import { climb, dnscaa, parseIssuer } from "@mirage/modules/modules/dnscaa"
import { Effect, Either } from "effect"
import { collectInZone } from "./dnsZone.js"

const zone = {
  "example.test": {
    A: ["192.0.2.1"],
    CAA: [
      { flags: 0, tag: "issue", value: "letsencrypt.org" },
      { flags: 0, tag: "issue", value: "digicert.com; cansignhttpexchanges=yes" },
      { flags: 128, tag: "issuewild", value: "pki.goog" },
      { flags: 0, tag: "iodef", value: "mailto:caa@example.test" },
      { flags: 0, tag: "iodef", value: "https://caa.example.test/report" },
      { flags: 0, tag: "issue", value: "ca.unknown.test" }
    ]
  },
  "www.example.test": { A: ["192.0.2.2"] },
  "locked.example.test": { CAA: [{ flags: 0, tag: "issue", value: ";" }] }
}

describe("dnscaa", () => {
  it.scoped("reads the domain's CAA set: each issuer a CA, its tags and parameters; iodef as EMAIL and URL", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(dnscaa, zone, "example.test")
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "EMAIL caa@example.test",
        "ORGANIZATION ca.unknown.test",
        "ORGANIZATION DigiCert",
        "ORGANIZATION Google Trust Services",
        "ORGANIZATION Let's Encrypt",
        "URL https://caa.example.test/report"
      ])
      expect(findings.find((f) => f.value === "DigiCert")?.metadata).toEqual({
        role: "certificate authority",
        issuer_domain: "digicert.com",
        tags: ["issue"],
        parameters: ["cansignhttpexchanges=yes"],
        critical: false,
        caa_owner: "example.test"
      })
      expect(findings.find((f) => f.value === "Google Trust Services")?.metadata).toMatchObject({
        tags: ["issuewild"],
        critical: true
      })
      expect(questions).toEqual(["CAA example.test"])
    }))

  it.scoped("a name without CAA records takes its nearest ancestor's; `;` alone authorizes no CA", () =>
    Effect.gen(function*() {
      const www = yield* collectInZone(dnscaa, zone, "www.example.test")
      expect(Either.getOrThrow(www.outcome).map((f) => f.value)).toContain("Let's Encrypt")
      expect(Either.getOrThrow(www.outcome).find((f) => f.value === "Let's Encrypt")?.metadata["caa_owner"]).toBe(
        "example.test"
      )
      expect(www.questions).toEqual(["CAA example.test", "CAA www.example.test"])
      const locked = yield* collectInZone(dnscaa, zone, "locked.example.test")
      expect(Either.getOrThrow(locked.outcome)).toEqual([])
    }))

  it.scoped("no CAA anywhere is no findings; a failing ancestor is a warning while the target answered", () =>
    Effect.gen(function*() {
      const none = yield* collectInZone(dnscaa, { "other.test": { A: ["192.0.2.9"] } }, "other.test")
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const broken = yield* collectInZone(dnscaa, {
        "example.test": { rcode: "SERVFAIL" },
        "a.example.test": { CAA: [{ flags: 0, tag: "issue", value: "letsencrypt.org" }] }
      }, "a.example.test")
      expect(Either.getOrThrow(broken.outcome).map((f) => f.value)).toEqual(["Let's Encrypt"])
      expect(broken.notes.warnings).toEqual([expect.stringContaining("CAA example.test")])
    }))

  it("climbs to two labels; reads issuer parameters", () => {
    expect(climb("a.b.example.test")).toEqual(["a.b.example.test", "b.example.test", "example.test"])
    expect(climb("example.test")).toEqual(["example.test"])
    expect(parseIssuer("LetsEncrypt.org.; validationmethods=dns-01 ;accounturi=x")).toEqual({
      issuer: "letsencrypt.org",
      parameters: ["validationmethods=dns-01", "accounturi=x"]
    })
  })
})
