/**
 * The event store on PostgreSQL: a batch of appends (group commit) is one statement, `mirage_append`, given the whole
 * batch as one JSON document (built in `PostgresBatch.ts`, its JSON in `PostgresJson.ts`); it is fenced by
 * `shard_fences` rows locked FOR SHARE until it commits.
 */
import { ScanId } from "@mirage/domain/Ids"
import { ScanEvent } from "@mirage/domain/ScanEvent"
import { fromSnapshot, replay, ScanSnapshot } from "@mirage/domain/ScanMachine"
import { Deferred, Effect, Either, Layer, Option, Schema } from "effect"
import postgres from "postgres"
import { ConcurrencyConflict, PersistenceError, StaleEpoch } from "../../platform/Errors.js"
import * as GroupCommit from "../../platform/GroupCommit.js"
import { PgClient } from "../../platform/PgClient.js"
import type { Sql } from "../../platform/PgClient.js"
import * as Tracing from "../../platform/Tracing.js"
import { EventStore } from "../EventStore.js"
import type { Append, EventStoreService, Loaded, StoredEvent } from "../EventStore.js"
import { batchJson, encodeBatch, fencesOf, inconsistentWithinBatch } from "./PostgresBatch.js"
import { decodeEventPayload } from "./PostgresJson.js"

const EventRows = Schema.Array(Schema.Struct({ seq: Schema.Int, payload: ScanEvent }))
const LoadRow = Schema.Struct({
  seq: Schema.NullOr(Schema.Int),
  state: Schema.NullOr(ScanSnapshot),
  // Each payload is decoded by decodeEventPayload.
  events: Schema.Array(Schema.Struct({ seq: Schema.Int, payload: Schema.Unknown })),
  commands: Schema.Array(Schema.String)
})
const IdRows = Schema.Array(Schema.Struct({ id: ScanId }))
const FenceRows = Schema.Array(Schema.Struct({ shard: Schema.Int, epoch: Schema.Number }))

const decodeRows = <A, I>(schema: Schema.Schema<A, I>, operation: string) => (rows: unknown) =>
  Schema.decodeUnknown(schema)(rows).pipe(Effect.mapError((cause) => new PersistenceError({ operation, cause })))

const query = <A>(operation: string, run: () => PromiseLike<A>) =>
  Effect.tryPromise({ try: () => Promise.resolve(run()), catch: (cause) => new PersistenceError({ operation, cause }) })

// A seq or command id already written (before, or by a transaction racing on the same keys) is a unique violation:
// a conflict, whose detail names the scan.
const uniqueViolation = (appends: ReadonlyArray<Append>, cause: postgres.PostgresError) => {
  const append = appends.find((a) => cause.detail?.includes(a.scan_id) === true) ?? appends[0]
  return new ConcurrencyConflict({ scan_id: append?.scan_id ?? "", expected_seq: append?.expected_seq ?? 0 })
}

type PendingLoad = GroupCommit.Waiting<ScanId, Option.Option<Loaded>, PersistenceError>

/** Scans one load statement reads at most, and how many such statements a process runs at once. */
const loadBatch = 64
const loaders = 2

const isUuid = Schema.is(Schema.UUID)

/** A scan's state from its row of the load statement: none for a scan that has no log. */
const loaded = (scanId: ScanId, row: unknown) =>
  Effect.gen(function*() {
    const operation = "EventStore.load"
    if (row === undefined) return yield* new PersistenceError({ operation, cause: `no row loading ${scanId}` })
    const { commands, events, seq, state: snapshot } = yield* decodeRows(LoadRow, operation)(row)
    const payloads = yield* Either.all(events.map((event) => decodeEventPayload(event.payload))).pipe(
      Either.mapLeft((cause) => new PersistenceError({ operation, cause }))
    )
    const from = seq === null || snapshot === null ? undefined : fromSnapshot(snapshot)
    const state = replay(payloads, from)
    if (state === undefined) return Option.none<Loaded>()
    const lastSeq = events.length === 0 ? from?.seq : events[events.length - 1]?.seq
    if (state.seq !== lastSeq) {
      return yield* new PersistenceError({
        operation,
        cause: `the log of ${scanId} replays to seq ${state.seq} but ends at seq ${String(lastSeq)}`
      })
    }
    return Option.some<Loaded>({ state, commands: new Set(commands) })
  })

/**
 * One statement (one round trip, one consistent read) for what starting actors need: each one's snapshot, the events
 * after it, and the command ids already answered. Loads asked for while a statement runs go out together in the next
 * one, as appends do through the journal: actors start by the dozen when a read of the streams brings new scans, or
 * when a shard is taken over. A scan without a snapshot still gets its row, with nulls.
 */
const makeLoad = (sql: Sql) =>
  Effect.gen(function*() {
    const loadStatement = (pending: ReadonlyArray<PendingLoad>) =>
      Effect.gen(function*() {
        const ids = pending.map((load) => load.input)
        const rows = yield* query(
          "EventStore.load",
          () =>
            sql`
              SELECT ids.n, s.seq, s.state,
                (SELECT coalesce(json_agg(json_build_object('seq', e.seq, 'payload', e.payload) ORDER BY e.seq), '[]')
                 FROM scan_events e WHERE e.scan_id = ids.id AND e.seq > coalesce(s.seq, 0)) AS events,
                (SELECT coalesce(json_agg(c.command_id), '[]') FROM scan_commands c WHERE c.scan_id = ids.id) AS commands
              FROM unnest(${sql.array(ids)}::uuid[]) WITH ORDINALITY AS ids(id, n)
              LEFT JOIN scan_snapshots s ON s.scan_id = ids.id
            `
        )
        const byPosition = new Map<number, unknown>()
        for (const row of rows) byPosition.set(Number((row as { readonly n: unknown }).n), row)
        // Each scan's row is decoded and replayed on its own: one that does not read back fails only its own load.
        yield* Effect.forEach(
          pending,
          (load, i) =>
            Effect.exit(loaded(load.input, byPosition.get(i + 1))).pipe(
              Effect.flatMap((exit) => Deferred.done(load.done, exit))
            ),
          { discard: true }
        )
      })

    const loadOne = yield* GroupCommit.make({ workers: loaders, limit: loadBatch, run: loadStatement })

    return (scanId: ScanId): ReturnType<EventStoreService["load"]> =>
      // No scan has an id that is not a UUID (the column's type would refuse the whole statement).
      (isUuid(scanId) ? loadOne(scanId) : Effect.succeed(Option.none())).pipe(
        Tracing.whenTraced("EventStore.load", () => ({ captureStackTrace: false, attributes: { scan_id: scanId } }))
      )
  })

