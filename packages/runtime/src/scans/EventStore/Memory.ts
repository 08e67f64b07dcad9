/**
 * The event store in memory, the twin of EventStore/Postgres for simulations and unit tests: the same fences,
 * conflicts, command ids, snapshots and projection, with no clock and no randomness.
 */
import { ScanEvent } from "@mirage/domain/ScanEvent"
import { fromSnapshot, replay, ScanSnapshot, toScan, toSnapshot } from "@mirage/domain/ScanMachine"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, Either, Layer, Option, Schema } from "effect"
import { ConcurrencyConflict, PersistenceError, StaleEpoch } from "../../platform/Errors.js"
import { EventStore } from "../EventStore.js"
import type { Append, EventStoreService, Loaded, StoredEvent } from "../EventStore.js"
import { ScanDocument } from "../ScanReadModel.js"
import type { ScanView } from "../ScanReadModel.js"
import * as ScanReadModelMemory from "../ScanReadModel/Memory.js"

interface ScanLog {
  readonly events: Array<{ readonly event: ScanEvent; readonly epoch: number | null }>
  /** Command id → seq of the log when it was applied. */
  readonly commands: Map<string, number>
  snapshot: ScanSnapshot | undefined
}

/** The store's contents: several nodes of one simulation share one. */
export interface EventStoreMemory {
  readonly logs: Map<string, ScanLog>
  readonly fences: Map<number, number>
  /** The cluster's shard count, once a node claimed it. */
  shardCount?: number
  /** The `scans` projection, readable through ScanReadModel/Memory. */
  readonly views: ScanReadModelMemory.ScanViewStore
  /** While true every call fails, as when the database is unreachable. */
  outage: boolean
}

export const makeStore = (
  views: ScanReadModelMemory.ScanViewStore = ScanReadModelMemory.makeStore()
): EventStoreMemory => ({
  logs: new Map(),
  fences: new Map(),
  views,
  outage: false
})

const encodeEvent = Schema.encodeEither(ScanEvent)
const encodeDocument = Schema.encodeEither(ScanDocument)
const encodeSnapshot = Schema.encodeEither(ScanSnapshot)

const viewOf = (state: ScanState, shard: number): ScanView => ({
  scan: toScan(state),
  seq: state.seq,
  shard,
  tasks: state.counts,
  running_ms: state.running_ms,
  running_since: state.running_since
})

/** What the Postgres adapter would refuse to encode, refused here too, so the twin hides no bad state. */
const unencodable = (appends: ReadonlyArray<Append>): PersistenceError | undefined => {
  for (const append of appends) {
    for (const event of append.events) {
      const encoded = encodeEvent(event)
      if (Either.isLeft(encoded)) {
        return new PersistenceError({ operation: "EventStore.append: encode", cause: encoded.left })
      }
    }
    const view = viewOf(append.state, append.shard)
    const document = encodeDocument({
      ...view.scan,
      tasks: append.state.counts,
      running_ms: append.state.running_ms,
      running_since: append.state.running_since
    })
    if (Either.isLeft(document)) {
      return new PersistenceError({ operation: "EventStore.append: encode", cause: document.left })
    }
    if (append.snapshot) {
      const snapshot = encodeSnapshot(toSnapshot(append.state))
      if (Either.isLeft(snapshot)) {
        return new PersistenceError({ operation: "EventStore.append: encode", cause: snapshot.left })
      }
    }
  }
  return undefined
}

/** Why the batch is refused, checked in the order the Postgres adapter meets the same problems. */
const refusal = (
  store: EventStoreMemory,
  appends: ReadonlyArray<Append>
): StaleEpoch | ConcurrencyConflict | PersistenceError | undefined => {
  const next = new Map<string, number>()
  for (const append of appends) {
    const expected = next.get(append.scan_id)
    if (expected !== undefined && expected !== append.expected_seq) {
      return new ConcurrencyConflict({ scan_id: append.scan_id, expected_seq: append.expected_seq })
    }
    next.set(append.scan_id, append.expected_seq + append.events.length)
  }
  const bad = unencodable(appends)
  if (bad !== undefined) return bad
  const highest = new Map<number, number>()
  for (const { fence } of appends) {
    if (fence !== null) highest.set(fence.shard, Math.max(highest.get(fence.shard) ?? fence.epoch, fence.epoch))
  }
  for (const { fence } of appends) {
    if (fence === null) continue
    if (store.fences.get(fence.shard) !== fence.epoch || highest.get(fence.shard) !== fence.epoch) {
      return new StaleEpoch({ shard: fence.shard, epoch: fence.epoch })
    }
  }
  const checked = new Set<string>()
  for (const append of appends) {
    if (checked.has(append.scan_id)) continue
    checked.add(append.scan_id)
    if ((store.logs.get(append.scan_id)?.events.length ?? 0) !== append.expected_seq) {
      return new ConcurrencyConflict({ scan_id: append.scan_id, expected_seq: append.expected_seq })
    }
  }
  const commands = new Set<string>()
  for (const append of appends) {
    if (append.command_id === null) continue
    const key = `${append.scan_id}/${append.command_id}`
    if (commands.has(key) || store.logs.get(append.scan_id)?.commands.has(append.command_id) === true) {
      return new ConcurrencyConflict({ scan_id: append.scan_id, expected_seq: append.expected_seq })
    }
    commands.add(key)
  }
  return undefined
}

