/** Credentials given directly, for tests and simulations: the same rotation as the configured ones. */
import { Effect, Layer, Redacted } from "effect"
import { Credentials, make } from "../Credentials.js"

export const layer = (keys: Readonly<Record<string, ReadonlyArray<string>>>) =>
  Layer.effect(
    Credentials,
    Effect.suspend(() =>
      make(new Map(Object.entries(keys).map(([source, list]) => [source, list.map((key) => Redacted.make(key))])))
    )
  )
