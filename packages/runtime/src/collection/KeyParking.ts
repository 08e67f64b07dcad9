/**
 * Parked keys, shared by every node: a pool key a source refused (401/403) is out of its pool until a time, marked in
 * the store under the key's fingerprint (never the key), so no node sends it again before then and `/sources` shows
 * it the same from any gateway.
 */
import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

/** Why a key is parked and until when (epoch ms on the parking node's clock). */
export class ParkedKey extends Schema.Class<ParkedKey>("ParkedKey")({
  reason: Schema.String,
  until: Schema.Number
}) {}

export interface KeyParkingService {
  /** Parks the key of `source` known by `fingerprint` until `parked.until`; a later park replaces it. */
  readonly park: (source: string, fingerprint: string, parked: ParkedKey) => Effect.Effect<void, PersistenceError>
  /** The keys among `fingerprints` parked now, by fingerprint. */
  readonly parked: (
    source: string,
    fingerprints: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, ParkedKey>, PersistenceError>
}

export class KeyParking extends Context.Tag("@mirage/runtime/KeyParking")<KeyParking, KeyParkingService>() {}
