/**
 * The JSON the Postgres event store writes, without the schemas on the hot path: events, the `scans.document`
 * projection and snapshots. Each has its reference encoding through the schema beside it, which the tests compare it to.
 */
import { ScanId } from "@mirage/domain/Ids"
import { ScanDefinition, ScanDefinitionFields } from "@mirage/domain/Scan"
import { PlannedModule, ScanEvent, ScanHeader } from "@mirage/domain/ScanEvent"
import { ScanSnapshot, toScan, toSnapshot } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { encodeDefinition, encodeEntity, encodeHeader, encodePlannedModule } from "@mirage/domain/ScanWire"
import { trusted } from "@mirage/domain/Trusted"
import { Either, HashMap, Option, Predicate, Schema } from "effect"
import type { ParseResult } from "effect"
import { ScanDocument } from "../ScanReadModel.js"

const encodeEvent = Schema.encode(Schema.parseJson(ScanEvent))
const encodeEventEither = Schema.encodeEither(Schema.parseJson(ScanEvent))
const encodeDocument = Schema.encode(Schema.parseJson(ScanDocument))
const encodeSnapshot = Schema.encode(Schema.parseJson(ScanSnapshot))

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

const staticParts = new WeakMap<
  ScanState["definition"],
  { readonly header: ScanState["header"]; readonly json: string }
>()

/**
 * `{...fixed, ...rest}` as JSON, where `fixed` is already JSON text: spreading a cached encoded object into a literal
 * with a dozen more keys costs V8 far more than writing the rest and joining the texts. Their keys are disjoint.
 */
