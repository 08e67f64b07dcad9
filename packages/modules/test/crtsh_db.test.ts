/**
 * crtsh_db against a certwatch-like schema on the local PostgreSQL: the test creates a throwaway
 * schema with crt.sh's view shape (`certificate_and_identities`), an `identities()` full-text
 * function and a `certwatch` search configuration, and drops it afterwards.
 */
import { describe, expect, it } from "@effect/vitest"
import { type AddressGuard, ModuleConfigError } from "@mirage/modules/Module"
import type { ModuleContext } from "@mirage/modules/ModuleContext"
import { SourceUnavailable } from "@mirage/modules/ModuleError"
import { crtshDb } from "@mirage/modules/modules/crtsh_db"
import * as CertwatchServer from "@mirage/testkit/CertwatchServer"
import * as FixtureWorld from "@mirage/testkit/FixtureWorld"
import * as TcpListeners from "@mirage/testkit/TcpListeners"
import { Effect, Either, Fiber, TestClock } from "effect"
import { lookup } from "node:dns"
import postgres from "postgres"
import { contextFor, worldWithContext } from "./support.js"

const admin = "postgres://postgres@127.0.0.1:5432/postgres"

/** Certificates as (id, names); `identities()` indexes every dotted suffix of a name, as certwatch's parser splits them. */
const certificates: ReadonlyArray<readonly [number, ReadonlyArray<string>]> = [
  [9001, ["example.test", "www.example.test"]],
  [9002, ["*.example.test", "API.example.test"]],
  [9003, ["api.example.test"]],
  [9004, ["notexample.test", "shop.other.test"]],
  [9005, ["mail.example.test", "hostmaster@example.test"]],
  // A name no DNS could hold: the row is skipped and counted.
  [9006, ["bad name!.example.test"]]
]

const certwatch = Effect.acquireRelease(
  Effect.promise(async () => {
    const schema = `certwatch_${Math.random().toString(36).slice(2, 10)}`
    const sql = postgres(admin, { max: 1, onnotice: () => undefined })
    await sql.unsafe(`
      CREATE SCHEMA ${schema};
      SET search_path TO ${schema};
      CREATE TEXT SEARCH CONFIGURATION certwatch (COPY = pg_catalog.simple);
      CREATE TABLE certificate_and_identities (
        certificate_id bigint, certificate bytea, name_type text, name_value text, issuer_ca_id int);
      CREATE FUNCTION identities(cert bytea) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
        SELECT array_to_tsvector(array_agg(DISTINCT suffix)) FROM (
          SELECT array_to_string((string_to_array(lower(name), '.'))[i:], '.') AS suffix
            FROM unnest(string_to_array(convert_from(cert, 'UTF8'), E'\\n')) AS name,
                 generate_series(1, 8) AS i) parts WHERE suffix <> '' $$;`)
    for (const [id, names] of certificates) {
      for (const name of names) {
        await sql.unsafe(
          `INSERT INTO ${schema}.certificate_and_identities VALUES ($1, convert_to($2, 'UTF8'), $3, $4, 1)`,
          [id, names.join("\n"), name.includes("@") ? "san:rfc822Name" : "san:dNSName", name]
        )
      }
    }
    return { schema, sql }
  }),
  ({ schema, sql }) => Effect.promise(() => sql.unsafe(`DROP SCHEMA ${schema} CASCADE`).then(() => sql.end()))
)

const run = (config: Record<string, unknown>, guard?: AddressGuard, throttle?: ModuleContext["throttle"]) =>
  Effect.gen(function*() {
    const { ctx } = yield* contextFor("crtsh_db", { dnsServers: [] })
    const given = { ...ctx, ...(guard === undefined ? {} : { guard }), ...(throttle === undefined ? {} : { throttle }) }
    const outcome = yield* Effect.either(
      Effect.flatMap(
        crtshDb.open(config, given),
        (session) => session.collect({ target: { type: "DOMAIN", value: "example.test" } })
      )
    )
    return { outcome, notes: yield* ctx.notes.summary }
  })

