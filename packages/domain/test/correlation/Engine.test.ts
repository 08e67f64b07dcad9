import { describe, expect, it } from "@effect/vitest"
import { evaluate, feed, make, markEmitted, settle } from "@mirage/domain/correlation/Engine"
import type { Element, Finding } from "@mirage/domain/correlation/Engine"
import { isMonotone, Rule } from "@mirage/domain/correlation/Rule"
import { FastCheck, Schema } from "effect"

const decode = Schema.decodeUnknownSync(Rule)

const rule = (id: string, body: Record<string, unknown>): Rule =>
  decode({ id, version: 1, meta: { name: id, description: `${id} rule`, risk: "LOW" }, headline: "{data}", ...body })

const exact = (field: string, value: unknown) => ({ method: "exact", field, value })
const regex = (field: string, value: unknown) => ({ method: "regex", field, value })

let counter = 0
const el = (
  type: string,
  data: string,
  fields: { module?: string; parent?: string | null; meta?: Record<string, unknown>; hash?: string } = {}
): Element => ({
  hash: fields.hash ?? `h${counter++}:${type}:${data}`,
  type,
  module: fields.module ?? "dns_resolve",
  data,
  metadata: fields.meta ?? {},
  parent: fields.parent ?? null
})

const summary = (findings: ReadonlyArray<Finding>) =>
  findings.map((f) => `${f.rule.id}|${f.group}|${f.headline}`).sort()

const now = Date.parse("2026-06-01T00:00:00Z")

describe("collect methods", () => {
  it("exact and regex (anchored at the start, `not` excluding) on type, module, data and metadata", () => {
    const ports = rule("db", {
      collections: [{ collect: [exact("type", "OPEN_PORT"), regex("data", [".*:(5432|3306)$", "not 10\\..*"])] }]
    })
    const found = evaluate([ports], [
      el("OPEN_PORT", "192.0.2.1:5432", { hash: "a" }),
      el("OPEN_PORT", "192.0.2.1:443", { hash: "b" }),
      el("OPEN_PORT", "10.0.0.1:3306", { hash: "c" }),
      el("IP", "192.0.2.1:5432", { hash: "d" })
    ], now)
    expect(summary(found)).toEqual(["db|a|192.0.2.1:5432"])
    const anchored = rule("anchored", { collections: [{ collect: [regex("data", "dev")] }] })
    expect(summary(evaluate([anchored], [el("DOMAIN", "dev.example.com"), el("DOMAIN", "a.dev.example.com")], now)))
      .toHaveLength(1)
    const meta = rule("meta", { collections: [{ collect: [exact("meta.expired", true)] }], headline: "{meta.cn}" })
    expect(summary(evaluate([meta], [
      el("DOMAIN", "x.example.com", { hash: "x", meta: { expired: true, cn: "x" } }),
      el("DOMAIN", "y.example.com", { hash: "y", meta: { expired: false } })
    ], now))).toEqual(["meta|x|x"])
  })

  it("range on a number and within_days on a date, as Mirage's additions", () => {
    const cvss = rule("cvss", { collections: [{ collect: [{ method: "range", field: "meta.cvss", minimum: 9 }] }] })
    expect(summary(evaluate([cvss], [
      el("VULNERABILITY", "CVE-2021-44228", { hash: "v1", meta: { cvss: 10 } }),
      el("VULNERABILITY", "CVE-2020-0001", { hash: "v2", meta: { cvss: "7.5" } }),
      el("VULNERABILITY", "CVE-2020-0002", { hash: "v3" })
    ], now))).toEqual(["cvss|v1|CVE-2021-44228"])
    const expiring = rule("soon", {
      collections: [{ collect: [{ method: "within_days", field: "meta.valid_to", value: 30 }] }]
    })
    expect(summary(evaluate([expiring], [
      el("DOMAIN", "a.example.com", { hash: "a", meta: { valid_to: "2026-06-20T00:00:00Z" } }),
      el("DOMAIN", "b.example.com", { hash: "b", meta: { valid_to: "2026-09-01T00:00:00Z" } }),
      el("DOMAIN", "c.example.com", { hash: "c", meta: { valid_to: "2025-01-01T00:00:00Z" } })
    ], now))).toEqual(["soon|a|a.example.com", "soon|c|c.example.com"])
  })

  it("source. and child. read the result it was found from and those found from it, whatever their order", () => {
    const flagged = rule("flagged", {
      collections: [{ collect: [exact("type", "IP"), exact("child.module", "urlhaus_host")] }]
    })
    const engine = make([flagged])
    expect(feed(engine, [el("IP", "192.0.2.7", { hash: "ip" })], now)).toEqual([])
    const later = feed(engine, [el("URL", "http://192.0.2.7/x.exe", { module: "urlhaus_host", parent: "ip" })], now)
    expect(summary(later)).toEqual(["flagged|ip|192.0.2.7"])
    const fromTarget = rule("from_target", {
      collections: [{ collect: [exact("type", "DOMAIN"), exact("source.module", "target")] }]
    })
    // The child arrives before its source: it is collected once the source is known.
    const engine2 = make([fromTarget])
    expect(feed(engine2, [el("DOMAIN", "www.example.com", { hash: "w", parent: "t" })], now)).toEqual([])
    expect(summary(feed(engine2, [el("DOMAIN", "example.com", { hash: "t", module: "target" })], now)))
      .toEqual(["from_target|w|www.example.com"])
  })
})

