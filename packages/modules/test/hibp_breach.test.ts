/** hibp_breach and hibp_domain_breaches against a declared HIBP catalogue: user agent, enrichment, 404, odd rows. */
import { describe, expect, it } from "@effect/vitest"
import { hibpBreach } from "@mirage/modules/modules/hibp_breach"
import { hibpDomainBreaches } from "@mirage/modules/modules/hibp_domain_breaches"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const adobe = {
  Name: "Adobe",
  Title: "Adobe",
  Domain: "adobe.example",
  BreachDate: "2013-10-04",
  AddedDate: "2013-12-04T00:00:00Z",
  ModifiedDate: "2022-05-15T23:52:49Z",
  PwnCount: 152445165,
  Description: "In October 2013, 153 million accounts were breached…",
  LogoPath: "https://haveibeenpwned.com/Content/Images/PwnedLogos/Adobe.png",
  DataClasses: ["Email addresses", "Password hints", "Passwords", "Usernames"],
  IsVerified: true,
  IsFabricated: false,
  IsSensitive: false,
  IsRetired: false,
  IsSpamList: false,
  IsMalware: false
}
const agent = { "user-agent": "Mirage-OSINT-Platform" }

describe("hibp_breach", () => {
  it.scoped("reads the breach by name: its facts enrich it, the breached site is a DOMAIN", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(hibpBreach, [{
        request: { path: "/api/v3/breach/Adobe", headers: agent },
        response: { json: adobe }
      }], { target: { type: "BREACH", value: "Adobe" } })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.type, f.value, f.enrichment ?? false])).toEqual([
        ["BREACH", "Adobe", true],
        ["DOMAIN", "adobe.example", false]
      ])
      expect(findings[0]?.metadata).toMatchObject({
        breach_date: "2013-10-04",
        pwn_count: 152445165,
        data_classes: ["Email addresses", "Password hints", "Passwords", "Usernames"],
        verified: true
      })
    }))

  it.scoped("an unknown name (404) is nothing; an answer of another shape is BadResponse, counted", () =>
    Effect.gen(function*() {
      const unknown = yield* collectAgainst(hibpBreach, [{
        request: { path: "/api/v3/breach/Nope" },
        response: { status: 404, body: "" }
      }], { target: { type: "BREACH", value: "Nope" } })
      expect(Either.getOrThrow(unknown.outcome)).toEqual([])
      const odd = yield* collectAgainst(hibpBreach, [{
        request: { path: "/api/v3/breach/Adobe" },
        response: { json: { Title: "no name" } }
      }], { target: { type: "BREACH", value: "Adobe" } })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      expect(odd.notes.rows_skipped).toBe(1)
    }))
})

describe("hibp_domain_breaches", () => {
  it.scoped("lists a site's breaches, unverified ones with less confidence; a non-list is BadResponse", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(hibpDomainBreaches, [{
        request: { path: "/api/v3/breaches", query: { domain: "adobe.example" }, headers: agent },
        response: { json: [adobe, { ...adobe, Name: "AdobeForums", IsVerified: false }, { Nope: 1 }] }
      }], { target: { type: "DOMAIN", value: "adobe.example" } })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.value, f.confidence])).toEqual([["Adobe", 0.9], ["AdobeForums", 0.5]])
      expect(findings[0]?.metadata).toMatchObject({ site: "adobe.example", pwn_count: 152445165 })
      expect(run.notes.rows_skipped).toBe(1)
      const broken = yield* collectAgainst(hibpDomainBreaches, [{
        request: { path: "/api/v3/breaches", query: { domain: "adobe.example" } },
        response: { json: { error: "odd" } }
      }], { target: { type: "DOMAIN", value: "adobe.example" } })
      expect(broken.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
