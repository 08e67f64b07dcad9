/**
 * Readiness: whether the stores a process needs answer a ping within a timeout. `/ready` of the
 * gateway and of every node is built from these checks and answers 503 (a problem) when one fails.
 */
import { Duration, Effect } from "effect"
import { MongoDatabase } from "./MongoDatabase.js"
import { PgClient } from "./PgClient.js"
import { RedisClient } from "./RedisClient.js"

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string | null
}

const message = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Runs a ping; a failure or no answer within `timeoutMs` is a failed check. */
export const check = (name: string, ping: () => Promise<unknown>, timeoutMs: number): Effect.Effect<Check> =>
  Effect.tryPromise({ try: ping, catch: message }).pipe(
    Effect.timeoutFail({ duration: Duration.millis(timeoutMs), onTimeout: () => `no answer within ${timeoutMs} ms` }),
    Effect.match({
      onSuccess: (): Check => ({ name, ok: true, detail: null }),
      onFailure: (detail): Check => ({ name, ok: false, detail })
    })
  )

/** Postgres, Redis and MongoDB pinged at once. */
export const stores = (
  timeoutMs: number
): Effect.Effect<ReadonlyArray<Check>, never, PgClient | RedisClient | MongoDatabase> =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    const redis = yield* RedisClient
    const mongo = yield* MongoDatabase
    return yield* Effect.all([
      check("postgres", () => sql`select 1`, timeoutMs),
      check("redis", () => redis.redis.ping(), timeoutMs),
      check("mongodb", () => mongo.command({ ping: 1 }), timeoutMs)
    ], { concurrency: "unbounded" })
  })

/** The body of a `/ready` answer: `ready` when every check passed, otherwise an RFC 7807 problem listing them. */
export const answer = (checks: ReadonlyArray<Check>) => {
  const failed = checks.filter((c) => !c.ok)
  return failed.length === 0
    ? { status: 200, contentType: "application/json", body: { status: "ready", checks } }
    : {
      status: 503,
      contentType: "application/problem+json",
      body: {
        type: "/problems/not-ready",
        title: "Not ready",
        status: 503,
        detail: failed.map((c) => `${c.name}: ${c.detail ?? "failed"}`).join("; "),
        checks
      }
    }
}
