/**
 * The scan event log: appends with optimistic concurrency on (scan_id, seq), fenced by the
 * shard's epoch, together with the read model row and, now and then, a snapshot.
 */
import type { ScanId } from "@mirage/domain/Ids"
import type { ScanEvent } from "@mirage/domain/ScanEvent"
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Context } from "effect"
import type { Effect, Option } from "effect"
import type { ConcurrencyConflict, PersistenceError, StaleEpoch } from "../platform/Errors.js"

export interface Fence {
  readonly shard: number
  readonly epoch: number
}

export interface Append {
  readonly scan_id: ScanId
  readonly shard: number
  /** Seq of the last event already in the log: 0 for a new scan. */
  readonly expected_seq: number
  readonly events: ReadonlyArray<ScanEvent>
  /** The user command these events answer; recorded so a redelivered command is recognised. */
  readonly command_id: string | null
  /** Null only for a scan's creation, which the gateway writes before any shard owns it. */
  readonly fence: Fence | null
  /** The state after the events: its projection is written in the same transaction. */
  readonly state: ScanState
  /** Also store `state` as the scan's snapshot. */
  readonly snapshot: boolean
}

export interface StoredEvent {
  readonly scan_id: ScanId
  readonly seq: number
  readonly event: ScanEvent
}

export interface Loaded {
  readonly state: ScanState
  /** Ids of user commands already applied to the scan. */
  readonly commands: ReadonlySet<string>
}

export interface EventStoreService {
  /** Appends for several scans in one transaction (group commit); all or nothing. */
  readonly append: (
    appends: ReadonlyArray<Append>
  ) => Effect.Effect<void, PersistenceError | StaleEpoch | ConcurrencyConflict>
  /** The scan's current state: latest snapshot plus later events. */
  readonly load: (scanId: ScanId) => Effect.Effect<Option.Option<Loaded>, PersistenceError>
  /** A page of the scan's log, in order, after `afterSeq`. */
  readonly events: (
    scanId: ScanId,
    afterSeq: number,
    limit: number
  ) => Effect.Effect<ReadonlyArray<StoredEvent>, PersistenceError>
  /** Scans of a shard that are RUNNING or PAUSED: what a new owner rehydrates. */
  readonly activeScans: (shard: number) => Effect.Effect<ReadonlyArray<ScanId>, PersistenceError>
  /**
   * Raises the shard's fence to `epoch` if it is lower, and returns the fence now stored: `epoch`
   * when the caller holds the shard, a larger number when the caller is stale.
   */
  readonly fence: (shard: number, epoch: number) => Effect.Effect<number, PersistenceError>
  /**
   * The cluster's shard count: claims `count` if none is stored yet, and returns the stored one.
   * A node whose count differs must not join: it would route scans to the wrong shards.
   */
  readonly shardCount: (count: number) => Effect.Effect<number, PersistenceError>
}

export class EventStore extends Context.Tag("@mirage/runtime/EventStore")<EventStore, EventStoreService>() {}