describe("crtsh_db", () => {
  it.scoped("runs crt.sh's identity search: names under the domain once each, with a certificate", () =>
    Effect.gen(function*() {
      const { schema } = yield* certwatch
      const { notes, outcome } = yield* run({ database_url: `${admin}?search_path=${schema}` })
      const findings = Either.getOrThrow(outcome)
      expect(notes).toMatchObject({ rows_skipped: 1, skip_reason: expect.stringContaining("not a host name") })
      expect(findings.map((f) => [f.value, f.metadata["wildcard"]])).toEqual([
        ["api.example.test", false],
        ["example.test", true],
        ["mail.example.test", false],
        ["www.example.test", false]
      ])
      expect(findings[0]?.source_data).toEqual({ evidence: [{ certificate_id: "9002", certificates: 2 }] })
    }))

  it.scoped("its own connection takes the source's rate limit: a token before the query, none when refused", () =>
    Effect.gen(function*() {
      const { schema } = yield* certwatch
      let tokens = 0
      const counted = Effect.sync(() => void tokens++)
      const { outcome } = yield* run({ database_url: `${admin}?search_path=${schema}` }, undefined, counted)
      expect(Either.getOrThrow(outcome)).toHaveLength(4)
      expect(tokens).toBe(1)
      const refused = Effect.fail(new SourceUnavailable({ reason: "rate limiter unavailable" }))
      const denied = yield* run({ database_url: `${admin}?search_path=${schema}` }, undefined, refused)
      expect(Either.isLeft(denied.outcome) && denied.outcome.left._tag).toBe("SourceUnavailable")
    }))

  it.scoped("through a guard, the host is checked and the socket resolves it with the guard's lookup", () =>
    Effect.gen(function*() {
      const { schema } = yield* certwatch
      const looked: Array<string> = []
      const guard: AddressGuard = {
        check: () => Effect.void,
        lookup: ((host: string, options: never, callback: never) => {
          looked.push(host)
          return lookup(host, options, callback)
        }) as AddressGuard["lookup"]
      }
      const { outcome } = yield* run({
        database_url: `postgres://postgres@localhost:5432/postgres?search_path=${schema}`
      }, guard)
      expect(Either.getOrThrow(outcome)).toHaveLength(4)
      expect(looked).toEqual(["localhost"])
    }))

  it.scoped("the sandbox's certwatch answers the same search over the wire: the certificates' names under the domain", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("crtsh_db")
      const session = yield* crtshDb.open(world.moduleConfig["crtsh_db"], ctx)
      const findings = yield* session.collect({ target: { type: "DOMAIN", value: world.domain } })
      expect(findings.map((f) => f.value)).toEqual([...world.expected.certificateNames].sort())
      expect(findings.find((f) => f.value === world.domain)?.metadata["wildcard"]).toBe(true)
      expect(world.certwatch.statements()).toEqual([expect.stringContaining("certificate_and_identities")])
    }))

  it.scoped("odd rows (NULLs, a name_value that is no name) are skipped and counted; the rest are kept", () =>
    Effect.gen(function*() {
      const server = yield* CertwatchServer.make(
        [{ ...FixtureWorld.certificates[0]!, id: 7001, names: ["www.example.test", "example.test"] }],
        {
          oddRows: [
            [null, "7002", 1],
            ["not a host name!.example.test", "7003", 1],
            ["api.example.test", null, 1],
            ["mail.example.test", "7005", null],
            // A mailbox the search matches too: not a name, but not a malformed row either.
            ["x@mail.example.test", "7006", 1],
            ["vpn.example.test", "7007", 2]
          ]
        }
      )
      const { notes, outcome } = yield* run({ database_url: server.url })
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual([
        "example.test",
        "vpn.example.test",
        "www.example.test"
      ])
      expect(notes).toMatchObject({ rows_skipped: 4, skip_reason: expect.stringContaining("name_value") })
    }))

  it.scoped("a server that never answers as PostgreSQL does is SourceUnavailable after timeout_ms, on the clock", () =>
    Effect.gen(function*() {
      const silent = yield* TcpListeners.silent
      const fiber = yield* Effect.fork(run({ database_url: `postgres://guest@127.0.0.1:${silent.port}/certwatch` }))
      while (silent.connections() === 0) yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust("60 seconds")
      const { outcome } = yield* Fiber.join(fiber)
      expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "SourceUnavailable",
        reason: "crt.sh database: no answer within 60000 ms"
      })
    }))

  it.scoped("a statement slower than timeout_ms is stopped by the server too, not left running for nobody", () =>
    Effect.gen(function*() {
      const { schema, sql } = yield* certwatch
      // Every search now takes 30 s on the server; the TestClock never moves, so only the server can end it.
      yield* Effect.promise(() =>
        sql.unsafe(`CREATE OR REPLACE FUNCTION ${schema}.identities(cert bytea) RETURNS tsvector LANGUAGE sql AS $$
          SELECT to_tsvector('simple', 'x') FROM pg_sleep(30) $$`)
      )
      const { outcome } = yield* run({ database_url: `${admin}?search_path=${schema}`, timeout_ms: 1_000 })
      expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({
        _tag: "SourceUnavailable",
        reason: expect.stringContaining("statement timeout")
      })
    }))

  it.scoped("max_rows caps the rows read, with a warning", () =>
    Effect.gen(function*() {
      const { schema } = yield* certwatch
      const { notes, outcome } = yield* run({ database_url: `${admin}?search_path=${schema}`, max_rows: 2 })
      expect(Either.getOrThrow(outcome).length).toBeLessThanOrEqual(2)
      expect(notes.warnings).toEqual(["stopped after 2 certificate names (max_rows)"])
    }))

  it.scoped("a database that does not answer is SourceUnavailable; a guard refusing the host stops before any connect", () =>
    Effect.gen(function*() {
      const port = yield* TcpListeners.closedPort
      const down = yield* run({ database_url: `postgres://guest@127.0.0.1:${port}/certwatch` })
      expect(Either.flip(down.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
      const checked: Array<string> = []
      const refused = yield* run({}, {
        check: (module: string, host: string) =>
          Effect.sync(() => checked.push(host)).pipe(
            Effect.zipRight(Effect.fail(new ModuleConfigError({ module, reason: `${host} is out of scope` })))
          ),
        lookup
      })
      expect(checked).toEqual(["crt.sh"])
      const garbled = yield* run({ database_url: "postgres://[" })
      expect(Either.flip(garbled.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "ModuleConfigError" })
      expect(Either.flip(refused.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "ModuleConfigError" })
    }))
})
