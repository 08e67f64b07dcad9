/** dnsbl against blocklist zones on the testkit's DNS server: reversed names, Spamhaus codes, refusals, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { dnsbl, readAnswer } from "@mirage/modules/modules/dnsbl"
import { Effect, Either } from "effect"
import { collectInZone } from "./dnsZone.js"

const zone = {
  "7.100.51.198.zen.spamhaus.org": { A: ["127.0.0.2", "127.0.0.4"] },
  "7.100.51.198.bl.spamcop.net": { A: ["127.0.0.2"] },
  "8.100.51.198.zen.spamhaus.org": { A: ["127.255.255.254"] },
  "8.100.51.198.bl.spamcop.net": { A: ["10.0.0.1"] },
  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org": { A: ["127.0.0.10"] }
}

const ip = (value: string) => ({ type: "IP" as const, value })
const zones = { zones: ["zen.spamhaus.org", "bl.spamcop.net"] }

describe("dnsbl", () => {
  it.scoped("asks each zone for the reversed address; its listings ride on the IP finding", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(dnsbl, zone, ip("198.51.100.7"), zones)
      expect(questions).toEqual(["A 7.100.51.198.bl.spamcop.net", "A 7.100.51.198.zen.spamhaus.org"])
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual(["IP 198.51.100.7"])
      expect(findings[0]?.enrichment).toBe(true)
      expect(findings[0]?.metadata["blocklists"]).toEqual(["zen.spamhaus.org", "bl.spamcop.net"])
      expect(findings[0]?.metadata["listings"]).toEqual([
        {
          zone: "zen.spamhaus.org",
          code: "127.0.0.2",
          list: "SBL",
          reason: "Spamhaus Block List: a direct spam source or spam operation"
        },
        {
          zone: "zen.spamhaus.org",
          code: "127.0.0.4",
          list: "XBL",
          reason: "Exploits Block List: a compromised or infected host"
        },
        { zone: "bl.spamcop.net", code: "127.0.0.2", list: "bl.spamcop.net", reason: "listed (127.0.0.2)" }
      ])
    }))

  it.scoped("the default zones are asked; an unlisted address (NXDOMAIN everywhere) is no findings", () =>
    Effect.gen(function*() {
      const { outcome, questions } = yield* collectInZone(dnsbl, zone, ip("203.0.113.1"))
      expect(questions).toEqual([
        "A 1.113.0.203.bl.spamcop.net",
        "A 1.113.0.203.psbl.surriel.com",
        "A 1.113.0.203.zen.spamhaus.org"
      ])
      expect(Either.getOrThrow(outcome)).toEqual([])
    }))

  it.scoped("a refusal (127.255.255.x) and an answer outside 127/8 are noted, never listings", () =>
    Effect.gen(function*() {
      const { notes, outcome } = yield* collectInZone(dnsbl, zone, ip("198.51.100.8"), zones)
      expect(Either.getOrThrow(outcome)).toEqual([])
      expect(notes.rows_skipped).toBe(2)
      expect(notes.skip_reason).toContain("public or open resolver")
      expect(notes.skip_reason).toContain("outside 127.0.0.0/8")
    }))

  it.scoped("an IPv6 address is asked by its nibbles", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectInZone(dnsbl, zone, ip("2001:db8::1"), { zones: ["zen.spamhaus.org"] })
      expect(Either.getOrThrow(outcome)[0]?.metadata["listings"]).toMatchObject([{ list: "PBL" }])
    }))

  it.scoped("validates its zones", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectInZone(dnsbl, zone, ip("198.51.100.7"), { zones: ["not a zone"] })
      expect(Either.flip(outcome).pipe(Either.getOrThrow).message).toContain("DNS zone name")
    }))

  it("reads answers by zone", () => {
    expect(readAnswer("zen.spamhaus.org", "127.0.0.30")).toMatchObject({ _tag: "Listing", listing: { list: "BCL" } })
    expect(readAnswer("dnsbl.example.test", "127.0.0.30")).toMatchObject({
      _tag: "Listing",
      listing: { list: "dnsbl.example.test" }
    })
    expect(readAnswer("dnsbl.example.test", "127.255.255.255")).toEqual({
      _tag: "Refused",
      why: "answered 127.255.255.255"
    })
    expect(readAnswer("zen.spamhaus.org", "192.0.2.1")).toEqual({ _tag: "Other" })
  })
})