const apply = (store: EventStoreMemory, append: Append): void => {
  let log = store.logs.get(append.scan_id)
  if (log === undefined) {
    log = { events: [], commands: new Map(), snapshot: undefined }
    store.logs.set(append.scan_id, log)
  }
  for (const event of append.events) log.events.push({ event, epoch: append.fence?.epoch ?? null })
  if (append.command_id !== null) log.commands.set(append.command_id, append.expected_seq + append.events.length)
  if (append.snapshot && (log.snapshot === undefined || log.snapshot.seq < append.state.seq)) {
    log.snapshot = toSnapshot(append.state)
  }
  const current = store.views.views.get(append.scan_id)
  if (current === undefined || current.seq < append.state.seq) {
    ScanReadModelMemory.put(store.views, viewOf(append.state, append.shard))
    if (append.state.deleted) store.views.deleted.add(append.scan_id)
  }
}

export const make = (store: EventStoreMemory): EventStoreService => {
  const guarded = <A, E>(operation: string, run: () => Either.Either<A, E>) =>
    Effect.suspend((): Effect.Effect<A, E | PersistenceError> =>
      store.outage ? Effect.fail(new PersistenceError({ operation, cause: "event store unavailable" })) : run()
    )

  const load = (scanId: string): Option.Option<Loaded> => {
    const log = store.logs.get(scanId)
    if (log === undefined) return Option.none()
    const from = log.snapshot === undefined ? undefined : fromSnapshot(log.snapshot)
    const state = replay(log.events.slice(from?.seq ?? 0).map((stored) => stored.event), from)
    return state === undefined ? Option.none() : Option.some({ state, commands: new Set(log.commands.keys()) })
  }

  return EventStore.of({
    append: (appends) =>
      guarded("EventStore.append", () => {
        const refused = refusal(store, appends)
        if (refused !== undefined) return Either.left(refused)
        for (const append of appends) apply(store, append)
        return Either.void
      }),
    load: (scanId) => guarded("EventStore.load", () => Either.right(load(scanId))),
    events: (scanId, afterSeq, limit) =>
      guarded("EventStore.events", () => {
        const log = store.logs.get(scanId)?.events ?? []
        const from = Math.max(0, afterSeq)
        return Either.right(
          log.slice(from, from + Math.max(0, limit)).map((stored, i): StoredEvent => ({
            scan_id: scanId,
            seq: from + i + 1,
            event: stored.event
          }))
        )
      }),
    activeScans: (shard) =>
      guarded("EventStore.activeScans", () =>
        Either.right(
          Array.from(store.views.views.values())
            .filter((view) =>
              view.shard === shard && (view.scan.status === "RUNNING" || view.scan.status === "PAUSED") &&
              !store.views.deleted.has(view.scan.id)
            )
            .map((view) => view.scan.id)
            .sort()
        )),
    shardCount: (count) =>
      guarded("EventStore.shardCount", () => {
        if (store.shardCount === undefined) store.shardCount = count
        return Either.right(store.shardCount)
      }),
    fence: (shard, epoch) =>
      guarded("EventStore.fence", () => {
        const stored = Math.max(store.fences.get(shard) ?? epoch, epoch)
        store.fences.set(shard, stored)
        return Either.right(stored)
      })
  })
}

/** An event store on the given contents. */
export const layer = (store: EventStoreMemory) => Layer.succeed(EventStore, make(store))

/** An event store of its own, empty. */
export const layerFresh = Layer.sync(EventStore, () => make(makeStore()))
