/** Parked keys in memory on Effect's Clock, the twin of KeyParking/Redis; the nodes of a simulation share a hub. */
import { Clock, Effect, Layer } from "effect"
import { KeyParking, type ParkedKey } from "../KeyParking.js"

export type KeyParkingHub = Map<string, ParkedKey>

export const makeHub = (): KeyParkingHub => new Map()

export const make = (hub: KeyParkingHub) =>
  KeyParking.of({
    park: (source, fingerprint, parked) => Effect.sync(() => void hub.set(`${source}#${fingerprint}`, parked)),
    parked: (source, fingerprints) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = new Map<string, ParkedKey>()
        for (const fingerprint of fingerprints) {
          const parked = hub.get(`${source}#${fingerprint}`)
          if (parked !== undefined && parked.until > now) found.set(fingerprint, parked)
        }
        return found
      })
  })

export const layer = (hub: KeyParkingHub) => Layer.succeed(KeyParking, make(hub))
export const layerFresh = Layer.suspend(() => layer(makeHub()))