describe("analysis methods", () => {
  const listed = rule("listed", {
    collections: [{ collect: [regex("module", "(otx_reputation|urlhaus_host)$")] }],
    aggregation: { field: "source.data" },
    analysis: [{ method: "threshold", field: "module", count_unique_only: true, minimum: 2 }],
    headline: "several sources: {source.data}"
  })

  it("threshold with a minimum reports a group as soon as it passes, once", () => {
    expect(isMonotone(listed)).toBe(true)
    const engine = make([listed])
    feed(engine, [el("IP", "192.0.2.9", { hash: "ip" })], now)
    expect(feed(engine, [el("URL", "https://otx/1", { module: "otx_reputation", parent: "ip" })], now)).toEqual([])
    expect(feed(engine, [el("URL", "https://otx/2", { module: "otx_reputation", parent: "ip" })], now)).toEqual([])
    const crossed = feed(engine, [el("URL", "http://bad/1", { module: "urlhaus_host", parent: "ip" })], now)
    expect(summary(crossed)).toEqual(["listed|192.0.2.9|several sources: 192.0.2.9"])
    expect(crossed[0]!.evidence).toHaveLength(3)
    expect(feed(engine, [el("URL", "http://bad/2", { module: "urlhaus_host", parent: "ip" })], now)).toEqual([])
    expect(settle(engine)).toEqual([])
  })

  it("threshold with a maximum waits for the scan to settle", () => {
    const lonely = rule("lonely", {
      collections: [{ collect: [exact("type", "EMAIL")] }],
      aggregation: { field: "meta.domain" },
      analysis: [{ method: "threshold", field: "data", maximum: 1 }],
      headline: "one address only at {meta.domain}"
    })
    expect(isMonotone(lonely)).toBe(false)
    const engine = make([lonely])
    expect(feed(engine, [
      el("EMAIL", "a@one.example", { meta: { domain: "one.example" } }),
      el("EMAIL", "a@two.example", { meta: { domain: "two.example" } }),
      el("EMAIL", "b@two.example", { meta: { domain: "two.example" } })
    ], now)).toEqual([])
    expect(summary(settle(engine))).toEqual(["lonely|one.example|one address only at one.example"])
  })

  it("outlier keeps the groups under maximum_percent, unless the data is too spread (noisy_percent)", () => {
    const country = rule("country", {
      collections: [{ collect: [exact("type", "ASN")] }],
      aggregation: { field: "meta.cc" },
      analysis: [{ method: "outlier", maximum_percent: 10 }],
      headline: "outlier {meta.cc}"
    })
    const asns = (counts: Record<string, number>) =>
      Object.entries(counts).flatMap(([cc, n]) =>
        Array.from({ length: n }, (_, i) => el("ASN", `AS${cc}${i}`, { meta: { cc } }))
      )
    expect(summary(evaluate([country], asns({ DE: 12, FR: 7, BR: 1 }), now))).toEqual(["country|BR|outlier BR"])
    // Eleven countries: an average bucket under 10%, so nothing stands out.
    const spread = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`C${i}`, i === 0 ? 1 : 5]))
    expect(evaluate([country], asns(spread), now)).toEqual([])
  })

  it("first_collection_only keeps what only the first collection holds", () => {
    const ctOnly = rule("ct_only", {
      collections: [
        { collect: [exact("type", "DOMAIN"), exact("module", "crtsh")] },
        { collect: [exact("type", "DOMAIN"), exact("child.type", "IP")] }
      ],
      analysis: [{ method: "first_collection_only", field: "data" }]
    })
    const found = evaluate([ctOnly], [
      el("DOMAIN", "old.example.com", { hash: "old", module: "crtsh" }),
      el("DOMAIN", "www.example.com", { hash: "www", module: "crtsh" }),
      el("IP", "192.0.2.1", { parent: "www" })
    ], now)
    expect(summary(found)).toEqual(["ct_only|old|old.example.com"])
  })

  it("match_all_to_first_collection (subnet) keeps the later collections' results inside the first's blocks", () => {
    const inside = rule("inside", {
      collections: [{ collect: [exact("type", "NETBLOCK")] }, { collect: [exact("type", "IP")] }],
      aggregation: { field: "data" },
      analysis: [{ method: "match_all_to_first_collection", match_method: "subnet" }],
      headline: { text: "{data} is ours", publish_collections: 1 }
    })
    const found = evaluate([inside], [
      el("NETBLOCK", "192.0.2.0/24"),
      el("IP", "192.0.2.44"),
      el("IP", "198.51.100.1")
    ], now)
    expect(summary(found)).toEqual(["inside|192.0.2.44|192.0.2.44 is ours"])
  })
})

