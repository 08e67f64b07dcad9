/**
 * API keys per data source, held as Redacted: several keys per source are used in turn, moving on
 * to the next one when the current one is rate limited or out of quota. Nothing here ever returns
 * a key in clear except to the module that sends it.
 */
import { Context, Effect, Option, Redacted, Ref } from "effect"

export interface CredentialStatus {
  readonly source: string
  readonly configured: boolean
  /** How many keys are configured (never which). */
  readonly keys: number
}

export interface CredentialsService {
  /** The key to use now for `source`, if any is configured. */
  readonly current: (source: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>>
  /**
   * Moves `source` on to its next key, if `from` is still the current one: two tasks that both
   * hit a 429 with the same key rotate once, not back to it.
   */
  readonly rotate: (source: string, from: Redacted.Redacted<string>) => Effect.Effect<void>
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

/** Credentials over fixed keys per source (dedup'd, order kept), with a rotation index per source. */
export const make = (
  keys: ReadonlyMap<string, ReadonlyArray<Redacted.Redacted<string>>>
): Effect.Effect<CredentialsService> =>
  Effect.gen(function*() {
    const unique = new Map<string, ReadonlyArray<Redacted.Redacted<string>>>()
    for (const [source, list] of keys) {
      const seen = new Set<string>()
      unique.set(
        source,
        list.filter((key) => {
          const text = Redacted.value(key)
          if (seen.has(text)) return false
          seen.add(text)
          return true
        })
      )
    }
    const index = yield* Ref.make(new Map<string, number>())
    const keysOf = (source: string) => unique.get(source) ?? []
    const currentAt = (source: string, at: number) => {
      const list = keysOf(source)
      return list.length === 0 ? Option.none() : Option.fromNullable(list[at % list.length])
    }
    return Credentials.of({
      current: (source) => Effect.map(Ref.get(index), (all) => currentAt(source, all.get(source) ?? 0)),
      rotate: (source, from) =>
        Ref.modify(index, (all) => {
          const at = all.get(source) ?? 0
          const now = currentAt(source, at)
          const moves = keysOf(source).length > 1 && Option.isSome(now) &&
            Redacted.value(now.value) === Redacted.value(from)
          return [moves, moves ? new Map(all).set(source, at + 1) : all]
        }).pipe(
          Effect.tap((moved) =>
            moved
              ? Effect.logInfo("credentials rotated").pipe(Effect.annotateLogs({ source, keys: keysOf(source).length }))
              : Effect.void
          ),
          Effect.asVoid
        ),
      status: (source) =>
        Effect.succeed({ source, configured: keysOf(source).length > 0, keys: keysOf(source).length }),
      all: Effect.sync(() => Array.from(unique.values()).flat())
    })
  })
