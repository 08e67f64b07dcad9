/** team_cymru_asn against Team Cymru's zones on the testkit's DNS server: origin records of addresses, AS holders. */
import { describe, expect, it } from "@effect/vitest"
import { organizationName, teamCymruAsn } from "@mirage/modules/modules/team_cymru_asn"
import { Effect, Either } from "effect"
import { collectInZone } from "./dnsZone.js"

const zone = {
  "7.100.51.198.origin.asn.cymru.com": {
    TXT: [
      "64500 | 198.51.100.0/24 | NL | ripencc | 2010-01-01",
      "64500 64501 | 198.51.0.0/16 | NL | ripencc | 2009-05-05"
    ]
  },
  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com": {
    TXT: ["64502 | 2001:db8::/32 | DE | ripencc | 2012-02-02"]
  },
  "9.2.0.192.origin.asn.cymru.com": { TXT: ["garbage", "64503 | 192.0.2.0/24 | US | arin | 2001-01-01", "x | y"] },
  "AS64500.asn.cymru.com": { TXT: ["64500 | NL | ripencc | 2008-08-08 | EXAMPLE-AS - Example Networks B.V., NL"] }
}

const ip = (value: string) => ({ type: "IP" as const, value })

describe("team_cymru_asn", () => {
  it.scoped("an address's origin records: each prefix a NETBLOCK, each origin AS once with its prefixes", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(teamCymruAsn, zone, ip("198.51.100.7"))
      expect(questions).toEqual(["TXT 7.100.51.198.origin.asn.cymru.com"])
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value])).toEqual([
        ["ASN", "AS64500"],
        ["ASN", "AS64501"],
        ["NETBLOCK", "198.51.100.0/24"],
        ["NETBLOCK", "198.51.0.0/16"]
      ])
      expect(findings[0]?.metadata).toEqual({ ip: "198.51.100.7", prefixes: ["198.51.0.0/16", "198.51.100.0/24"] })
      expect(findings[2]?.metadata).toEqual({
        ip: "198.51.100.7",
        asns: ["AS64500"],
        prefix: "198.51.100.0/24",
        country: "NL",
        registry: "ripencc",
        allocated: "2010-01-01"
      })
    }))

  it.scoped("an IPv6 address is asked by its nibbles under origin6", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(teamCymruAsn, zone, ip("2001:db8::1"))
      expect(questions).toEqual([
        "TXT 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com"
      ])
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["AS64502", "2001:db8::/32"])
    }))

  it.scoped("an AS's record names its holder", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(teamCymruAsn, zone, { type: "ASN", value: "as64500" })
      // DNS names are case-insensitive; the server reports them in lower case.
      expect(questions).toEqual(["TXT as64500.asn.cymru.com"])
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value, f.metadata["as_name"]])).toEqual([
        ["ORGANIZATION", "Example Networks B.V.", "EXAMPLE-AS - Example Networks B.V., NL"]
      ])
      expect(findings[0]?.metadata).toMatchObject({ asn: "AS64500", country: "NL", registry: "ripencc" })
    }))

  it.scoped("records of another shape are skipped and counted; an unannounced address is no findings", () =>
    Effect.gen(function*() {
      const odd = yield* collectInZone(teamCymruAsn, zone, ip("192.0.2.9"))
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["AS64503", "192.0.2.0/24"])
      expect(odd.notes.rows_skipped).toBe(2)
      expect(odd.notes.skip_reason).toContain("origin record")
      const none = yield* collectInZone(teamCymruAsn, zone, ip("203.0.113.1"))
      expect(Either.getOrThrow(none.outcome)).toEqual([])
    }))

  it("reads the holder out of the registered AS name", () => {
    expect(organizationName("GOOGLE - Google LLC, US")).toBe("Google LLC")
    expect(organizationName("CLOUDFLARENET, US")).toBe("CLOUDFLARENET")
  })
})
