/**
 * The read routes that answer without the HttpApi's schema encoding (a scan's kept JSON text, results as stored)
 * answer exactly what the encoding would have given: bodies, cursors, filters, headers.
 */
import { expect, layer } from "@effect/vitest"
import { ResultPage, ScanPage } from "@mirage/domain/api/ScansApi"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { resultHash } from "@mirage/domain/Entity"
import { ModuleId, resultIdFor, ScanId, taskIdFor } from "@mirage/domain/Ids"
import { Scan } from "@mirage/domain/Scan"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import type { ResultPage as ResultStorePage, ResultQuery } from "@mirage/runtime/scans/ResultStore"
import { ScanReadModel } from "@mirage/runtime/scans/ScanReadModel"
import { DateTime, Effect, Layer, Logger, LogLevel, Option, Schema } from "effect"
import * as Gateway from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)))

/** What the schema encoding gives, as JSON would carry it. */
const viaSchema = <A, I>(schema: Schema.Schema<A, I>, value: A): unknown =>
  JSON.parse(JSON.stringify(Schema.encodeSync(schema)(value)))

const ok = (answer: Gateway.Answer) => {
  expect(answer.status, answer.text).toBe(200)
  expect(answer.headers["content-type"]).toBe("application/json")
  expect(Number(answer.headers["content-length"])).toBe(Buffer.byteLength(answer.text, "utf8"))
  return JSON.parse(answer.text) as unknown
}

const created = (caller: Gateway.Caller, body: unknown) =>
  Effect.map(Gateway.post("/scans", body, caller), (answer) => {
    expect(answer.status, answer.text).toBe(201)
    return ScanId.make((answer.body as { id: string }).id)
  })

