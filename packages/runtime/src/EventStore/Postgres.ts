/**
 * The event store on PostgreSQL: a batch of appends is one transaction of a few pipelined, array-bound statements
 * (group commit), fenced by `shard_fences` rows locked FOR SHARE until commit.
 */
import { ScanId } from "@mirage/domain/Ids"
import { ScanEvent } from "@mirage/domain/ScanEvent"
import { fromSnapshot, replay, ScanSnapshot, toScan, toSnapshot } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, HashMap, Layer, Option, Schema } from "effect"
import type { ParseResult } from "effect"
import postgres from "postgres"
import { ConcurrencyConflict, PersistenceError, StaleEpoch } from "../Errors.js"
import { EventStore } from "../EventStore.js"
import type { Append, EventStoreService, StoredEvent } from "../EventStore.js"
import { PgClient } from "../PgClient.js"
import { ScanDocument } from "../ScanReadModel.js"

const encodeEvent = Schema.encode(Schema.parseJson(ScanEvent))
const encodeDocument = Schema.encode(Schema.parseJson(ScanDocument))
const encodeSnapshot = Schema.encode(Schema.parseJson(ScanSnapshot))

const EventRows = Schema.Array(Schema.Struct({ seq: Schema.Int, payload: ScanEvent }))
const SnapshotRows = Schema.Array(Schema.Struct({ seq: Schema.Int, state: ScanSnapshot }))
const CommandRows = Schema.Array(Schema.Struct({ command_id: Schema.String }))
const IdRows = Schema.Array(Schema.Struct({ id: ScanId }))
const FenceRows = Schema.Array(Schema.Struct({ shard: Schema.Int, epoch: Schema.Number }))
const KeyRows = Schema.Array(Schema.Struct({ scan_id: Schema.String }))
const CountRows = Schema.Array(Schema.Struct({ scan_id: Schema.String, n: Schema.Int }))

const decodeRows = <A, I>(schema: Schema.Schema<A, I>, operation: string) => (rows: unknown) =>
  Schema.decodeUnknown(schema)(rows).pipe(Effect.mapError((cause) => new PersistenceError({ operation, cause })))

const query = <A>(operation: string, run: () => PromiseLike<A>) =>
  Effect.tryPromise({ try: () => Promise.resolve(run()), catch: (cause) => new PersistenceError({ operation, cause }) })

const isUniqueViolation = (cause: unknown): cause is postgres.PostgresError =>
  cause instanceof postgres.PostgresError && cause.code === "23505"

// The statements insert with ON CONFLICT DO NOTHING and count, but a unique violation all the same (a concurrent
// transaction racing on the same keys) is a conflict too: the detail names the scan.
const uniqueViolation = (appends: ReadonlyArray<Append>, cause: postgres.PostgresError) => {
  const append = appends.find((a) => cause.detail?.includes(a.scan_id) === true) ?? appends[0]
  return new ConcurrencyConflict({ scan_id: append?.scan_id ?? "", expected_seq: append?.expected_seq ?? 0 })
}

/** One append's rows, encoded before the transaction opens so that it holds its locks only for I/O. */
interface EncodedAppend {
  readonly append: Append
  readonly payloads: ReadonlyArray<string>
}

/** A scan's state after the batch, with its `scans.document` or its snapshot as JSON text. */
interface EncodedState {
  readonly state: ScanState
  readonly shard: number
  readonly json: string
}

/** `scans.document`: the wire Scan plus the task counts and running time a status report needs. */
const projectionDocument = (state: ScanState): ScanDocument => ({
  ...toScan(state),
  tasks: state.counts,
  running_ms: state.running_ms,
  running_since: state.running_since
})

/** The reference encodings, through the schemas: what `encodeProjection` and `encodeEventJson` must agree with. */
export const encodeProjectionWithSchema = (state: ScanState) => encodeDocument(projectionDocument(state))
export const encodeEventWithSchema = encodeEvent

/** The parts of `scans.document` that only change with the scan's definition or header, as the schema encodes them. */
const StaticDocument = ScanDocument.pipe(
  Schema.pick(
    "name",
    "description",
    "target",
    "modules",
    "configuration",
    "user_id",
    "organization_id",
    "template_id",
    "depends_on"
  )
)
const encodeStatic = Schema.encodeSync(StaticDocument)
const staticParts = new WeakMap<
  ScanState["definition"],
  { readonly header: ScanState["header"]; readonly json: string }
