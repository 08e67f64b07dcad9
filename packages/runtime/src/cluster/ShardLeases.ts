/**
 * Shard leases with fencing tokens: each acquisition of a shard takes an epoch larger than
 * every earlier one; renewals and releases only work for the holder of the current epoch.
 * Acquisitions and renewals come in batches, each batch one round trip to the lease store, so a
 * node's renewals never wait behind its acquisitions however many shards it takes.
 */
import { Context } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

export interface ShardLease {
  readonly shard: number
  readonly epoch: number
}

export interface ShardLeasesService {
  /**
   * Takes each shard that is free or that `owner` holds already, under a new, larger epoch (every acquisition is a
   * tenure of its own: work of an earlier one is fenced off even on the same node); returns the epoch of each shard
   * taken. `floor`: epochs at or below it are known to be used already (the event store's fence).
   */
  readonly acquire: (
    owner: string,
    ttlMs: number,
    wanted: ReadonlyArray<{ readonly shard: number; readonly floor: number }>
  ) => Effect.Effect<ReadonlyMap<number, number>, PersistenceError>
  /** Renews many leases of `owner` at once; returns the shards still held. */
  readonly renew: (
    owner: string,
    leases: ReadonlyArray<ShardLease>,
    ttlMs: number
  ) => Effect.Effect<ReadonlySet<number>, PersistenceError>
  /** Gives the lease back, only if it is still held under this very epoch. */
  readonly release: (shard: number, owner: string, epoch: number) => Effect.Effect<void, PersistenceError>
}

export class ShardLeases extends Context.Tag("@mirage/runtime/ShardLeases")<ShardLeases, ShardLeasesService>() {}
