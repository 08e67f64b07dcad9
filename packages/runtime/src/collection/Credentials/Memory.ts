/** Credentials given directly, for tests and simulations: the same rotation and parking as the configured ones. */
import { Effect, Layer, Redacted } from "effect"
import { Credentials, make } from "../Credentials.js"
import { KeyParking } from "../KeyParking.js"
import * as KeyParkingMemory from "../KeyParking/Memory.js"

/** How long a refused key stays parked unless a test says otherwise: the configured default, an hour. */
export const defaultParkMs = 3_600_000

const keyMap = (keys: Readonly<Record<string, ReadonlyArray<string>>>) =>
  new Map(Object.entries(keys).map(([source, list]) => [source, list.map((key) => Redacted.make(key))]))

/** The keys given, parked keys wherever the provided KeyParking keeps them (Redis, or a hub shared by nodes). */
export const layerWithParking = (keys: Readonly<Record<string, ReadonlyArray<string>>>, parkMs = defaultParkMs) =>
  Layer.effect(
    Credentials,
    Effect.flatMap(KeyParking, (parking) => make(keyMap(keys), { parking, parkMs }))
  )

/** The keys given, parked keys in this layer's own memory. */
export const layer = (keys: Readonly<Record<string, ReadonlyArray<string>>>) =>
  layerWithParking(keys).pipe(Layer.provide(KeyParkingMemory.layerFresh))
