/**
 * A module with a bug never takes its node down: whatever it throws or dies with, in collect or in setup, the executor
 * ends the task failed with the reason in the collection log summary and an error log line, without retrying it.
 */
import { describe, expect, it } from "@effect/vitest"
import { defineModule } from "@mirage/modules/Module"
import type { Module } from "@mirage/modules/Module"
import { Effect, Option, Schema } from "effect"
import type { CollectionLogEntry, SummaryEntry } from "../../src/collection/CollectionLog.js"
import * as RateLimiterMemory from "../../src/collection/RateLimiter/Memory.js"
import { captureLogs, driven } from "../support/Driven.js"
import { freshStores, node, task } from "../support/Executors.js"

const source = {
  id: "buggy_source",
  name: "A source whose module has bugs",
  rateLimit: { requests: 100, perSeconds: 1 },
  requiresKey: false,
  proxy: false
}

/** A module that fails the way careless code does: `how` says where and with what. */
const buggy = (id: string, how: "throw" | "die" | "setup") =>
  defineModule({
    name: id,
    description: "Has a bug",
    version: "1.0.0",
    author: "test",
    input_types: ["DOMAIN"],
    output_types: ["DOMAIN"],
    flags: ["passive", "safe"],
    configSchema: Schema.Struct({}),
    source,
    setup: (): Effect.Effect<void> =>
      how === "setup"
        ? Effect.sync(() => {
          throw new RangeError("setup read past the end")
        })
        : Effect.void,
    collect: () =>
      how === "throw"
        ? Effect.sync(() => {
          const rows = JSON.parse("{}") as { items: ReadonlyArray<{ name: string }> }
          return rows.items.map((row) => ({
            type: "DOMAIN" as const,
            value: row.name,
            confidence: 1,
            source_data: {},
            metadata: {}
          }))
        })
        : Effect.die("a value the module never expected")
  })

const modules: ReadonlyArray<Module> = [buggy("throws", "throw"), buggy("dies", "die"), buggy("setup_throws", "setup")]

const summaryOf = (entries: ReadonlyArray<CollectionLogEntry>): SummaryEntry | undefined =>
  entries.find((entry): entry is SummaryEntry => entry.kind === "summary")

describe("ModuleExecutor and module defects", () => {
  it.scoped("a thrown exception or a die in collect or setup fails the task once, logged, the executor unharmed", () =>
    Effect.gen(function*() {
      const n = yield* node({
        stores: yield* freshStores,
        hub: RateLimiterMemory.makeHub(),
        endpoints: { dnsServers: [] },
        settings: { findModule: (id) => Option.fromNullable(modules.find((module) => module.id === id)) }
      })
      const expectations = [
        ["throws", "module throws failed unexpectedly: TypeError"],
        ["dies", "module dies failed unexpectedly: a value the module never expected"],
        ["setup_throws", "module setup_throws failed unexpectedly: RangeError: setup read past the end"]
      ] as const
      for (const [id, reason] of expectations) {
        const logs = captureLogs()
        const spec = task(id, { type: "DOMAIN", value: "example.test" })
        const run = yield* logs.provide(driven(n.executor.execute(spec)))
        expect(run.outcome, id).toBe("failed")
        expect(run.attempts, id).toBe(1)
        expect(Option.getOrNull(Option.map(run.failure, (failure) => failure.reason)), id).toContain(reason)
        const summary = summaryOf((yield* n.log.listForTask(spec.task_id, null, 10)).items)
        expect(summary, id).toMatchObject({
          outcome: "failed",
          result_count: 0,
          error: expect.stringContaining(reason)
        })
        const logged = logs.lines.filter((line) => line.includes("level=ERROR"))
        expect(logged, id).toEqual([expect.stringContaining("module defect")])
        expect(logged[0], id).toContain(`module=${id}`)
        // `run` fails with the same typed failure rather than dying.
        const failure = yield* Effect.flip(driven(n.executor.run(task(id, { type: "DOMAIN", value: "example.test" }))))
        expect(failure.kind, id).toBe("failed")
      }
    }))
})
