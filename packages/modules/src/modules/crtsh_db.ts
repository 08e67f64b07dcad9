/**
 * crtsh_db: names under a domain from crt.sh's public PostgreSQL database (certwatch; user
 * `guest`, no password, read-only), the path to use when the web front end times out on large
 * domains. One query a task: the identities of certificates whose names match the domain, full
 * text first (the `certwatch` search configuration), then `NAME_VALUE ILIKE '%.' || domain`.
 * A row that does not fit (a NULL, a name_value that is no host name) is skipped and counted.
 * The connection goes through the scope guard like any socket a module opens.
 */
import { Effect, Option, Schema } from "effect"
import { connect, type Socket } from "node:net"
import postgres from "postgres"
import { headerFields } from "../kinds/PagedApi.js"
import * as Rows from "../kinds/Rows.js"
import { canonicalName, subdomainFindings } from "../kinds/SubdomainSource.js"
import {
  BadResponse,
  type DataSource,
  defineModule,
  ModuleConfigError,
  SourceUnavailable,
  targetValue
} from "../Module.js"
import type { AddressGuard } from "../ModuleContext.js"

export const CrtshDbConfig = Schema.Struct({
  /** The certwatch database; the public one unless configured (the sandbox points at its own). */
  database_url: Schema.optionalWith(Schema.String.pipe(Schema.pattern(/^postgres(ql)?:\/\//)), {
    default: () => "postgres://guest@crt.sh:5432/certwatch",
    exact: true
  }),
  /** (certificate, name) pairs read at most: the server cancels long statements anyway. */
  max_rows: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100_000)), { default: () => 10_000, exact: true }),
  /**
   * How long the query may take, connecting included: a server that does not speak PostgreSQL (or stops answering)
   * would otherwise keep the client waiting for ever.
   */
  timeout_ms: Schema.optionalWith(Schema.Int.pipe(Schema.between(1_000, 600_000)), {
    default: () => 60_000,
    exact: true
  })
})
export type CrtshDbConfig = typeof CrtshDbConfig.Type

/** A host name (maybe `*.`), or a mailbox the identities search also matches (not a DOMAIN, but not odd either). */
const NameValue = Schema.String.pipe(
  Schema.filter((name) => name.includes("@") || Option.isSome(canonicalName(name)) || "name_value is not a host name")
)

export const IdentityRow = Schema.Struct({
  name_value: NameValue,
  /** bigint, sent as text. */
  certificate_id: Rows.Stringish,
  certificates: Schema.Number
})
export type IdentityRow = typeof IdentityRow.Type

/** The query crt.sh's own search runs, cut to what names need; `$1` the domain, `$2` the row cap. */
export const identitiesQuery = `
SELECT sub.name_value, min(sub.certificate_id)::text AS certificate_id, count(*)::int AS certificates
  FROM (SELECT cai.CERTIFICATE_ID AS certificate_id, lower(cai.NAME_VALUE) AS name_value
          FROM certificate_and_identities cai
         WHERE plainto_tsquery('certwatch', $1) @@ identities(cai.CERTIFICATE)
           AND (cai.NAME_VALUE ILIKE ('%.' || $1) OR lower(cai.NAME_VALUE) = $1)
         LIMIT $2) sub
 GROUP BY sub.name_value`

const source: DataSource = {
  id: "crtsh_db",
  name: "crt.sh certwatch database",
  // A shared read-only replica: a query every few seconds is plenty.
  rateLimit: { requests: 1, perSeconds: 3, burst: 2 },
  requiresKey: false,
  proxy: false
}

/** A socket connected through the guard's lookup, which checks every address the host resolves to. */
const guardedSocket =
  (guard: AddressGuard) => (options: { readonly host: ReadonlyArray<string>; readonly port: ReadonlyArray<number> }) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: options.host[0]!, port: options.port[0]!, lookup: guard.lookup })
      socket.once("connect", () => resolve(socket))
      socket.once("error", reject)
    })

/**
 * Connection trouble, cancelled statements (timeouts, 57xxx), the replica's recovery conflicts (40001) and
 * lack of resources (53xxx) are worth a retry; anything else is not.
 */
const failure = (cause: unknown) => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
  const reason = `crt.sh database: ${cause instanceof Error ? cause.message : String(cause)}`
  return /^(E[A-Z]+|CONNECT_TIMEOUT|CONNECTION_\w+|57\w+|08\w+|53\w+|40001)$/.test(code)
    ? new SourceUnavailable({ reason, cause })
    : new BadResponse({ reason, cause })
}

export const crtshDb = defineModule({
  ...headerFields({
    name: "crtsh_db",
    title: "crt.sh (database)",
    description: "Finds subdomains in Certificate Transparency logs through crt.sh's public PostgreSQL database",
    flags: ["passive", "safe"],
    config: CrtshDbConfig,
    input_types: ["DOMAIN"],
    output_types: ["DOMAIN"]
  }),
  source,
  setup: (config: CrtshDbConfig, ctx) =>
    Effect.gen(function*() {
      if (!URL.canParse(config.database_url)) {
        return yield* new ModuleConfigError({ module: "crtsh_db", reason: "database_url is not a URL" })
      }
      if (ctx.guard !== undefined) yield* ctx.guard.check("crtsh_db", new URL(config.database_url).hostname)
      const sql = yield* Effect.acquireRelease(
        Effect.try({
          try: () =>
            postgres(config.database_url, {
              max: 1,
              prepare: false,
              connect_timeout: 20,
              idle_timeout: 30,
              onnotice: () => undefined,
              // One statement a task: no catalog queries first.
              fetch_types: false,
              // The server stops the statement too, rather than run it on for nobody once the task gave up on it.
              connection: { statement_timeout: config.timeout_ms },
              ...(ctx.guard === undefined ? {} : { socket: guardedSocket(ctx.guard) })
            }),
          catch: (cause) => new ModuleConfigError({ module: "crtsh_db", reason: `database_url: ${String(cause)}` })
        }),
        (sql) => Effect.promise(() => sql.end({ timeout: 5 }))
      )
      return { config, sql, notes: ctx.notes, log: ctx.log, throttle: ctx.throttle }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("crtsh_db", task, "DOMAIN")
      // Its own connection, so the source's rate limit is taken here, as ctx.http would for a request.
      yield* session.throttle
      const raws = yield* Effect.tryPromise({
        try: () => session.sql.unsafe(identitiesQuery, [domain, session.config.max_rows]),
        catch: failure
      }).pipe(
        Effect.timeoutFail({
          duration: session.config.timeout_ms,
          onTimeout: () =>
            new SourceUnavailable({ reason: `crt.sh database: no answer within ${session.config.timeout_ms} ms` })
        })
      )
      const rows = yield* Rows.decodeEach(Array.from(raws), Rows.schema(IdentityRow), session.notes)
      const pairs = rows.reduce((sum, row) => sum + row.certificates, 0)
      if (pairs >= session.config.max_rows) {
        yield* session.notes.warn(`stopped after ${session.config.max_rows} certificate names (max_rows)`)
      }
      const findings = subdomainFindings(rows, domain, (row) => [row.name_value], (row) => ({
        certificate_id: row.certificate_id,
        certificates: row.certificates
      }), { confidence: 0.8 })
      yield* session.log("crt.sh database answered", { domain, names: rows.length, findings: findings.length })
      return findings
    })
})