describe("incremental evaluation", () => {
  const rules = [
    rule("port", { collections: [{ collect: [exact("type", "OPEN_PORT"), regex("data", ".*:(22|3389)$")] }] }),
    rule("dev_host", {
      collections: [{ collect: [exact("type", "DOMAIN"), regex("data", "(dev|stage)[.-].*")] }],
      aggregation: { field: "data" }
    }),
    rule("many_children", {
      collections: [{ collect: [exact("type", "DOMAIN"), regex("child.module", "m[12]$")] }],
      aggregation: { field: "data" },
      analysis: [{ method: "threshold", field: "child.module", count_unique_only: true, minimum: 2 }]
    }),
    rule("by_module", {
      collections: [{ collect: [regex("type", "(IP|DOMAIN)$")] }],
      aggregation: { field: "module" },
      analysis: [{ method: "threshold", field: "data", minimum: 2, maximum: 4 }],
      headline: "{module}"
    }),
    rule("rare_module", {
      collections: [{ collect: [regex("type", ".*")] }],
      aggregation: { field: "module" },
      analysis: [{ method: "outlier", maximum_percent: 20, noisy_percent: 5 }],
      headline: "{module}"
    }),
    rule("no_ip", {
      collections: [
        { collect: [exact("type", "DOMAIN")] },
        { collect: [exact("type", "DOMAIN"), exact("child.type", "IP")] }
      ],
      analysis: [{ method: "first_collection_only", field: "data" }]
    })
  ]

  const arbResults = FastCheck.array(
    FastCheck.record({
      type: FastCheck.constantFrom("DOMAIN", "IP", "OPEN_PORT"),
      name: FastCheck.constantFrom("dev", "www", "stage", "api", "mail"),
      port: FastCheck.constantFrom(22, 80, 3389),
      module: FastCheck.constantFrom("m1", "m2", "m3", "m4"),
      parent: FastCheck.nat(40)
    }),
    { maxLength: 40 }
  ).map((rows) =>
    rows.map((row, i): Element => ({
      hash: `r${i}`,
      type: row.type,
      module: row.module,
      data: row.type === "DOMAIN"
        ? `${row.name}.example.com`
        : row.type === "IP"
        ? `192.0.2.${i}`
        : `192.0.2.${i}:${row.port}`,
      metadata: {},
      // A parent anywhere in the list, before or after: results may be fed before their source.
      parent: row.parent < rows.length && row.parent !== i ? `r${row.parent}` : null
    }))
  )

  it("finds, over any chunks of the same results, what one batch of all of them finds", () => {
    FastCheck.assert(
      FastCheck.property(arbResults, FastCheck.array(FastCheck.nat(40), { maxLength: 8 }), (results, cuts) => {
        const batch = summary(evaluate(rules, results, now))
        const engine = make(rules)
        const found: Array<Finding> = []
        const points = Array.from(new Set([0, ...cuts.filter((c) => c < results.length), results.length]))
          .sort((a, b) => a - b)
        for (let i = 1; i < points.length; i++) {
          found.push(...feed(engine, results.slice(points[i - 1], points[i]), now))
        }
        found.push(...settle(engine))
        expect(summary(found)).toEqual(batch)
      }),
      { numRuns: 300 }
    )
  })

  it("does not report again what was reported before a restart", () => {
    const results = [el("OPEN_PORT", "192.0.2.1:22", { hash: "p" }), el("OPEN_PORT", "192.0.2.2:3389", { hash: "q" })]
    const engine = make(rules)
    markEmitted(engine, "port", "p")
    expect(summary([...feed(engine, results, now), ...settle(engine)]).filter((s) => s.startsWith("port|")))
      .toEqual(["port|q|192.0.2.2:3389"])
  })
})
