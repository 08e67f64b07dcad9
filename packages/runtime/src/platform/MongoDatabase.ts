/** The MongoDB database (any MongoDB wire-compatible server) through the official driver. */
import { Context, Effect, Layer, Redacted } from "effect"
import { type Db, MongoClient } from "mongodb"
import { PersistenceError } from "./Errors.js"
import * as Settings from "./Settings.js"

export class MongoDatabase extends Context.Tag("@mirage/runtime/MongoDatabase")<MongoDatabase, Db>() {}

export const MongoConfig = Settings.mongoUrl

// An unreachable server is a PersistenceError (the layer fails) rather than a defect; closing never fails the scope.
export const make = (url: Redacted.Redacted) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => new MongoClient(Redacted.value(url), { maxPoolSize: 20 }).connect(),
        catch: (cause) => new PersistenceError({ operation: "connect to MongoDB", cause })
      }),
      (client) => Effect.promise(() => client.close().catch(() => undefined))
    ),
    (client) => client.db()
  )

export const layer = Layer.scoped(MongoDatabase, Effect.flatMap(MongoConfig, make))

export const layerWith = (url: string) => Layer.scoped(MongoDatabase, make(Redacted.make(url)))
