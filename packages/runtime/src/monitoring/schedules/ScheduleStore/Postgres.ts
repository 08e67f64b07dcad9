/** Schedules in Postgres (`schedules`, `schedule_runs`); records are fenced by `shard_fences` in their transaction. */
import { Role } from "@mirage/domain/api/Authentication"
import { ScanId } from "@mirage/domain/Ids"
import { RunOutcome, Schedule, ScheduleId } from "@mirage/domain/Schedule"
import { Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError, StaleEpoch } from "../../../platform/Errors.js"
import { PgClient } from "../../../platform/PgClient.js"
import type { Sql } from "../../../platform/PgClient.js"
import { rowsDecoder } from "../../../platform/Rows.js"
import { ScheduleStore } from "../ScheduleStore.js"
import type { RunRecord, StoredSchedule } from "../ScheduleStore.js"

const Owner = Schema.Struct({ user_id: Schema.String, role: Role, key_id: Schema.String })

const Row = Schema.Struct({
  body: Schedule,
  shard: Schema.Number,
  principal: Owner,
  deleted: Schema.Boolean,
  seq: Schema.NumberFromString
})

const RunRow = Schema.Struct({
  schedule_id: ScheduleId,
  due_at: Schema.NumberFromString,
  outcome: RunOutcome,
  scan_ids: Schema.Array(ScanId),
  launched: Schema.Boolean,
  recorded_at: Schema.NumberFromString
})

const toStored = (row: typeof Row.Type): StoredSchedule => ({
  schedule: row.body,
  shard: row.shard,
  owner: row.principal,
  deleted: row.deleted,
  seq: row.seq
})

const encodeBody = Schema.encodeSync(Schedule)

const decodeRowArray = rowsDecoder(Row)

const decodeRows = (operation: string) => (rows: unknown) =>
  Effect.map(decodeRowArray(operation)(rows), (list) => list.map(toStored))

const decodeRuns = (operation: string) => (rows: unknown) =>
  Effect.mapError(
    Schema.decodeUnknown(Schema.Array(RunRow))(rows),
    (cause) => new PersistenceError({ operation, cause })
  ) as Effect.Effect<ReadonlyArray<RunRecord>, PersistenceError>

/** Runs `body` in a transaction once the shard's fence is locked and checked to be `epoch`. */
const fenced = <A>(sql: Sql, operation: string, shard: number, epoch: number, body: (tx: Sql) => Promise<A>) =>
  attempt(operation, () =>
    sql.begin(async (tx) => {
      const [fence] = await tx`SELECT epoch::text AS epoch FROM shard_fences WHERE shard = ${shard} FOR SHARE`
      if (fence === undefined || Number(fence["epoch"]) !== epoch) return { stale: true as const }
      return { stale: false as const, value: await body(tx as unknown as Sql) }
    })).pipe(
      Effect.flatMap((result) =>
        result.stale ? Effect.fail(new StaleEpoch({ shard, epoch })) : Effect.succeed(result.value as A)
      )
    )

const runColumnsOf = (sql: Sql) =>
  sql`schedule_id, due_at::text AS due_at, outcome, scan_ids, launched, recorded_at::text AS recorded_at`

