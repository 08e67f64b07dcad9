/**
 * Job options in Redis: one string per job, `<prefix>:{scan-<id>}:options` (the scan's hash tag, beside its
 * progress feed), JSON of the options with the key in clear — Redis is the only place it is written — and
 * PX as its TTL.
 */
import { Effect, Layer, Option, Schema } from "effect"
import { PersistenceError } from "../../platform/Errors.js"
import { RedisClient } from "../../platform/RedisClient.js"
import { JobOptions } from "../JobOptions.js"
import type { JobOptionsService } from "../JobOptions.js"

const Stored = Schema.parseJson(Schema.Struct({
  api_key: Schema.OptionFromNullOr(Schema.Redacted(Schema.String)),
  use_proxy: Schema.OptionFromNullOr(Schema.Boolean)
}))
const decode = Schema.decodeUnknown(Stored)
const encode = Schema.encode(Stored)

export const make = Effect.gen(function*() {
  const { key, redis } = yield* RedisClient
  const entry = (jobId: string) => key(`scan-${jobId}`, "options")
  // Only the message of a failure: a client's error object may carry the command's arguments, the key among them.
  const attempt = <A>(operation: string, run: () => Promise<A>) =>
    Effect.tryPromise({
      try: run,
      catch: (cause) =>
        new PersistenceError({ operation, cause: cause instanceof Error ? cause.message : String(cause) })
    })
  return JobOptions.of({
    put: (jobId, options, ttlMs) =>
      encode(options).pipe(
        // Never the value in the error: a parse error would quote it.
        Effect.mapError(() => new PersistenceError({ operation: "JobOptions.put: encode", cause: "invalid options" })),
        Effect.flatMap((text) =>
          attempt("JobOptions.put", () => redis.set(entry(jobId), text, "PX", Math.max(1, Math.ceil(ttlMs))))
        ),
        Effect.asVoid
      ),
    get: (jobId) =>
      attempt("JobOptions.get", () => redis.get(entry(jobId))).pipe(
        Effect.flatMap((text) =>
          text === null
            ? Effect.succeedNone
            : decode(text).pipe(
              Effect.map(Option.some),
              Effect.mapError(() =>
                new PersistenceError({ operation: "JobOptions.get: decode", cause: "unreadable options" })
              )
            )
        )
      ),
    remove: (jobId) => Effect.asVoid(attempt("JobOptions.remove", () => redis.del(entry(jobId))))
  }) satisfies JobOptionsService
})

/** Job options on the Redis of `RedisClient`. */
export const layer = Layer.effect(JobOptions, make)
