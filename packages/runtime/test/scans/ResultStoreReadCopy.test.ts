/**
 * The read copy of results in PostgreSQL: its encoding agrees with the schema's, and a page touches a bounded number
 * of rows whatever the size of its owner (checked on the plan PostgreSQL ran, not on time).
 */
import { describe, expect, it } from "@effect/vitest"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { ModuleId, ResultId, resultIdFor, ScanId, TaskId } from "@mirage/domain/Ids"
import { TestStores } from "@mirage/testkit"
import { DateTime, Effect, Redacted, Schema } from "effect"
import * as PgClient from "../../src/platform/PgClient.js"
import type { ResultQuery } from "../../src/scans/ResultStore.js"
import * as ReadCopy from "../../src/scans/ResultStore/ReadCopy.js"

const large = ScanId.make("33333333-3333-4333-8333-333333333333")
const small = ScanId.make("44444444-4444-4444-8444-444444444444")
const task = TaskId.make("55555555-5555-4555-8555-555555555555")

const result = (owner: ScanId, n: number, source_data: Record<string, unknown> = { record: "A" }) => {
  const hash = `hash-${n}`
  return CollectionResult.make({
    id: resultIdFor(owner, hash),
    task_id: task,
    scan_id: owner,
    module_id: ModuleId.make(n % 3 === 0 ? "crtsh" : "dns_resolve"),
    data_type: n % 3 === 0 ? "DOMAIN" : "IP",
    data: `host-${n}`,
    source_data,
    confidence: n % 2 === 0 ? 1 : 0.5,
    collected_at: DateTime.unsafeMake(1_700_000_000_000 + n),
    metadata: {},
    hash,
    parent: n === 0 ? null : "hash-0"
  })
}