>()

/**
 * `{...fixed, ...rest}` as JSON, where `fixed` is already JSON text: spreading a cached encoded object into a literal
 * with a dozen more keys costs V8 far more than writing the rest and joining the texts. Their keys are disjoint.
 */
const joinJson = (fixed: string, rest: object): string => {
  const tail = JSON.stringify(rest)
  return fixed === "{}" ? tail : `${fixed.slice(0, -1)},${tail.slice(1)}`
}

const iso = (millis: number) => new Date(millis).toISOString()

/** Task counts as plain JSON (the state's object may carry more than the five counts). */
const countsJson = (counts: ScanState["counts"]) => ({
  queued: counts.queued,
  running: counts.running,
  completed: counts.completed,
  failed: counts.failed,
  cancelled: counts.cancelled
})

/**
 * `projectionDocument` encoded as JSON without the schema on the hot path: the state comes from the machine, so its
 * values are already valid; the definition and header parts are encoded by the schema once per definition. The
 * test suite checks that it decodes to what the schema encoding decodes to.
 */
export const encodeProjection = (state: ScanState): string => {
  let parts = staticParts.get(state.definition)
  if (parts === undefined || parts.header !== state.header) {
    parts = {
      header: state.header,
      json: JSON.stringify(encodeStatic({
        name: state.definition.name,
        description: state.definition.description,
        target: state.definition.target,
        modules: state.definition.modules,
        configuration: state.definition.configuration,
        user_id: state.header.user_id,
        organization_id: state.header.organization_id,
        template_id: state.header.template_id,
        depends_on: state.header.depends_on
      }))
    }
    staticParts.set(state.definition, parts)
  }
  return joinJson(parts.json, {
    id: state.id,
    status: state.status,
    progress: state.progress,
    created_at: iso(state.created_at),
    updated_at: iso(state.updated_at),
    started_at: state.started_at === null ? null : iso(state.started_at),
    completed_at: state.completed_at === null ? null : iso(state.completed_at),
    result_count: state.result_count,
    status_reason: state.reason,
    tasks: countsJson(state.counts),
    running_ms: state.running_ms,
    running_since: state.running_since
  })
}

const entityJson = (entity: { readonly type: string; readonly value: string }) => ({
  type: entity.type,
  value: entity.value
})

/**
 * An event as JSON: the frequent events of a running scan (plain numbers, ids and entities, all produced by the
 * machine) without the schema, the others (definitions, headers) through it. The test suite checks both agree.
 */
export const encodeEventJson = (event: ScanEvent): Effect.Effect<string, ParseResult.ParseError> => {
  switch (event._tag) {
    case "ScanStarted":
    case "ScanPaused":
    case "ScanResumed":
    case "ScanDeleted":
      return Effect.succeed(JSON.stringify({ _tag: event._tag, at: event.at }))
    case "TaskStarted":
      return Effect.succeed(JSON.stringify({ _tag: event._tag, at: event.at, task_id: event.task_id }))
    case "TaskFailed":
      return Effect.succeed(
        JSON.stringify({ _tag: event._tag, at: event.at, task_id: event.task_id, error: event.error })
      )
    case "ScanCompleted":
    case "ScanFailed":
    case "ScanCancelled":
      return Effect.succeed(JSON.stringify({ _tag: event._tag, at: event.at, reason: event.reason }))
    case "TaskCompleted":
      return Effect.succeed(JSON.stringify({
        _tag: event._tag,
        at: event.at,
        task_id: event.task_id,
        result_count: event.result_count,
        discovered: event.discovered.map(entityJson)
      }))
    case "TasksPlanned":
      return Effect.succeed(JSON.stringify({
        _tag: event._tag,
        at: event.at,
        tasks: event.tasks.map((task) => ({
          task_id: task.task_id,
          module_id: task.module_id,
          entity: entityJson(task.entity),
          depth: task.depth
        }))
      }))
    default:
      return encodeEvent(event)
  }
}

