/**
 * API keys per data source, held as Redacted, as a pool: each request takes the source's next key in turn, and a key
 * the source refuses (401/403) is parked for a while on every node (KeyParking). Each key is known by a label
 * (`key-1`, its place in the configuration) and a short fingerprint (a hash of it), all that `/sources` and the logs
 * ever show of it. Nothing here ever returns a key in clear except to the module that sends it.
 */
import { Clock, Context, Effect, Option, Redacted, Ref } from "effect"
import { createHash } from "node:crypto"
import type { KeyParkingService } from "./KeyParking.js"
import { ParkedKey } from "./KeyParking.js"

/** One key of a source's pool and what it is shown by. */
export interface PoolKey {
  readonly label: string
  /** The first 8 hex digits of the key's SHA-256: tells keys apart across nodes without showing them. */
  readonly fingerprint: string
  readonly key: Redacted.Redacted<string>
}

/** A pool key as shown: its label and fingerprint, and why and until when it is parked, if it is. */
export interface PoolKeyStatus {
  readonly label: string
  readonly fingerprint: string
  readonly parked: Option.Option<ParkedKey>
}

export interface CredentialStatus {
  readonly source: string
  readonly configured: boolean
  /** How many keys are configured (never which). */
  readonly keys: number
  readonly pool: ReadonlyArray<PoolKeyStatus>
}

/** A request's keys: the usable ones in the order to try them, and the size of the whole pool. */
export interface Turn {
  readonly keys: ReadonlyArray<PoolKey>
  readonly size: number
}