interface PlanNode {
  readonly "Node Type": string
  readonly "Index Name"?: string
  readonly "Relation Name"?: string
  readonly "Actual Rows": number
  readonly "Rows Removed by Filter"?: number
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodes = (node: PlanNode): ReadonlyArray<PlanNode> => [node, ...(node.Plans ?? []).flatMap(nodes)]

/** The page statements: decoded results, and each result's JSON as stored. */
const statements = [ReadCopy.pageStatement, ReadCopy.pageJsonStatement] as const

/** The scans of `results_read` in the plan a page statement ran with, and the rows each read. */
const scans = (
  sql: PgClient.Sql,
  query: ResultQuery,
  after?: ResultId,
  statement: typeof statements[number] = ReadCopy.pageStatement
) =>
  Effect.promise(async () => {
    const [row] = await sql<Array<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>>`
      explain (analyze, format json) ${statement(sql, query, after, query.limit)}
    `
    return nodes(row!["QUERY PLAN"][0]!.Plan)
      .filter((node) => node["Relation Name"] === "results_read")
      .map((node) => ({
        type: node["Node Type"],
        index: node["Index Name"],
        rows: node["Actual Rows"] + (node["Rows Removed by Filter"] ?? 0)
      }))
  })

describe("ResultStore read copy", () => {
  it("encodes results as the schema does", () => {
    const samples = [
      result(large, 1),
      result(large, 0, { nested: { "a.b": [[1, 2]], text: "nul\u0000byte", z: "é😀" } }),
      new CollectionResult({ ...result(small, 2), scan_id: null }, true)
    ]
    for (const sample of samples) {
      expect(ReadCopy.wireOf(sample)).toEqual(Schema.encodeSync(CollectionResult)(sample))
    }
  })

  it.scoped("stores each result's wire JSON as its text, in a batch with a NUL escape or without one", () =>
    Effect.gen(function*() {
      const sql = yield* PgClient.make({ url: Redacted.make(yield* TestStores.freshDatabase), max: 2 })
      const plain = [
        result(large, 1, { quote: "a \"b\" \\ c", z: "é😀", n: [1, 2.5, -0, 1e21], deep: { "a.b": [[null]] } }),
        result(large, 2)
      ]
      const withNul = [result(small, 1), result(small, 2, { text: "nul\u0000byte", other: "\\u0000 as text" })]
      yield* ReadCopy.insertWith(sql, [{ owner: large, results: plain }])
      yield* ReadCopy.insertWith(sql, [{ owner: small, results: withNul }])
      const stored = yield* Effect.promise(() =>
        sql<Array<{ id: string; document: string }>>`select id::text, document::text from results_read`
      )
      const byId = new Map(stored.map((row) => [row.id, row.document]))
      for (const sample of [...plain, ...withNul]) {
        expect(byId.get(sample.id)).toBe(JSON.stringify(ReadCopy.wireOf(sample)))
      }
      expect(stored).toHaveLength(4)
    }))

  it.scoped(
    "reads a page of 100 through at most 101 index rows at 20,000 results as at 20",
    () =>
      Effect.gen(function*() {
        const sql = yield* PgClient.make({ url: Redacted.make(yield* TestStores.freshDatabase), max: 2 })
        const all = Array.from({ length: 20_000 }, (_, n) => result(large, n))
        for (let from = 0; from < all.length; from += 5000) {
          yield* ReadCopy.insertWith(sql, [{ owner: large, results: all.slice(from, from + 5000) }])
        }
        yield* ReadCopy.insertWith(sql, [{
          owner: small,
          results: Array.from({ length: 20 }, (_, n) => result(small, n))
        }])
        yield* Effect.promise(() => sql`analyze results_read`)
        const sorted = all.map((r) => r.id).sort()
        const middle = ResultId.make(sorted[10_000]!)
        for (const statement of statements) {
          for (
            const [query, after] of [
              [{ owner: large, limit: 100 }, undefined],
              [{ owner: large, limit: 100 }, middle],
              [{ owner: small, limit: 100 }, undefined]
            ] as const
          ) {
            const read = yield* scans(sql, query, after, statement)
            expect(read).toEqual([{ type: "Index Scan", index: "results_read_pkey", rows: expect.any(Number) }])
            expect(read[0]!.rows).toBeLessThanOrEqual(101)
          }
          // A filter walks the owner's keyset and leaves out what does not match: one DOMAIN in three here, so about
          // three rows per result of the page, not the 10,000 after the cursor.
          const filtered = yield* scans(sql, { owner: large, limit: 100, data_type: "DOMAIN" }, middle, statement)
          expect(filtered.map((scan) => scan.index)).toEqual(["results_read_pkey"])
          expect(filtered[0]!.rows).toBeLessThanOrEqual(500)
        }
        // And the page is the right one.
        const copy = yield* ReadCopy.make.pipe(Effect.provideService(PgClient.PgClient, sql))
        const page = yield* copy.page({ owner: large, limit: 100 }, middle, 100)
        expect(page.map((r) => r.id)).toEqual(sorted.slice(10_001, 10_102))
        // The same page as stored JSON: the same results in order, and the cursor's id only while a next page exists
        // (none at a page that ends exactly at the last result, nor past it).
        const json = (after: ResultId, limit: number) =>
          Effect.map(copy.pageJson({ owner: large, limit }, after, limit), ({ items, next }) => ({
            items: items.map((item) => JSON.parse(new TextDecoder().decode(item)) as unknown),
            next
          }))
        const wire = (results: ReadonlyArray<CollectionResult>) =>
          JSON.parse(JSON.stringify(results.map(ReadCopy.wireOf))) as unknown
        expect(yield* json(middle, 100)).toStrictEqual({ items: wire(page.slice(0, 100)), next: sorted[10_100] })
        const byId = new Map(all.map((r) => [r.id as string, r]))
        expect(yield* json(ResultId.make(sorted[19_989]!), 10)).toStrictEqual({
          items: wire(sorted.slice(19_990).map((id) => byId.get(id)!)),
          next: null
        })
        expect(yield* json(ResultId.make(sorted[19_999]!), 10)).toStrictEqual({ items: [], next: null })
        expect(yield* copy.count(large)).toBe(20_000)
      }),
    120_000
  )
})
