/** Scans run by the multi-process tests, and what a single in-process node finds for each (the fault-free results). */
import { expect } from "@effect/vitest"
import { FixtureWorld } from "@mirage/testkit"
import { Effect, Schedule } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { get, newCaller, post } from "../../gateway/test/Gateway.js"
import { layer as stack, startNode } from "./Stack.js"

export { freePort } from "@mirage/testkit/OwnStores"

export const definitions = (domain: string) => [
  { name: "footprint", target: { type: "DOMAIN", value: domain }, modules: ["crtsh", "dns_resolve"], depth: 2 },
  {
    name: "records",
    target: { type: "DOMAIN", value: domain },
    modules: ["crtsh", "dns_resolve", "dns_records"],
    depth: 1
  },
  {
    name: "api host",
    target: { type: "DOMAIN", value: `api.${domain}` },
    modules: ["dns_resolve", "reverse_dns"],
    depth: 2
  },
  {
    name: "dns only",
    target: { type: "DOMAIN", value: domain },
    modules: ["dns_records", "dns_resolve", "reverse_dns"],
    depth: 2
  }
]

export type Definition = ReturnType<typeof definitions>[number]

export const body = (d: Definition) => ({
  name: d.name,
  target: d.target,
  modules: d.modules.map((id) => ({ id })),
  configuration: { recursion_depth: d.depth }
})

export interface Result {
  readonly data_type: string
  readonly data: string
  readonly hash: string
}

/** The last lines of every child's log, so that a failure in CI says what the processes saw. */
export const logTails = (folder: string) =>
  Effect.sync(() =>
    readdirSync(folder).map((file) => {
      const lines = readFileSync(join(folder, file), "utf8").trimEnd().split("\n")
      return `--- ${file} (last 40 of ${lines.length} lines)\n${lines.slice(-40).join("\n")}`
    }).join("\n")
  )

export const terminal = new Set(["COMPLETED", "FAILED", "CANCELLED"])

/** Results of one scan as a sorted list of "TYPE value", through any HTTP caller. */
export type Page = { readonly items: ReadonlyArray<Result>; readonly next_cursor: string | null }

export const resultSet = <E, R>(fetchPage: (path: string) => Effect.Effect<Page, E, R>, id: string) =>
  Effect.gen(function*() {
    const items: Array<Result> = []
    let cursor: string | null = null
    do {
      const path: string = `/scans/${id}/results?limit=200${cursor === null ? "" : `&cursor=${cursor}`}`
      const page: Page = yield* fetchPage(path)
      items.push(...page.items)
      cursor = page.next_cursor
    } while (cursor !== null)
    // Nothing doubled, correlation findings included.
    expect(new Set(items.map((r) => r.hash)).size).toBe(items.length)
    // What the modules found. Correlation findings are the rules' reading of those, and the ones a rule settles at a
    // scan's end are written just after it completes: they are not part of what a run must reproduce.
    return items.filter((r) => r.data_type !== "CORRELATION").map((r) => `${r.data_type} ${r.data}`).sort()
  })

/** What each definition finds on a single in-process node. */
export const reference = Effect.gen(function*() {
  const node = yield* startNode("reference")
  const caller = yield* newCaller("analyst")
  const sets: Array<ReadonlyArray<string>> = []
  for (const d of definitions(FixtureWorld.domain)) {
    const id = ((yield* post("/scans", body(d), caller)).body as { id: string }).id
    yield* post(`/scans/${id}/start`, {}, caller)
    for (let i = 0; i < 600; i++) {
      const status = (yield* get(`/scans/${id}/status`, caller)).body as { status: string }
      if (terminal.has(status.status)) break
      yield* Effect.sleep("50 millis")
    }
    sets.push(yield* resultSet((path) => Effect.map(get(path, caller), (a) => a.body as Page), id))
  }
  yield* node.stop
  return sets
}).pipe(Effect.provide(stack), Effect.scoped)

/**
 * A JSON caller of a launched gateway with an API key. A 5xx or a network error is retried for up to ~30 s (a store
 * may be restarting): only an answer counts.
 */
export const gatewayCaller = (base: string, key: string) => <A>(method: string, path: string, payload?: unknown) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${base}${path}`, {
      method,
      signal: AbortSignal.timeout(20_000),
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) })
    })
    if (response.status >= 500) throw new Error(`${method} ${path}: ${response.status}`)
    return (await response.json()) as A
  }).pipe(Effect.retry({ times: 60, schedule: Schedule.spaced("500 millis") }), Effect.orDie)

export type Caller = ReturnType<typeof gatewayCaller>

/** The final status of each scan, polled until all are terminal or `withinMs` has passed (missing ones are absent). */
export const finalStatuses = (call: Caller, ids: ReadonlyArray<string>, withinMs: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + withinMs
    const statuses = new Map<string, string>()
    while (Date.now() < deadline && statuses.size < ids.length) {
      for (const id of ids) {
        if (statuses.has(id)) continue
        const status = yield* call<{ status: string }>("GET", `/scans/${id}/status`)
        if (terminal.has(status.status)) statuses.set(id, status.status)
      }
      yield* Effect.sleep("200 millis")
    }
    return statuses
  })