/** Results whose free-form records are everything a store must give back as it took them. */
const awkward = (scanId: ScanId) => {
  const records: ReadonlyArray<Record<string, unknown>> = [
    {},
    { "whois.server": "whois.example", $ref: 1, nested: { "a.b": [1, 2] } },
    { matrix: [[1, 2], [3, 4]], text: "nul\u0000byte", quote: "\"\\\n" },
    { "%json": "not what it seems" },
    { plain: { deep: [{ x: null, y: true, z: "é😀" }] }, n: Number.NaN, big: 1e300, small: -0.000001 }
  ]
  return Array.from({ length: 12 }, (_, i) => {
    const type = i % 3 === 0 ? "DOMAIN" as const : "IP" as const
    const data = type === "DOMAIN" ? `h${i}.example.com` : `192.0.2.${i}`
    const hash = resultHash(type, data)
    return CollectionResult.make({
      id: resultIdFor(scanId, hash),
      task_id: taskIdFor(scanId, "DOMAIN:example.com", i % 2 === 0 ? "crtsh" : "dns_resolve"),
      scan_id: scanId,
      module_id: ModuleId.make(i % 2 === 0 ? "crtsh" : "dns_resolve"),
      data_type: type,
      data,
      source_data: records[i % records.length]!,
      confidence: i % 4 === 0 ? 0.25 : 1,
      collected_at: DateTime.unsafeMake(Date.UTC(2025, 0, 1) + i * 1001),
      metadata: i % 5 === 0 ? { resolver: "127.0.0.1", "a.b": { $c: [null] } } : {},
      hash,
      parent: i % 2 === 0 ? null : resultHash("DOMAIN", "example.com")
    })
  })
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Read path", (it) => {
  it.effect("pages results as the ResultPage encoding of the decoded results would, cursors and filters included", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const scanId = yield* created(caller, Gateway.domainScan("results as stored"))
      const store = yield* ResultStore
      yield* store.insert(scanId, awkward(scanId))
      const filters: ReadonlyArray<[string, Omit<ResultQuery, "owner" | "limit">]> = [
        ["", {}],
        ["&data_type=IP", { data_type: "IP" }],
        ["&module=crtsh", { module_id: "crtsh" }],
        ["&min_confidence=0.5", { min_confidence: 0.5 }]
      ]
      for (const [params, filter] of filters) {
        let cursor: string | null = null
        let pages = 0
        do {
          const at: string = cursor === null ? "" : `&cursor=${cursor}`
          const body = ok(yield* Gateway.get(`/scans/${scanId}/results?limit=5${params}${at}`, caller))
          const expected: ResultStorePage = yield* store.list({
            owner: scanId,
            limit: 5,
            ...filter,
            ...(cursor === null ? {} : { cursor })
          })
          expect(body).toStrictEqual(viaSchema(ResultPage, ResultPage.make(expected)))
          cursor = expected.next_cursor
          pages++
        } while (cursor !== null)
        // 12 results by 5: three pages unfiltered.
        if (params === "") expect(pages).toBe(3)
      }
      // A scan without results: an empty page.
      const empty = yield* created(caller, Gateway.domainScan("no results"))
      expect(ok(yield* Gateway.get(`/scans/${empty}/results`, caller))).toStrictEqual({ items: [], next_cursor: null })
    }))

  it.effect("answers a scan and a page of scans as the Scan and ScanPage encodings would, ETag included", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const ids = [
        yield* created(caller, Gateway.domainScan("plain")),
        yield* created(caller, {
          ...Gateway.domainScan("configured"),
          description: "with a scope and a module's configuration",
          modules: [{ id: "dns_resolve", config: { record_types: ["A"], timeout_ms: 500 } }, {
            id: "crtsh",
            enabled: false
          }],
          configuration: {
            max_results: 50,
            priority: "HIGH",
            scope: { domains: ["example.com"], blacklist: ["x.example.com"] }
          }
        })
      ]
      ids.push(
        yield* created(caller, {
          ...Gateway.domainScan("chained"),
          depends_on: { scan_ids: [ids[0]!], result_types: ["DOMAIN"], on_failure: "continue" }
        })
      )
      const readModel = yield* ScanReadModel
      const expectListed = Effect.gen(function*() {
        const body = ok(yield* Gateway.get("/scans?limit=2", caller))
        const first = yield* readModel.list(caller.organization_id, { limit: 2 })
        expect(body).toStrictEqual(
          viaSchema(ScanPage, ScanPage.make({ ...first, items: first.items.map((v) => v.scan) }))
        )
        const all = ok(yield* Gateway.get("/scans?limit=10", caller)) as { items: ReadonlyArray<unknown> }
        expect(all.items).toHaveLength(ids.length)
        for (const id of ids) {
          const answer = yield* Gateway.get(`/scans/${id}`, caller)
          const view = Option.getOrThrow(yield* readModel.get(caller.organization_id, id))
          expect(ok(answer)).toStrictEqual(viaSchema(Scan, view.scan))
          expect(answer.headers["etag"]).toBe(`"${view.seq}"`)
          expect(all.items).toContainEqual(viaSchema(Scan, view.scan))
        }
      })
      yield* expectListed
      // An unchanged page read again is the same views: nothing decoded again (that documents are not even asked for
      // is the view cache's, tested with it).
      const again = yield* readModel.list(caller.organization_id, { limit: 10 })
      const kept = yield* readModel.list(caller.organization_id, { limit: 10 })
      kept.items.forEach((view, i) => expect(view).toBe(again.items[i]))
      // What changes in a scan's row shows at once: its correlation findings, its document at the same seq.
      const hash = resultHash("CORRELATION", "Dev host exposed")
      yield* Effect.flatMap(ResultStore, (store) =>
        store.insert(ids[0]!, [
          CollectionResult.make({
            id: resultIdFor(ids[0]!, hash),
            task_id: taskIdFor(ids[0]!, "DOMAIN:example.com", "correlation"),
            scan_id: ids[0]!,
            module_id: ModuleId.make("correlation"),
            data_type: "CORRELATION",
            data: "Dev host exposed",
            source_data: {},
            confidence: 1,
            collected_at: DateTime.unsafeMake(Date.UTC(2025, 0, 1)),
            metadata: {},
            hash,
            parent: null
          })
        ]))
      const sql = yield* PgClient
      yield* Effect.promise(() =>
        sql`update scans set document = jsonb_set(document, '{name}', '"renamed"') where id = ${ids[1]!}`
      )
      yield* expectListed
      const renamed = ok(yield* Gateway.get(`/scans/${ids[1]!}`, caller)) as { name: string }
      expect(renamed.name).toBe("renamed")
      const counted = ok(yield* Gateway.get(`/scans/${ids[0]!}`, caller)) as { correlation_count: number }
      expect(counted.correlation_count).toBe(1)
    }))
})
