/**
 * API keys per data source, held as Redacted, as a pool: each request takes the source's next key in turn, a key
 * the source refuses (401/403) is parked until the node restarts, and each key is known by a label (`key-1`, its
 * place in the configuration) that is all `/sources` and the logs ever show of it. Nothing here ever returns a key
 * in clear except to the module that sends it.
 */
import { Context, Effect, Option, Redacted, Ref } from "effect"

/** One key of a source's pool and the label it is shown by. */
export interface PoolKey {
  readonly label: string
  readonly key: Redacted.Redacted<string>
}

export interface CredentialStatus {
  readonly source: string
  readonly configured: boolean
  /** How many keys are configured (never which). */
  readonly keys: number
  /** Each key by its label, and whether it is parked (the source refused it). */
  readonly pool: ReadonlyArray<{ readonly label: string; readonly parked: boolean }>
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
  /** Parks a key the source refused; true when another usable key is left. */
  readonly park: (source: string, label: string) => Effect.Effect<boolean>
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

/**
 * The rate-limit bucket a key's requests count against: the source's own for a single key (one key, one quota, as
 * the source declares it), `<source>#<label>` in a pool of several, so each key has its quota and its 429 pause.
 */
export const bucketOf = (source: string, label: Option.Option<string>, size: number): string =>
  size > 1 && Option.isSome(label) ? `${source}#${label.value}` : source

/** Credentials over fixed keys per source (dedup'd, order kept), with a turn and parked keys per source. */
export const make = (
  keys: ReadonlyMap<string, ReadonlyArray<Redacted.Redacted<string>>>
): Effect.Effect<CredentialsService> =>
  Effect.gen(function*() {
    const pools = new Map<string, ReadonlyArray<PoolKey>>()
    for (const [source, list] of keys) {
      const seen = new Set<string>()
      const pool: Array<PoolKey> = []
      for (const key of list) {
        const text = Redacted.value(key)
        if (seen.has(text)) continue
        seen.add(text)
        pool.push({ label: `key-${pool.length + 1}`, key })
      }
      pools.set(source, pool)
    }
    const turns = yield* Ref.make(new Map<string, number>())
    const parked = yield* Ref.make(new Set<string>())
    const poolOf = (source: string) => pools.get(source) ?? []
    const usable = (source: string, out: ReadonlySet<string>) =>
      poolOf(source).filter((k) => !out.has(`${source}#${k.label}`))
    return Credentials.of({
      current: (source) =>
        Effect.map(Effect.zip(Ref.get(turns), Ref.get(parked)), ([all, out]) => {
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
          const keys = usable(source, yield* Ref.get(parked))
          const from = keys.length === 0 ? 0 : at % keys.length
          return { keys: [...keys.slice(from), ...keys.slice(0, from)], size: poolOf(source).length }
        }),
      park: (source, label) =>
        Ref.modify(parked, (out) => {
          const next = new Set(out).add(`${source}#${label}`)
          return [usable(source, next).length > 0, next]
        }).pipe(
          Effect.tap((left) =>
            Effect.logWarning("credentials: key refused by the source, parked").pipe(
              Effect.annotateLogs({ source, key: label, usable_keys_left: left })
            )
          )
        ),
      status: (source) =>
        Effect.map(Ref.get(parked), (out) => ({
          source,
          configured: poolOf(source).length > 0,
          keys: poolOf(source).length,
          pool: poolOf(source).map((k) => ({ label: k.label, parked: out.has(`${source}#${k.label}`) }))
        })),
      all: Effect.sync(() => Array.from(pools.values()).flat().map((k) => k.key))
    })
  })