/** The parts of a snapshot fixed at the scan's creation, as the schema encodes them. */
const StaticSnapshot = ScanSnapshot.pipe(Schema.pick("header", "definition", "plan", "seeds"))
const encodeStaticSnapshot = Schema.encodeSync(StaticSnapshot)
const staticSnapshots = new WeakMap<
  ScanState["definition"],
  {
    readonly header: ScanState["header"]
    readonly plan: ScanState["plan"]
    readonly seeds: ScanState["seeds"]
    readonly json: string
  }
>()

/** The reference encoding of a snapshot, through the schema: what `encodeSnapshotJson` must agree with. */
export const encodeSnapshotWithSchema = (state: ScanState) => encodeSnapshot(toSnapshot(state))

/**
 * A state's snapshot as JSON without the schema on the hot path (terminal scans each write one): the creation-time
 * parts go through the schema once per scan, the rest are plain values the machine produced. The test suite checks
 * that it decodes to what the schema encoding decodes to.
 */
export const encodeSnapshotJson = (state: ScanState): string => {
  let parts = staticSnapshots.get(state.definition)
  if (
    parts === undefined || parts.header !== state.header || parts.plan !== state.plan || parts.seeds !== state.seeds
  ) {
    parts = {
      header: state.header,
      plan: state.plan,
      seeds: state.seeds,
      json: JSON.stringify(encodeStaticSnapshot({
        header: state.header,
        definition: state.definition,
        plan: state.plan,
        seeds: state.seeds
      }))
    }
    staticSnapshots.set(state.definition, parts)
  }
  const tasks: Array<unknown> = []
  for (const task of HashMap.values(state.tasks)) {
    tasks.push({
      task_id: task.task_id,
      module_id: task.module_id,
      entity: entityJson(task.entity),
      depth: task.depth,
      status: task.status,
      order: task.order,
      result_count: task.result_count,
      error: task.error
    })
  }
  return joinJson(parts.json, {
    id: state.id,
    seq: state.seq,
    status: state.status,
    reason: state.reason,
    deleted: state.deleted,
    created_at: state.created_at,
    updated_at: state.updated_at,
    started_at: state.started_at,
    completed_at: state.completed_at,
    running_ms: state.running_ms,
    running_since: state.running_since,
    seen: Array.from(state.seen),
    tasks,
    counts: countsJson(state.counts),
    result_count: state.result_count,
    progress: state.progress
  })
}

/** The last append of each scan in the batch: the state its projection (and snapshot) rows take. */
const lastPerScan = (appends: ReadonlyArray<Append>): ReadonlyArray<Append> => {
  const last = new Map<string, Append>()
  for (const append of appends) {
    const seen = last.get(append.scan_id)
    if (seen === undefined || append.state.seq >= seen.state.seq) last.set(append.scan_id, append)
  }
  return Array.from(last.values())
}

/** The append whose expectations a batch cannot meet without touching the database, if any. */
const inconsistentWithinBatch = (appends: ReadonlyArray<Append>): Append | undefined => {
  const next = new Map<string, number>()
  for (const append of appends) {
    const expected = next.get(append.scan_id)
    if (expected !== undefined && expected !== append.expected_seq) return append
    next.set(append.scan_id, append.expected_seq + append.events.length)
  }
  return undefined
}