export interface CredentialsService {
  /** The key the next request to `source` would take, if any is usable. */
  readonly current: (source: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>>
  /** A request's turn: the usable keys starting at this request's own, the next request starting one further. */
  readonly next: (source: string) => Effect.Effect<Turn>
  /** Parks a key the source refused, on every node, for `reason`; true when another usable key is left. */
  readonly park: (source: string, label: string, reason: string) => Effect.Effect<boolean>
  readonly status: (source: string) => Effect.Effect<CredentialStatus>
  /** Every configured key: what collection logs must strip. */
  readonly all: Effect.Effect<ReadonlyArray<Redacted.Redacted<string>>>
}

export class Credentials extends Context.Tag("@mirage/runtime/Credentials")<Credentials, CredentialsService>() {}

/** Splits a configured value such as "k1, k2" into keys; the clear text never leaves this function. */
export const splitKeys = (value: Redacted.Redacted<string>): ReadonlyArray<Redacted.Redacted<string>> =>
  Redacted.value(value).split(",").map((key) => key.trim()).filter((key) => key.length > 0).map((key) =>
    Redacted.make(key)
  )

/** A key's fingerprint: 32 bits of its SHA-256, enough to tell a pool's keys apart, too little to guess one by. */
export const fingerprintOf = (key: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(key), "utf8").digest("hex").slice(0, 8)

/**
 * The rate-limit bucket a key's requests count against: the source's own for a single key (one key, one quota, as
 * the source declares it), `<source>#<label>` in a pool of several, so each key has its quota and its 429 pause.
 */
export const bucketOf = (source: string, label: Option.Option<string>, size: number): string =>
  size > 1 && Option.isSome(label) ? `${source}#${label.value}` : source

export interface CredentialsOptions {
  /** Where parked keys are marked for every node. */
  readonly parking: KeyParkingService
  /** How long a refused key stays parked. */
  readonly parkMs: number
}

const poolsOf = (keys: ReadonlyMap<string, ReadonlyArray<Redacted.Redacted<string>>>) => {
  const pools = new Map<string, ReadonlyArray<PoolKey>>()
  for (const [source, list] of keys) {
    const seen = new Set<string>()
    const pool: Array<PoolKey> = []
    for (const key of list) {
      const text = Redacted.value(key)
      if (seen.has(text)) continue
      seen.add(text)
      pool.push({ label: `key-${pool.length + 1}`, fingerprint: fingerprintOf(key), key })
    }
    pools.set(source, pool)
  }
  return pools
}

/** Credentials over fixed keys per source (dedup'd, order kept), with a turn per source and parked keys shared. */
export const make = (
  keys: ReadonlyMap<string, ReadonlyArray<Redacted.Redacted<string>>>,
  options: CredentialsOptions
): Effect.Effect<CredentialsService> =>
  Effect.gen(function*() {
    const pools = poolsOf(keys)
    const turns = yield* Ref.make(new Map<string, number>())
    // What this node parked itself: kept even when the shared store cannot be reached.
    const local = yield* Ref.make(new Map<string, ParkedKey>())
    const poolOf = (source: string) => pools.get(source) ?? []

    /** The pool's keys parked now, by fingerprint: the shared marks and this node's own. */
    const parkedNow = (source: string) =>
      Effect.gen(function*() {
        const pool = poolOf(source)
        if (pool.length === 0) return new Map<string, ParkedKey>()
        const now = yield* Clock.currentTimeMillis
        const shared = yield* options.parking.parked(source, pool.map((k) => k.fingerprint)).pipe(
          Effect.catchAll((error) =>
            Effect.as(
              Effect.logWarning("credentials: parked keys unreadable, this node's own used").pipe(
                Effect.annotateLogs({ source, error: error.message })
              ),
              new Map<string, ParkedKey>()
            )
          )
        )
        const own = yield* Ref.get(local)
        const found = new Map(shared)
        for (const k of pool) {
          const mine = own.get(`${source}#${k.fingerprint}`)
          if (mine !== undefined && mine.until > now && !found.has(k.fingerprint)) found.set(k.fingerprint, mine)
        }
        return found
      })
    const usable = (source: string, out: ReadonlyMap<string, ParkedKey>) =>
      poolOf(source).filter((k) => !out.has(k.fingerprint))

    return Credentials.of({
      current: (source) =>
        Effect.map(Effect.zip(Ref.get(turns), parkedNow(source)), ([all, out]) => {
          const keys = usable(source, out)
          return Option.map(Option.fromNullable(keys[(all.get(source) ?? 0) % Math.max(1, keys.length)]), (k) => k.key)
        }),
      next: (source) =>
        Effect.gen(function*() {
          const at = yield* Ref.modify(turns, (all) => {
            const now = all.get(source) ?? 0
            return [now, new Map(all).set(source, now + 1)]
          })
          // The turn goes round the usable keys, so a parked key does not hand its turns to its neighbour.
          const keys = usable(source, yield* parkedNow(source))
          const from = keys.length === 0 ? 0 : at % keys.length
          return { keys: [...keys.slice(from), ...keys.slice(0, from)], size: poolOf(source).length }
        }),
      park: (source, label, reason) =>
        Effect.gen(function*() {
          const key = poolOf(source).find((k) => k.label === label)
          if (key === undefined) return usable(source, yield* parkedNow(source)).length > 0
          const now = yield* Clock.currentTimeMillis
          const parked = ParkedKey.make({ reason, until: now + options.parkMs })
          yield* Ref.update(local, (own) => new Map(own).set(`${source}#${key.fingerprint}`, parked))
          yield* options.parking.park(source, key.fingerprint, parked).pipe(
            Effect.catchAll((error) =>
              Effect.logWarning("credentials: could not share a parked key, parked on this node only").pipe(
                Effect.annotateLogs({ source, key: label, error: error.message })
              )
            )
          )
          const left = usable(source, yield* parkedNow(source)).length > 0
          yield* Effect.logWarning("credentials: key refused by the source, parked").pipe(
            Effect.annotateLogs({
              source,
              key: label,
              fingerprint: key.fingerprint,
              reason,
              parked_ms: options.parkMs,
              usable_keys_left: left
            })
          )
          return left
        }),
      status: (source) =>
        Effect.map(parkedNow(source), (out) => ({
          source,
          configured: poolOf(source).length > 0,
          keys: poolOf(source).length,
          pool: poolOf(source).map((k) => ({
            label: k.label,
            fingerprint: k.fingerprint,
            parked: Option.fromNullable(out.get(k.fingerprint))
          }))
        })),
      all: Effect.sync(() => Array.from(pools.values()).flat().map((k) => k.key))
    })
  })
