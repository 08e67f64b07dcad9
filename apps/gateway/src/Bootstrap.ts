/**
 * The first admin: at startup the gateway ensures a default organization with an admin key —
 * MIRAGE_BOOTSTRAP_API_KEY when set, else (only while no admin key exists) a generated one,
 * printed once to stdout and never logged.
 */
import { ApiKeys, generateKey } from "@mirage/runtime/tenancy/ApiKeys"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import * as Settings from "./Settings.js"

export const BootstrapKey = Settings.bootstrapApiKey

export const run = Effect.gen(function*() {
  const keys = yield* ApiKeys
  const configured = yield* BootstrapKey
  if (Option.isSome(configured)) {
    yield* keys.bootstrap(configured.value)
    return
  }
  if (yield* keys.bootstrapped) return
  const key = yield* generateKey
  yield* keys.bootstrap(key)
  yield* Console.log(`Admin API key of the default organization (shown once): ${Redacted.value(key)}`)
})

export const layer = Layer.effectDiscard(run)