export const make = Effect.gen(function*() {
  const sql = yield* PgClient

  const encode = (appends: ReadonlyArray<Append>) =>
    Effect.gen(function*() {
      const encoded: Array<EncodedAppend> = []
      for (const append of appends) {
        const payloads: Array<string> = []
        for (const event of append.events) payloads.push(yield* encodeEventJson(event))
        encoded.push({ append, payloads })
      }
      const states: Array<EncodedState> = []
      for (const append of lastPerScan(appends)) {
        states.push({
          state: append.state,
          shard: append.shard,
          json: encodeProjection(append.state)
        })
      }
      const snapshots: Array<EncodedState> = []
      for (const append of lastPerScan(appends.filter((a) => a.snapshot))) {
        snapshots.push({
          state: append.state,
          shard: append.shard,
          json: encodeSnapshotJson(append.state)
        })
      }
      return { encoded, states, snapshots }
    }).pipe(Effect.mapError((cause) => new PersistenceError({ operation: "EventStore.append: encode", cause })))

  // The whole batch in one transaction. Statements are pipelined and their outcomes checked together: a refusal
  // rejects the callback, which is how `sql.begin` is told to roll back.
  const transaction = (
    tx: postgres.TransactionSql<Record<string, never>>,
    appends: ReadonlyArray<Append>,
    batch: Effect.Effect.Success<ReturnType<typeof encode>>
  ): Promise<void> => {
    const fences = new Map<number, number>()
    for (const { fence } of appends) {
      if (fence !== null) fences.set(fence.shard, Math.max(fences.get(fence.shard) ?? fence.epoch, fence.epoch))
    }
    const shards = Array.from(fences.keys()).sort((a, b) => a - b)

    const ev: {
      readonly scan: Array<string>
      readonly seq: Array<number>
      readonly type: Array<string>
      readonly payload: Array<string>
      readonly at: Array<number>
      readonly epoch: Array<number | null>
    } = { scan: [], seq: [], type: [], payload: [], at: [], epoch: [] }
    for (const { append, payloads } of batch.encoded) {
      append.events.forEach((event, i) => {
        ev.scan.push(append.scan_id)
        ev.seq.push(append.expected_seq + i + 1)
        ev.type.push(event._tag)
        ev.payload.push(payloads[i] ?? "")
        ev.at.push(event.at)
        ev.epoch.push(append.fence?.epoch ?? null)
      })
    }

    const cmdScan: Array<string> = []
    const cmdId: Array<string> = []
    const cmdSeq: Array<number> = []
    for (const append of appends) {
      if (append.command_id === null) continue
      cmdScan.push(append.scan_id)
      cmdId.push(append.command_id)
      cmdSeq.push(append.expected_seq + append.events.length)
    }

    // Each scan's first expectation in the batch must be the seq of an event already in its log.
    const firstExpected = new Map<string, number>()
    for (const append of appends) {
      if (!firstExpected.has(append.scan_id)) firstExpected.set(append.scan_id, append.expected_seq)
    }
    const heads = Array.from(firstExpected).filter(([, seq]) => seq > 0)

    const st = batch.states
    const projection = {
      id: st.map((s) => s.state.id),
      org: st.map((s) => s.state.header.organization_id),
      user: st.map((s) => s.state.header.user_id),
      name: st.map((s) => s.state.definition.name),
      status: st.map((s) => s.state.status),
      targetType: st.map((s) => s.state.definition.target.type),
      targetValue: st.map((s) => s.state.definition.target.value),
      shard: st.map((s) => s.shard),
      seq: st.map((s) => s.state.seq),
      progress: st.map((s) => s.state.progress),
      results: st.map((s) => s.state.result_count),
      created: st.map((s) => s.state.created_at),
      updated: st.map((s) => s.state.updated_at),
      started: st.map((s) => s.state.started_at),
      completed: st.map((s) => s.state.completed_at),
      deleted: st.map((s) => (s.state.deleted ? s.state.updated_at : null)),
      document: st.map((s) => s.json)
    }
    const sn = batch.snapshots

    const statements = [
      shards.length === 0 ? Promise.resolve([]) : tx`
        SELECT shard, epoch::float8 AS epoch FROM shard_fences
        WHERE shard = ANY(${shards}::int[]) ORDER BY shard FOR SHARE`,
      // Rows inserted per scan (not a row per event): what the check needs, for a fraction of the traffic.
      ev.scan.length === 0 ? Promise.resolve([]) : tx`
        WITH inserted AS (
          INSERT INTO scan_events (scan_id, seq, type, payload, at, epoch)
          SELECT scan_id, seq, type, payload::jsonb, to_timestamp(at_ms / 1000.0), epoch
          FROM unnest(${ev.scan}::uuid[], ${ev.seq}::int[], ${ev.type}::text[], ${ev.payload}::text[],
                      ${ev.at}::float8[], ${ev.epoch}::int8[]) AS e(scan_id, seq, type, payload, at_ms, epoch)
          ON CONFLICT (scan_id, seq) DO NOTHING
          RETURNING scan_id)
        SELECT scan_id::text AS scan_id, count(*)::int AS n FROM inserted GROUP BY scan_id`,
      heads.length === 0 ? Promise.resolve([]) : tx`
        SELECT h.scan_id::text AS scan_id
        FROM unnest(${heads.map(([id]) => id)}::uuid[], ${heads.map(([, seq]) => seq)}::int[]) AS h(scan_id, seq)
        WHERE NOT EXISTS (SELECT 1 FROM scan_events e WHERE e.scan_id = h.scan_id AND e.seq = h.seq)`,
      cmdScan.length === 0 ? Promise.resolve([]) : tx`
        INSERT INTO scan_commands (scan_id, command_id, seq)
        SELECT * FROM unnest(${cmdScan}::uuid[], ${cmdId}::text[], ${cmdSeq}::int[])
        ON CONFLICT (scan_id, command_id) DO NOTHING
        RETURNING scan_id::text AS scan_id`,
      st.length === 0 ? Promise.resolve([]) : tx`
        INSERT INTO scans (id, organization_id, user_id, name, status, target_type, target_value, shard, seq,
                           progress, result_count, created_at, updated_at, started_at, completed_at, deleted_at,
                           document)
        SELECT id, org, usr, name, status, target_type, target_value, shard, seq, progress, result_count,
               to_timestamp(created / 1000.0), to_timestamp(updated / 1000.0), to_timestamp(started / 1000.0),
               to_timestamp(completed / 1000.0), to_timestamp(deleted / 1000.0), document::jsonb
        FROM unnest(${projection.id}::uuid[], ${projection.org}::uuid[], ${projection.user}::uuid[],
                    ${projection.name}::text[], ${projection.status}::text[], ${projection.targetType}::text[],
                    ${projection.targetValue}::text[], ${projection.shard}::int[], ${projection.seq}::int[],
                    ${projection.progress}::float8[], ${projection.results}::int[], ${projection.created}::float8[],
                    ${projection.updated}::float8[], ${projection.started}::float8[],
                    ${projection.completed}::float8[], ${projection.deleted}::float8[], ${projection.document}::text[])
          AS p(id, org, usr, name, status, target_type, target_value, shard, seq, progress, result_count, created,
               updated, started, completed, deleted, document)
        ON CONFLICT (id) DO UPDATE SET
          name = EXCLUDED.name, status = EXCLUDED.status, target_type = EXCLUDED.target_type,
          target_value = EXCLUDED.target_value, shard = EXCLUDED.shard, seq = EXCLUDED.seq,
          progress = EXCLUDED.progress, result_count = EXCLUDED.result_count, updated_at = EXCLUDED.updated_at,
          started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at,
          deleted_at = COALESCE(scans.deleted_at, EXCLUDED.deleted_at), document = EXCLUDED.document
        WHERE scans.seq < EXCLUDED.seq`,
      sn.length === 0 ? Promise.resolve([]) : tx`
        INSERT INTO scan_snapshots (scan_id, seq, state, at)
        SELECT scan_id, seq, state::jsonb, to_timestamp(at_ms / 1000.0)
        FROM unnest(${sn.map((s) => s.state.id)}::uuid[], ${sn.map((s) => s.state.seq)}::int[],
                    ${sn.map((s) => s.json)}::text[], ${sn.map((s) => s.state.updated_at)}::float8[])
          AS s(scan_id, seq, state, at_ms)
        ON CONFLICT (scan_id) DO UPDATE SET seq = EXCLUDED.seq, state = EXCLUDED.state, at = EXCLUDED.at
        WHERE scan_snapshots.seq < EXCLUDED.seq`
    ] as const

    return Promise.all(statements).then(([fenceRows, inserted, missingHeads, commands]) => {
      const refusal = checkBatch(appends, fences, fenceRows, inserted, missingHeads, commands)
      return refusal === undefined ? undefined : Promise.reject(refusal)
    })
  }

  const append: EventStoreService["append"] = (appends) => {
    if (appends.length === 0) return Effect.void
    const within = inconsistentWithinBatch(appends)
    if (within !== undefined) {
      return Effect.fail(new ConcurrencyConflict({ scan_id: within.scan_id, expected_seq: within.expected_seq }))
    }
    return Effect.flatMap(encode(appends), (batch) =>
      Effect.tryPromise({
        try: () => sql.begin((tx) => transaction(tx, appends, batch)),
        catch: (cause) =>
          cause instanceof StaleEpoch || cause instanceof ConcurrencyConflict || cause instanceof PersistenceError
            ? cause
            : isUniqueViolation(cause)
            ? uniqueViolation(appends, cause)
            : new PersistenceError({ operation: "EventStore.append", cause })
      })).pipe(Effect.withSpan("EventStore.append", { attributes: { appends: appends.length } }))
  }

  const load: EventStoreService["load"] = (scanId) =>
    Effect.gen(function*() {
      const operation = "EventStore.load"
      const snapshots = yield* query(
        operation,
        () => sql`SELECT seq, state FROM scan_snapshots WHERE scan_id = ${scanId}`
      ).pipe(Effect.flatMap(decodeRows(SnapshotRows, operation)))
      const from = snapshots[0] === undefined ? undefined : fromSnapshot(snapshots[0].state)
      const [events, commands] = yield* Effect.all([
        query(
          operation,
          () =>
            sql`SELECT seq, payload FROM scan_events WHERE scan_id = ${scanId} AND seq > ${from?.seq ?? 0} ORDER BY seq`
        ).pipe(Effect.flatMap(decodeRows(EventRows, operation))),
        query(operation, () => sql`SELECT command_id FROM scan_commands WHERE scan_id = ${scanId}`).pipe(
          Effect.flatMap(decodeRows(CommandRows, operation))
        )
      ], { concurrency: 2 })
      const state = replay(events.map((row) => row.payload), from)
      if (state === undefined) return Option.none()
      const lastSeq = events.length === 0 ? from?.seq : events[events.length - 1]?.seq
      if (state.seq !== lastSeq) {
        return yield* new PersistenceError({
          operation,
          cause: `the log of ${scanId} replays to seq ${state.seq} but ends at seq ${String(lastSeq)}`
        })
      }
      return Option.some({ state, commands: new Set(commands.map((row) => row.command_id)) })
    }).pipe(Effect.withSpan("EventStore.load", { attributes: { scan_id: scanId } }))

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

/** Why the batch must be rolled back, from the outcomes of its statements; undefined when it may commit. */
const checkBatch = (
  appends: ReadonlyArray<Append>,
  fences: ReadonlyMap<number, number>,
  fenceRows: unknown,
  inserted: unknown,
  missingHeads: unknown,
  commands: unknown
): StaleEpoch | ConcurrencyConflict | PersistenceError | undefined => {
  const decoded = Schema.decodeUnknownEither(Schema.Tuple(FenceRows, CountRows, KeyRows, KeyRows))([
    fenceRows,
    inserted,
    missingHeads,
    commands
  ])
  if (decoded._tag === "Left") return new PersistenceError({ operation: "EventStore.append", cause: decoded.left })
  const [stored, insertedRows, missing, commandRows] = decoded.right
  const current = new Map(stored.map((row) => [row.shard, row.epoch]))
  for (const append of appends) {
    if (append.fence === null) continue
    if (
      current.get(append.fence.shard) !== append.fence.epoch || fences.get(append.fence.shard) !== append.fence.epoch
    ) {
      return new StaleEpoch({ shard: append.fence.shard, epoch: append.fence.epoch })
    }
  }
  const conflict = (
    scanIds: ReadonlyArray<{ readonly scan_id: string; readonly n?: number }>,
    expected: (a: Append) => number
  ) => {
    const counts = new Map<string, number>()
    for (const { n, scan_id } of scanIds) counts.set(scan_id, (counts.get(scan_id) ?? 0) + (n ?? 1))
    for (const append of appends) {
      const want = expected(append)
      const got = counts.get(append.scan_id) ?? 0
      if (got < want) return new ConcurrencyConflict({ scan_id: append.scan_id, expected_seq: append.expected_seq })
      counts.set(append.scan_id, got - want)
    }
    return undefined
  }
  const head = missing[0]
  if (head !== undefined) {
    const append = appends.find((a) => a.scan_id === head.scan_id)
    return new ConcurrencyConflict({ scan_id: head.scan_id, expected_seq: append?.expected_seq ?? 0 })
  }
  return conflict(insertedRows, (a) => a.events.length) ??
    conflict(commandRows, (a) => (a.command_id === null ? 0 : 1))
}

/** The event store on the PostgreSQL of `PgClient`. */
export const layer = Layer.effect(EventStore, make)