export const make = Effect.gen(function*() {
  const sql = yield* PgClient

  const append: EventStoreService["append"] = (appends) => {
    if (appends.length === 0) return Effect.void
    const within = inconsistentWithinBatch(appends)
    if (within !== undefined) {
      return Effect.fail(new ConcurrencyConflict({ scan_id: within.scan_id, expected_seq: within.expected_seq }))
    }
    const fences = fencesOf(appends)
    if (!(fences instanceof Map)) return Effect.fail(fences)
    const batch = encodeBatch(appends)
    if (Either.isLeft(batch)) return Effect.fail(batch.left)
    return Effect.tryPromise({
      try: () => sql`SELECT mirage_append(${batchJson(appends, fences, batch.right)}::text::jsonb)`,
      catch: (cause) => refusal(appends, cause)
    }).pipe(
      Effect.asVoid,
      Tracing.whenTraced("EventStore.append", () => ({
        captureStackTrace: false,
        attributes: { appends: appends.length }
      }))
    )
  }

  const load = yield* makeLoad(sql)

  const events: EventStoreService["events"] = (scanId, afterSeq, limit) =>
    query(
      "EventStore.events",
      () =>
        sql`SELECT seq, payload FROM scan_events WHERE scan_id = ${scanId} AND seq > ${afterSeq}
            ORDER BY seq LIMIT ${Math.max(0, limit)}`
    ).pipe(
      Effect.flatMap(decodeRows(EventRows, "EventStore.events")),
      Effect.map((rows): ReadonlyArray<StoredEvent> =>
        rows.map((row) => ({ scan_id: scanId, seq: row.seq, event: row.payload }))
      )
    )

  const activeScans: EventStoreService["activeScans"] = (shard) =>
    query(
      "EventStore.activeScans",
      () =>
        sql`SELECT id FROM scans
            WHERE shard = ${shard} AND status IN ('RUNNING', 'PAUSED') AND deleted_at IS NULL ORDER BY id`
    ).pipe(
      Effect.flatMap(decodeRows(IdRows, "EventStore.activeScans")),
      Effect.map((rows) => rows.map((row) => row.id))
    )

  const shardCount: EventStoreService["shardCount"] = (count) =>
    Effect.gen(function*() {
      const operation = "EventStore.shardCount"
      yield* query(
        operation,
        () =>
          sql`INSERT INTO cluster_meta (key, value) VALUES ('shards', ${sql.json(count)})
              ON CONFLICT (key) DO NOTHING`
      )
      const rows = yield* query(operation, () => sql`SELECT value FROM cluster_meta WHERE key = 'shards'`)
      const stored = Number((rows[0] as { readonly value?: unknown } | undefined)?.value)
      return Number.isInteger(stored) ? stored : yield* new PersistenceError({ operation, cause: "no shard count" })
    })

  const fence: EventStoreService["fence"] = (shard, epoch) =>
    Effect.gen(function*() {
      const operation = "EventStore.fence"
      yield* query(
        operation,
        () =>
          sql`INSERT INTO shard_fences (shard, epoch) VALUES (${shard}, ${epoch})
              ON CONFLICT (shard) DO UPDATE SET epoch = EXCLUDED.epoch WHERE shard_fences.epoch < EXCLUDED.epoch`
      )
      const rows = yield* query(
        operation,
        () => sql`SELECT shard, epoch::float8 AS epoch FROM shard_fences WHERE shard = ${shard}`
      ).pipe(Effect.flatMap(decodeRows(FenceRows, operation)))
      const stored = rows[0]
      if (stored === undefined) {
        return yield* new PersistenceError({ operation, cause: `the fence of shard ${shard} is missing` })
      }
      return stored.epoch
    })

  return EventStore.of({ append, load, events, activeScans, fence, shardCount })
})

/** What a refused or failed `mirage_append` means for the batch. */
const refusal = (
  appends: ReadonlyArray<Append>,
  cause: unknown
): PersistenceError | StaleEpoch | ConcurrencyConflict => {
  if (!(cause instanceof postgres.PostgresError)) return new PersistenceError({ operation: "EventStore.append", cause })
  switch (cause.code) {
    case "MR001": {
      const shard = Number(cause.detail)
      const append = appends.find((a) => a.fence?.shard === shard)
      return new StaleEpoch({ shard, epoch: append?.fence?.epoch ?? 0 })
    }
    case "MR002": {
      const append = appends.find((a) => a.scan_id === cause.detail)
      return new ConcurrencyConflict({ scan_id: cause.detail ?? "", expected_seq: append?.expected_seq ?? 0 })
    }
    case "23505":
      return uniqueViolation(appends, cause)
    default:
      return new PersistenceError({ operation: "EventStore.append", cause })
  }
}

/** The event store on the PostgreSQL of `PgClient`. */
export const layer = Layer.scoped(EventStore, make)
