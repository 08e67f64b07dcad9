/**
 * The event store on PostgreSQL: a batch of appends (group commit) is one statement, `mirage_append`, given the whole
 * batch as one JSON document; it is fenced by `shard_fences` rows locked FOR SHARE until it commits.
 */
import { ScanId } from "@mirage/domain/Ids"
import { ScanEvent } from "@mirage/domain/ScanEvent"
import { fromSnapshot, replay, ScanSnapshot, toScan, toSnapshot } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, HashMap, Layer, Option, Schema } from "effect"
import type { ParseResult } from "effect"
import postgres from "postgres"
import { ConcurrencyConflict, PersistenceError, StaleEpoch } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { EventStore } from "../EventStore.js"
import type { Append, EventStoreService, StoredEvent } from "../EventStore.js"
import { ScanDocument } from "../ScanReadModel.js"

const encodeEvent = Schema.encode(Schema.parseJson(ScanEvent))
const encodeDocument = Schema.encode(Schema.parseJson(ScanDocument))
const encodeSnapshot = Schema.encode(Schema.parseJson(ScanSnapshot))

const EventRows = Schema.Array(Schema.Struct({ seq: Schema.Int, payload: ScanEvent }))
const SnapshotRows = Schema.Array(Schema.Struct({ seq: Schema.Int, state: ScanSnapshot }))
const CommandRows = Schema.Array(Schema.Struct({ command_id: Schema.String }))
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

/** The batch's events, projections and snapshots as JSON text, encoded before the statement is sent. */
const encodeBatch = (appends: ReadonlyArray<Append>) =>
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
    return Effect.flatMap(encodeBatch(appends), (batch) =>
      Effect.tryPromise({
        try: () => sql`SELECT mirage_append(${batchJson(appends, fences, batch)}::text::jsonb)`,
        catch: (cause) => refusal(appends, cause)
      })).pipe(Effect.asVoid, Effect.withSpan("EventStore.append", { attributes: { appends: appends.length } }))
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

/**
 * The epoch each fenced shard of the batch must have. Two appends of one shard under different epochs cannot both be
 * current: the one under the lower epoch is refused without asking the database.
 */
const fencesOf = (appends: ReadonlyArray<Append>): Map<number, number> | StaleEpoch => {
  const fences = new Map<number, number>()
  for (const { fence } of appends) {
    if (fence !== null) fences.set(fence.shard, Math.max(fences.get(fence.shard) ?? fence.epoch, fence.epoch))
  }
  for (const { fence } of appends) {
    if (fence !== null && fences.get(fence.shard) !== fence.epoch) return new StaleEpoch(fence)
  }
  return fences
}

/**
 * The batch as the one JSON document `mirage_append` takes (see its migration). Encoded payloads, projections and
 * snapshots are JSON text already and are spliced in as they are.
 */
const batchJson = (
  appends: ReadonlyArray<Append>,
  fences: ReadonlyMap<number, number>,
  batch: Effect.Effect.Success<ReturnType<typeof encodeBatch>>
): string => {
  const parts: Array<string> = []
  for (const [shard, epoch] of fences) parts.push(`{"shard":${shard},"epoch":${epoch}}`)
  const fenceJson = parts.join(",")

  parts.length = 0
  const heads = new Set<string>()
  for (const append of appends) {
    if (heads.has(append.scan_id)) continue
    heads.add(append.scan_id)
    if (append.expected_seq > 0) parts.push(`{"scan_id":"${append.scan_id}","seq":${append.expected_seq}}`)
  }
  const headJson = parts.join(",")

  parts.length = 0
  for (const { append, payloads } of batch.encoded) {
    const epoch = append.fence === null ? "null" : String(append.fence.epoch)
    append.events.forEach((event, i) => {
      parts.push(
        `{"scan_id":"${append.scan_id}","seq":${append.expected_seq + i + 1},"type":"${event._tag}","payload":${
          payloads[i]
        },"at_ms":${event.at},"epoch":${epoch}}`
      )
    })
  }
  const eventJson = parts.join(",")

  parts.length = 0
  for (const append of appends) {
    if (append.command_id === null) continue
    parts.push(JSON.stringify({
      scan_id: append.scan_id,
      command_id: append.command_id,
      seq: append.expected_seq + append.events.length
    }))
  }
  const commandJson = parts.join(",")

  parts.length = 0
  for (const { json, shard, state } of batch.states) {
    parts.push(joinJson(`{"document":${json}}`, {
      id: state.id,
      organization_id: state.header.organization_id,
      user_id: state.header.user_id,
      name: state.definition.name,
      status: state.status,
      target_type: state.definition.target.type,
      target_value: state.definition.target.value,
      shard,
      seq: state.seq,
      progress: state.progress,
      result_count: state.result_count,
      created_ms: state.created_at,
      updated_ms: state.updated_at,
      started_ms: state.started_at,
      completed_ms: state.completed_at,
      deleted_ms: state.deleted ? state.updated_at : null
    }))
  }
  const scanJson = parts.join(",")

  parts.length = 0
  for (const { json, state } of batch.snapshots) {
    parts.push(`{"scan_id":"${state.id}","seq":${state.seq},"at_ms":${state.updated_at},"state":${json}}`)
  }
  const snapshotJson = parts.join(",")

  return `{"fences":[${fenceJson}],"heads":[${headJson}],"events":[${eventJson}],"commands":[${commandJson}],"scans":[${scanJson}],"snapshots":[${snapshotJson}]}`
}

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
export const layer = Layer.effect(EventStore, make)
