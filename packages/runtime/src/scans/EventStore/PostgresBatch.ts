/**
 * A batch of appends as the Postgres event store sends it: checked for what can be refused without the database,
 * encoded before the transaction opens, and written as the one JSON document `mirage_append` takes.
 */
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Either } from "effect"
import { PersistenceError, StaleEpoch } from "../../platform/Errors.js"
import type { Append } from "../EventStore.js"
import { encodeEventJson, encodeProjection, encodeSnapshotJson, joinJson } from "./PostgresJson.js"

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
export const inconsistentWithinBatch = (appends: ReadonlyArray<Append>): Append | undefined => {
  const next = new Map<string, number>()
  for (const append of appends) {
    const expected = next.get(append.scan_id)
    if (expected !== undefined && expected !== append.expected_seq) return append
    next.set(append.scan_id, append.expected_seq + append.events.length)
  }
  return undefined
}

/** The batch's events, projections and snapshots as JSON text. */
export interface EncodedBatch {
  readonly encoded: ReadonlyArray<EncodedAppend>
  readonly states: ReadonlyArray<EncodedState>
  readonly snapshots: ReadonlyArray<EncodedState>
}

/** The batch encoded before the statement is sent: synchronous, since every batch of every actor goes through it. */
export const encodeBatch = (appends: ReadonlyArray<Append>): Either.Either<EncodedBatch, PersistenceError> => {
  const encoded: Array<EncodedAppend> = []
  for (const append of appends) {
    const payloads: Array<string> = []
    for (const event of append.events) {
      const payload = encodeEventJson(event)
      if (Either.isLeft(payload)) {
        return Either.left(new PersistenceError({ operation: "EventStore.append: encode", cause: payload.left }))
      }
      payloads.push(payload.right)
    }
    encoded.push({ append, payloads })
  }
  const states: Array<EncodedState> = []
  for (const append of lastPerScan(appends)) {
    states.push({ state: append.state, shard: append.shard, json: encodeProjection(append.state) })
  }
  const snapshots: Array<EncodedState> = []
  for (const append of lastPerScan(appends.filter((a) => a.snapshot))) {
    snapshots.push({ state: append.state, shard: append.shard, json: encodeSnapshotJson(append.state) })
  }
  return Either.right({ encoded, states, snapshots })
}

/**
 * The epoch each fenced shard of the batch must have. Two appends of one shard under different epochs cannot both be
 * current: the one under the lower epoch is refused without asking the database.
 */
export const fencesOf = (appends: ReadonlyArray<Append>): Map<number, number> | StaleEpoch => {
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
export const batchJson = (
  appends: ReadonlyArray<Append>,
  fences: ReadonlyMap<number, number>,
  batch: EncodedBatch
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
