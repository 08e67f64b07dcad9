/**
 * Retention: each organization's policy (keep the last N runs of a series and/or D days), and the purge that
 * applies it: the results (MongoDB and its read copy) and the events, snapshots and command ids (Postgres) of expired runs go, and
 * the runs leave the scans list. Never purged: runs not ended, the latest ended run of each series, runs the
 * inventory refers to, and runs a scan that has not ended depends on.
 */
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { expiredRuns, RetentionPolicy } from "@mirage/domain/Retention"
import { Clock, Effect, Option, Schedule, Schema } from "effect"
import type { Duration } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { ResultStore } from "../../scans/ResultStore.js"
import { Inventory } from "../inventory/Inventory.js"
import * as Settings from "./Settings.js"

const decode = <A, I>(schema: Schema.Schema<A, I>, operation: string) => (value: unknown) =>
  Effect.mapError(Schema.decodeUnknown(schema)(value), (cause) => new PersistenceError({ operation, cause }))

export const getPolicy = (organizationId: OrganizationId) =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    const rows = yield* attempt("read retention policy", () =>
      sql`select keep_runs, keep_days from retention_policies where organization_id = ${organizationId}`)
    return rows[0] === undefined
      ? Option.none<RetentionPolicy>()
      : Option.some(yield* decode(RetentionPolicy, "read retention policy")(rows[0]))
  })

export const putPolicy = (organizationId: OrganizationId, policy: RetentionPolicy) =>
  Effect.flatMap(
    PgClient,
    (sql) =>
      attempt("store retention policy", () =>
        sql`insert into retention_policies (organization_id, keep_runs, keep_days, updated_at)
          values (${organizationId}, ${policy.keep_runs}, ${policy.keep_days}, now())
          on conflict (organization_id) do update set keep_runs = excluded.keep_runs,
            keep_days = excluded.keep_days, updated_at = now()`).pipe(Effect.asVoid)
  )

const RunRow = Schema.Struct({
  id: ScanId,
  series: Schema.String,
  created_at: Schema.Number,
  ended_at: Schema.NullOr(Schema.Number)
})

/** Purges the organization's expired runs under its policy at `now`; returns the ids purged. */
export const purgeOrganization = (organizationId: OrganizationId, now: number) =>
  Effect.gen(function*() {
    const policy = yield* getPolicy(organizationId)
    if (Option.isNone(policy)) return []
    const sql = yield* PgClient
    const results = yield* ResultStore
    const inventory = yield* Inventory
    const runs = yield* attempt("read runs for retention", () =>
      sql`
        select id, target_type || ':' || target_value as series,
          (extract(epoch from created_at) * 1000)::float8 as created_at,
          case when status in ('COMPLETED', 'FAILED', 'CANCELLED')
            then (extract(epoch from coalesce(completed_at, updated_at)) * 1000)::float8 end as ended_at
        from scans where organization_id = ${organizationId} and deleted_at is null`).pipe(
        Effect.flatMap(decode(Schema.Array(RunRow), "read runs for retention"))
      )
    const dependencies = yield* attempt("read dependencies for retention", () =>
      sql<Array<{ id: string }>>`
        select d.depends_on as id from scan_dependencies d join scans s on s.id = d.scan_id
        where d.organization_id = ${organizationId} and s.status not in ('COMPLETED', 'FAILED', 'CANCELLED')`)
    const needed = new Set(yield* inventory.referencedScans(organizationId))
    for (const row of dependencies) needed.add(ScanId.make(row.id))
    const expired = expiredRuns(runs, policy.value, now, needed)
    for (const id of expired) {
      yield* results.purge(id)
      yield* attempt("purge run events", () =>
        sql.begin(async (tx) => {
          await tx`delete from scan_events where scan_id = ${id}`
          await tx`delete from scan_snapshots where scan_id = ${id}`
          await tx`delete from scan_commands where scan_id = ${id}`
          // An ended run sends no more notifications: its webhook and the changes staged for it go too, with the log
          // the sweep would look their updates up in.
          await tx`delete from scan_webhooks where scan_id = ${id}`
          await tx`delete from scan_webhook_changes where scan_id = ${id}`
          await tx`delete from scan_dependency_changes where scan_id = ${id}`
          await tx`update scans set deleted_at = to_timestamp(${now} / 1000.0) where id = ${id}
            and deleted_at is null`
        }))
    }
    return expired
  })

/** One pass over every organization with a policy (purging is idempotent: nodes sweeping at once do no harm). */
export const sweep = Effect.gen(function*() {
  const sql = yield* PgClient
  const now = yield* Clock.currentTimeMillis
  const organizations = yield* attempt(
    "read retention policies",
    () => sql<Array<{ organization_id: string }>>`select organization_id from retention_policies`
  )
  let purged = 0
  for (const row of organizations) {
    purged += (yield* purgeOrganization(OrganizationId.make(row.organization_id), now)).length
  }
  return purged
})

/** The background job: a sweep now and then at every interval; failures are logged and the next sweep retries. */
export const job = (every: Duration.DurationInput) =>
  sweep.pipe(
    Effect.tap((purged) =>
      purged > 0 ? Effect.logInfo("retention purged runs").pipe(Effect.annotateLogs({ purged })) : Effect.void
    ),
    Effect.catchAll((error) => Effect.logWarning("retention sweep failed", error)),
    Effect.repeat(Schedule.spaced(every))
  )

/** The job at the configured interval (`MIRAGE_RETENTION_EVERY_MS`). */
export const configuredJob = Effect.flatMap(Settings.retentionEvery, job)
