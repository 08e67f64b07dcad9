/** Standalone collection jobs in Postgres (`collect_jobs`, migration 0004). */
import { OrganizationId, ScanId } from "@mirage/domain/Ids"
import { Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { JobStore } from "../JobStore.js"

const Row = Schema.Struct({
  job_id: ScanId,
  organization_id: OrganizationId,
  timeout_seconds: Schema.Int,
  max_results: Schema.Int,
  use_proxy: Schema.Boolean
})

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  return JobStore.of({
    insert: (job) =>
      attempt(
        "insert job",
        () =>
          sql`insert into collect_jobs (job_id, organization_id, timeout_seconds, max_results, use_proxy)
            values (${job.job_id}, ${job.organization_id}, ${job.timeout_seconds}, ${job.max_results}, ${job.use_proxy})`
      )
        .pipe(Effect.asVoid),
    get: (organizationId, jobId) =>
      attempt(
        "read job",
        () =>
          sql`select job_id, organization_id, timeout_seconds, max_results, use_proxy from collect_jobs
            where job_id = ${jobId} and organization_id = ${organizationId}`
      ).pipe(
        Effect.flatMap((rows) =>
          Effect.mapError(
            Schema.decodeUnknown(Schema.Array(Row))(rows),
            (cause) => new PersistenceError({ operation: "read job", cause })
          )
        ),
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )
  })
})

export const layer = Layer.effect(JobStore, make)
