/**
 * Shard leases with fencing tokens: each acquisition of a shard takes an epoch larger than
 * every earlier one; renewals and releases only work for the holder of the current epoch.
 */
import { Context } from "effect"
import type { Effect, Option } from "effect"
import type { PersistenceError } from "./Errors.js"

export interface ShardLeasesService {
  /** Takes the shard if free (a new, larger epoch) or renews it if `owner` holds it (same epoch). */
  readonly acquire: (
    shard: number,
    owner: string,
    ttlMs: number,
    /** Epochs at or below this are known to be used already (from the event store's fence). */
    floor: number
  ) => Effect.Effect<Option.Option<number>, PersistenceError>
  /** Renews many leases of `owner` at once; returns the shards still held. */
  readonly renew: (
    owner: string,
    leases: ReadonlyArray<{ readonly shard: number; readonly epoch: number }>,
    ttlMs: number
  ) => Effect.Effect<ReadonlySet<number>, PersistenceError>
  readonly release: (shard: number, owner: string, epoch: number) => Effect.Effect<void, PersistenceError>
}

export class ShardLeases extends Context.Tag("@mirage/runtime/ShardLeases")<ShardLeases, ShardLeasesService>() {}
