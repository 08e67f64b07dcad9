/**
 * What a module notes besides its findings reaches the task's collection log summary in FerretDB:
 * rows skipped (with the first reason) and the warning of a later page that failed, the task
 * still completing with the earlier pages' results.
 */
import { describe, expect, it } from "@effect/vitest"
import { NoConfig } from "@mirage/modules/kinds/PagedApi"
import * as Paging from "@mirage/modules/kinds/Paging"
import { Formats } from "@mirage/modules/kinds/Request"
import { subdomainSource } from "@mirage/modules/kinds/SubdomainSource"
import type { Module } from "@mirage/modules/Module"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Option, Schema } from "effect"
import type { CollectionLogEntry, SummaryEntry } from "../../src/collection/CollectionLog.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import { driven } from "../support/Driven.js"
import { freshStores, node, task } from "../support/Executors.js"

const paged = subdomainSource({
  name: "example_paged",
  description: "Names from a paged example API",
  flags: ["passive", "safe"],
  source: {
    id: "example_paged",
    name: "Example",
    rateLimit: { requests: 100, perSeconds: 1 },
    requiresKey: false,
    proxy: false
  },
  config: NoConfig,
  format: Formats.json,
  request: (domain) => ({ path: "/names", query: { domain } }),
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: Schema.Struct({ id: Schema.Number, name: Schema.String }),
  paging: Paging.afterLast("after", "id"),
  maxPages: () => 5,
  names: (row) => [row.name]
})

const summaryOf = (entries: ReadonlyArray<CollectionLogEntry>): SummaryEntry | undefined =>
  entries.find((entry): entry is SummaryEntry => entry.kind === "summary")

describe("ModuleExecutor collection notes", () => {
  it.scoped("a skipped row and a failed later page are in the summary; the task completes with page 1's results", () =>
    Effect.gen(function*() {
      const server = yield* FixtureServer.make([
        {
          request: { path: "/names", query: { domain: "example.test" } },
          response: {
            json: [{ id: 1, name: "a.example.test" }, { id: "two", name: 2 }, { id: 3, name: "b.example.test" }]
          }
        },
        { request: { path: "/names", query: { domain: "example.test", after: "3" } }, response: { status: 404 } }
      ])
      const n = yield* node({
        stores: yield* freshStores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], example_paged: server.url },
        settings: { findModule: (id) => (id === paged.id ? Option.some<Module>(paged) : Option.none()) }
      })
      const spec = task("example_paged", { type: "DOMAIN", value: "example.test" })
      const run = yield* driven(n.executor.execute(spec))
      yield* server.verify
      expect(run.outcome).toBe("completed")
      expect(run.findings.map((f) => f.value)).toEqual(["a.example.test", "b.example.test"])
      const summary = summaryOf((yield* n.log.listForTask(spec.task_id, null, 10)).items)
      expect(summary).toMatchObject({ outcome: "completed", result_count: 2, rows_skipped: 1 })
      expect(summary?.skip_reason).toContain("id")
      expect(summary?.warnings).toEqual([expect.stringContaining("page 2 failed, 2 rows of earlier pages kept")])
    }))

  it.scoped("a task without notes has none in its summary", () =>
    Effect.gen(function*() {
      const server = yield* FixtureServer.make([
        { request: { path: "/names", query: { domain: "example.test" } }, response: { json: [] } }
      ])
      const n = yield* node({
        stores: yield* freshStores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [], example_paged: server.url },
        settings: { findModule: (id) => (id === paged.id ? Option.some<Module>(paged) : Option.none()) }
      })
      const spec = task("example_paged", { type: "DOMAIN", value: "example.test" })
      expect((yield* driven(n.executor.execute(spec))).outcome).toBe("completed")
      const summary = summaryOf((yield* n.log.listForTask(spec.task_id, null, 10)).items)
      expect(summary).not.toHaveProperty("rows_skipped")
      expect(summary).not.toHaveProperty("warnings")
    }))
})
