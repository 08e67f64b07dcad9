/** The PostgreSQL connection pool (porsager's `postgres`). */
import { Config, Context, Effect, Layer, Redacted } from "effect"
import postgres from "postgres"
import * as Settings from "./Settings.js"

export type Sql = postgres.Sql<Record<string, never>>

export class PgClient extends Context.Tag("@mirage/runtime/PgClient")<PgClient, Sql>() {}

export const PgConfig = Config.all({
  url: Settings.databaseUrl,
  max: Settings.pgPool
})

export const make = (options: { readonly url: Redacted.Redacted; readonly max: number }) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      postgres(Redacted.value(options.url), {
        max: options.max,
        onnotice: () => undefined,
        transform: { undefined: null }
      }) as Sql
    ),
    (sql) => Effect.promise(() => sql.end({ timeout: 5 }))
  )

export const layer = Layer.scoped(PgClient, Effect.flatMap(PgConfig, make))

export const layerWith = (url: string, max = 10) => Layer.scoped(PgClient, make({ url: Redacted.make(url), max }))
