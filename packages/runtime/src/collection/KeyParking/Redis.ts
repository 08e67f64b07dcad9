/**
 * Parked keys in Redis: one string per parked key (`keypark:<source>` hash tag, the key's fingerprint), its reason
 * and end as JSON, with PX to the end so Redis forgets it then. A read also checks the end on the caller's clock.
 */
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import { KeyParking, ParkedKey } from "../KeyParking.js"

const Stored = Schema.parseJson(ParkedKey)
const decode = Schema.decodeUnknownOption(Stored)
const encode = Schema.encode(Stored)

export const make = Effect.gen(function*() {
  const { key, redis } = yield* RedisClient
  const entry = (source: string, fingerprint: string) => key(`keypark:${source}`, fingerprint)
  return KeyParking.of({
    park: (source, fingerprint, parked) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const text = yield* encode(parked).pipe(
          Effect.mapError((cause) => new PersistenceError({ operation: "KeyParking.park: encode", cause }))
        )
        const ttl = Math.max(1, Math.ceil(parked.until - now))
        yield* attempt("KeyParking.park", () => redis.set(entry(source, fingerprint), text, "PX", ttl))
      }),
    parked: (source, fingerprints) =>
      Effect.gen(function*() {
        if (fingerprints.length === 0) return new Map()
        const texts = yield* attempt(
          "KeyParking.parked",
          () => redis.mget(...fingerprints.map((fingerprint) => entry(source, fingerprint)))
        )
        const now = yield* Clock.currentTimeMillis
        const found = new Map<string, ParkedKey>()
        fingerprints.forEach((fingerprint, i) => {
          const text = texts[i]
          // An entry that cannot be read parks nothing; the next park overwrites it.
          const parked = text === null || text === undefined ? Option.none() : decode(text)
          if (Option.isSome(parked) && parked.value.until > now) found.set(fingerprint, parked.value)
        })
        return found
      })
  })
})

export const layer = Layer.effect(KeyParking, make)