export const joinJson = (fixed: string, rest: object): string => {
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
 * values are already valid; the definition and header parts are encoded once per definition. The test suite checks
 * that it decodes to what the schema encoding decodes to.
 */
export const encodeProjection = (state: ScanState): string => {
  let parts = staticParts.get(state.definition)
  if (parts === undefined || parts.header !== state.header) {
    parts = {
      header: state.header,
      // The parts that only change with the scan's definition or header, encoded field by field as their schemas do.
      json: JSON.stringify({ ...encodeDefinition(state.definition), ...encodeHeader(state.header) })
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

/**
 * An event as JSON: the events of a scan's life (plain numbers, ids and entities, all produced by the machine, and its
 * creation, whose parts are encoded field by field as their schemas do) without the schema; the rare others (an
 * update, added seeds) through it. The test suite checks both agree. Synchronous: a batch encodes several per task.
 */
export const encodeEventJson = (event: ScanEvent): Either.Either<string, ParseResult.ParseError> => {
  switch (event._tag) {
    case "ScanStarted":
    case "ScanPaused":
    case "ScanResumed":
    case "ScanDeleted":
      return Either.right(JSON.stringify({ _tag: event._tag, at: event.at }))
    case "TaskStarted":
      return Either.right(JSON.stringify({ _tag: event._tag, at: event.at, task_id: event.task_id }))
    case "TasksStarted":
      return Either.right(JSON.stringify({ _tag: event._tag, at: event.at, task_ids: event.task_ids }))
    case "TaskFailed":
      return Either.right(
        JSON.stringify({ _tag: event._tag, at: event.at, task_id: event.task_id, error: event.error })
      )
    case "ScanCompleted":
    case "ScanFailed":
    case "ScanCancelled":
      return Either.right(JSON.stringify({ _tag: event._tag, at: event.at, reason: event.reason }))
    case "TaskCompleted":
      return Either.right(JSON.stringify({
        _tag: event._tag,
        at: event.at,
        task_id: event.task_id,
        result_count: event.result_count,
        discovered: event.discovered.map(encodeEntity)
      }))
    case "TasksPlanned":
      return Either.right(JSON.stringify({
        _tag: event._tag,
        at: event.at,
        tasks: event.tasks.map((task) => ({
          task_id: task.task_id,
          module_id: task.module_id,
          entity: encodeEntity(task.entity),
          depth: task.depth
        }))
      }))
    case "ScanCreated":
      return Either.right(JSON.stringify({
        _tag: event._tag,
        at: event.at,
        scan_id: event.scan_id,
        header: encodeHeader(event.header),
        definition: encodeDefinition(event.definition),
        plan: event.plan.map(encodePlannedModule)
      }))
    default:
      return encodeEventEither(event)
  }
}

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
 * parts are encoded once per scan, the rest are plain values the machine produced. The test suite checks
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
      // The parts fixed at the scan's creation, encoded field by field as their schemas do.
      json: JSON.stringify({
        header: encodeHeader(state.header),
        definition: encodeDefinition(state.definition),
        plan: state.plan.map(encodePlannedModule),
        seeds: state.seeds.map(encodeEntity)
      })
    }
    staticSnapshots.set(state.definition, parts)
  }
  const tasks: Array<unknown> = []
  for (const task of HashMap.values(state.tasks)) {
    tasks.push({
      task_id: task.task_id,
      module_id: task.module_id,
      entity: encodeEntity(task.entity),
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

const decodeEvent = Schema.decodeUnknownEither(ScanEvent)

/**
 * A decoder that keeps what it decoded lately by the input's JSON: the parts of a definition that the scans of one
 * template share (its modules, configuration and plan) are decoded once, not once per scan. What it gives is
 * immutable, so scans share it as they would share equal values.
 */
const remembered = <A, I>(schema: Schema.Schema<A, I>, size = 256) => {
  const decode = Schema.decodeUnknownEither(schema)
  const kept = new Map<string, A>()
  return (input: unknown): Either.Either<A, ParseResult.ParseError> => {
    const key = JSON.stringify(input)
    const known = key === undefined ? undefined : kept.get(key)
    if (known !== undefined) return Either.right(known)
    const decoded = decode(input)
    if (key !== undefined && Either.isRight(decoded)) {
      if (kept.size >= size) kept.clear()
      kept.set(key, decoded.right)
    }
    return decoded
  }
}

const createdHead = Schema.decodeUnknownEither(Schema.Struct({
  _tag: Schema.Literal("ScanCreated"),
  at: Schema.Number,
  scan_id: ScanId
}))
const createdHeader = remembered(ScanHeader)
const definitionHead = Schema.decodeUnknownEither(Schema.Struct({
  name: ScanDefinitionFields.name,
  description: ScanDefinitionFields.description,
  target: ScanDefinitionFields.target
}))
const definitionModules = remembered(ScanDefinitionFields.modules)
const definitionConfiguration = remembered(ScanDefinitionFields.configuration)
const createdPlan = remembered(Schema.Array(PlannedModule))

/** `ScanCreated` decoded part by part, the shared parts remembered; none when any part does not decode. */
const decodeCreated = (input: Record<string, unknown>): Option.Option<ScanEvent> => {
  const definition = input.definition
  if (!Predicate.isRecord(definition)) return Option.none()
  const parts = Either.all({
    head: createdHead(input),
    header: createdHeader(input.header),
    named: definitionHead(definition),
    modules: definitionModules(definition.modules),
    configuration: definitionConfiguration(definition.configuration),
    plan: createdPlan(input.plan)
  })
  return Option.map(Either.getRight(parts), ({ configuration, head, header, modules, named, plan }) => ({
    ...head,
    header,
    definition: trusted(ScanDefinition, { ...named, modules, configuration }),
    plan
  }))
}

/**
 * A stored event's payload decoded: what the schema decodes it to, or its error. Every scan's log starts with its
 * `ScanCreated`, decoded when its actor starts (≈ 40 µs and 58 KB through the schema, most of it in the modules and
 * configuration its template gives every scan alike); that one is decoded part by part, its shared parts remembered,
 * and anything that does not decode that way goes through the schema, which says why.
 */
export const decodeEventPayload = (input: unknown): Either.Either<ScanEvent, ParseResult.ParseError> => {
  const created = Predicate.isRecord(input) && input._tag === "ScanCreated" ? decodeCreated(input) : Option.none()
  return Option.isSome(created) ? Either.right(created.value) : decodeEvent(input)
}
