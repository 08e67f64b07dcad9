/** spamhaus_drop against a declared DROP list: NDJSON lines, addresses and netblocks inside, outside, IPv6, odd lines. */
import { describe, expect, it } from "@effect/vitest"
import { contains, overlaps } from "@mirage/modules/internal/Cidr"
import { spamhausDrop } from "@mirage/modules/modules/spamhaus_drop"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"
import { found, ip } from "./threatSupport.js"

const lines = (rows: ReadonlyArray<unknown>) => ({
  headers: { "content-type": "application/x-ndjson" },
  body: [
    ...rows.map((row) => (typeof row === "string" ? row : JSON.stringify(row))),
    JSON.stringify({
      type: "metadata",
      timestamp: 1764900000,
      size: 1234,
      records: rows.length,
      copyright: "(c) 2026 The Spamhaus Project SLU",
      terms: "https://www.spamhaus.org/drop/terms/"
    })
  ].join("\n") + "\n"
})
const v4 = [
  { cidr: "198.18.0.0/15", sblid: "SBL000001", rir: "arin" },
  { cidr: "203.0.113.128/25", sblid: "SBL000002", rir: "apnic" }
]

describe("spamhaus_drop", () => {
  it.scoped("an address inside a listed block: the block, the address marked, the SBL record's page", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(spamhausDrop, [{
        request: { path: "/drop/drop_v4.json" },
        response: lines(v4)
      }], {
        target: ip("198.19.4.5")
      })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "NETBLOCK 198.18.0.0/15",
        "IP 198.19.4.5",
        "URL https://check.spamhaus.org/sbl/query/SBL000001"
      ])
      expect(Either.getOrThrow(run.outcome)[1]?.metadata).toEqual({
        spamhaus_drop: { list: "DROP", sblid: "SBL000001", rir: "arin", listed_netblock: "198.18.0.0/15" },
        blocklisted: true
      })
      const clean = yield* collectAgainst(spamhausDrop, [{
        request: { path: "/drop/drop_v4.json" },
        response: lines(v4)
      }], {
        target: ip("192.0.2.1")
      })
      expect(found(clean.outcome)).toEqual([])
    }))

  it.scoped("a netblock overlapping a listed one (larger or smaller); IPv6 asks drop_v6.json", () =>
    Effect.gen(function*() {
      const wide = yield* collectAgainst(spamhausDrop, [{
        request: { path: "/drop/drop_v4.json" },
        response: lines(v4)
      }], {
        target: { type: "NETBLOCK", value: "203.0.113.0/24" }
      })
      expect(found(wide.outcome)).toEqual([
        "NETBLOCK 203.0.113.128/25",
        "URL https://check.spamhaus.org/sbl/query/SBL000002"
      ])
      const v6 = yield* collectAgainst(spamhausDrop, [{
        request: { path: "/drop/drop_v6.json" },
        response: lines([{ cidr: "2001:db8:bad::/48", sblid: "SBL000003", rir: "ripencc" }])
      }], { target: ip("2001:db8:bad::7") })
      yield* v6.server.verify
      expect(found(v6.outcome)[0]).toBe("NETBLOCK 2001:db8:bad::/48")
    }))

  it.scoped("an odd line is skipped and counted; a list of nothing but odd lines is BadResponse", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(spamhausDrop, [{
        request: { path: "/drop/drop_v4.json" },
        response: lines([...v4, "not json", { sblid: "SBL9" }])
      }], { target: ip("198.19.4.5") })
      expect(found(run.outcome)).toContain("IP 198.19.4.5")
      expect(run.notes.rows_skipped).toBe(2)
      const odd = yield* collectAgainst(spamhausDrop, [{
        request: { path: "/drop/drop_v4.json" },
        response: { body: "<html>blocked</html>" }
      }], { target: ip("198.19.4.5") })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))

  it("contains and overlaps", () => {
    expect(contains("10.0.0.0/8", "10.255.1.1")).toBe(true)
    expect(contains("10.0.0.0/8", "11.0.0.1")).toBe(false)
    expect(contains("10.0.0.0/8", "2001:db8::1")).toBe(false)
    expect(overlaps("10.0.0.0/8", "10.1.0.0/16")).toBe(true)
    expect(overlaps("10.1.0.0/16", "10.0.0.0/8")).toBe(true)
    expect(overlaps("10.1.0.0/16", "10.2.0.0/16")).toBe(false)
  })
})