/** The latest record, the latest started one and those left to launch, in one round trip. */
const progressOf = (sql: Sql, id: string) => {
  const runColumns = runColumnsOf(sql)
  return attempt(
    "schedules.progress",
    () =>
      sql`(SELECT ${runColumns}, 'last' AS kind FROM schedule_runs WHERE schedule_id = ${id}
         ORDER BY due_at DESC LIMIT 1)
        UNION ALL
        (SELECT ${runColumns}, 'started' AS kind FROM schedule_runs WHERE schedule_id = ${id}
         AND outcome = 'started' ORDER BY due_at DESC LIMIT 1)
        UNION ALL
        (SELECT ${runColumns}, 'unlaunched' AS kind FROM schedule_runs WHERE schedule_id = ${id}
         AND outcome IN ('started', 'queued') AND NOT launched ORDER BY due_at LIMIT 10)`
  ).pipe(
    Effect.flatMap((rows) =>
      Effect.map(decodeRuns("schedules.progress")(rows), (runs) => {
        const kinds = rows.map((row) => row["kind"] as string)
        const of = (kind: string) => runs.filter((_, i) => kinds[i] === kind)
        return { last: of("last")[0] ?? null, lastStarted: of("started")[0] ?? null, unlaunched: of("unlaunched") }
      })
    )
  )
}

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const columns = sql`body, shard, principal, deleted, seq::text AS seq`
  const runColumns = runColumnsOf(sql)

  return ScheduleStore.of({
    insert: ({ owner, schedule, shard }) =>
      attempt("schedules.insert", () =>
        sql`INSERT INTO schedules (id, organization_id, shard, body, principal, version)
            VALUES (${schedule.id}, ${schedule.organization_id}, ${shard}, ${
          sql.json(JSON.parse(JSON.stringify(encodeBody(schedule))))
        },
                    ${sql.json({ ...owner })}, ${schedule.version})`).pipe(Effect.asVoid),
    replace: (schedule, expectedVersion) =>
      attempt(
        "schedules.replace",
        () =>
          sql`UPDATE schedules SET body = ${
            sql.json(JSON.parse(JSON.stringify(encodeBody(schedule))))
          }, version = ${schedule.version},
              seq = nextval('schedules_seq')
            WHERE id = ${schedule.id} AND organization_id = ${schedule.organization_id}
              AND version = ${expectedVersion} AND NOT deleted`
      ).pipe(Effect.map((result) => result.count === 1)),
    remove: (organizationId, id) =>
      attempt("schedules.remove", () =>
        sql`UPDATE schedules SET deleted = true, seq = nextval('schedules_seq')
            WHERE id = ${id} AND organization_id = ${organizationId} AND NOT deleted`).pipe(
          Effect.map((result) => result.count === 1)
        ),
    get: (organizationId, id) =>
      attempt("schedules.get", () =>
        sql`SELECT ${columns} FROM schedules
            WHERE id = ${id} AND organization_id = ${organizationId} AND NOT deleted`).pipe(
          Effect.flatMap(decodeRows("schedules.get")),
          Effect.map((list) => Option.fromNullable(list[0]))
        ),
    list: (organizationId, after, limit) =>
      attempt("schedules.list", () =>
        sql`SELECT ${columns} FROM schedules
            WHERE organization_id = ${organizationId} AND NOT deleted
              ${
          after === null
            ? sql``
            : sql`AND (created_at, id) > (SELECT created_at, id FROM schedules WHERE id = ${after})`
        }
            ORDER BY created_at, id LIMIT ${limit}`).pipe(Effect.flatMap(decodeRows("schedules.list"))),
    ofShards: (shards) =>
      shards.length === 0 ?
        Effect.succeed([]) :
        attempt("schedules.ofShards", () =>
          sql`SELECT ${columns} FROM schedules WHERE shard = ANY(${shards as Array<number>}) AND NOT deleted`).pipe(
            Effect.flatMap(decodeRows("schedules.ofShards"))
          ),
    changes: (shards, afterSeq) =>
      shards.length === 0 ? Effect.succeed([]) : attempt("schedules.changes", () =>
        sql`SELECT ${columns} FROM schedules
            WHERE seq > ${afterSeq} AND shard = ANY(${shards as Array<number>}) ORDER BY seq`).pipe(
          Effect.flatMap(decodeRows("schedules.changes"))
        ),
    // One statement, one round trip: the fence row is locked FOR SHARE for the statement's transaction, and the
    // insert happens only if it holds this epoch (a due time fires on its shard's hot path).
    record: ({ epoch, shard }, run) =>
      attempt("schedules.record", () =>
        sql`WITH f AS (SELECT epoch FROM shard_fences WHERE shard = ${shard} FOR SHARE),
                 ins AS (
                   INSERT INTO schedule_runs (schedule_id, due_at, outcome, scan_ids, epoch, recorded_at)
                   SELECT ${run.schedule_id}, ${run.due_at}, ${run.outcome}, ${[...run.scan_ids]}::uuid[],
                          ${epoch}, ${run.recorded_at}
                   FROM f WHERE f.epoch = ${epoch}
                   ON CONFLICT (schedule_id, due_at) DO NOTHING RETURNING 1)
            SELECT (SELECT epoch::text FROM f) AS fence, (SELECT count(*)::int FROM ins) AS inserted`).pipe(
          Effect.flatMap(
            ([row]): Effect.Effect<{ readonly existing: RunRecord | null }, PersistenceError | StaleEpoch> => {
              if (row === undefined || Number(row["fence"]) !== epoch) {
                return Effect.fail(new StaleEpoch({ shard, epoch }))
              }
              if (row["inserted"] === 1) return Effect.succeed({ existing: null })
              return attempt("schedules.record", () =>
                sql`SELECT ${runColumns} FROM schedule_runs
                WHERE schedule_id = ${run.schedule_id} AND due_at = ${run.due_at}`).pipe(
                  Effect.flatMap(decodeRuns("schedules.record")),
                  Effect.map((list) => ({ existing: list[0] ?? null }))
                )
            }
          )
        ),
    launched: ({ epoch, shard }, id, dueAt) =>
      fenced(
        sql,
        "schedules.launched",
        shard,
        epoch,
        (tx) =>
          tx`UPDATE schedule_runs SET launched = true, outcome = 'started'
           WHERE schedule_id = ${id} AND due_at = ${dueAt}`
      ).pipe(Effect.asVoid),
    progress: (id) => progressOf(sql, id),
    runs: (id, beforeDue, limit) =>
      attempt("schedules.runs", () =>
        sql`SELECT ${runColumns} FROM schedule_runs WHERE schedule_id = ${id}
            ${beforeDue === null ? sql`` : sql`AND due_at < ${beforeDue}`}
            ORDER BY due_at DESC LIMIT ${limit}`).pipe(Effect.flatMap(decodeRuns("schedules.runs")))
  })
})

export const layer = Layer.effect(ScheduleStore, make)
