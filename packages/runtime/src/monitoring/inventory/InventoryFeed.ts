/**
 * The inventory kept as results arrive: a node's scans hand every batch of results they stored to the feed (an
 * offer to a queue, never a wait), and one fiber writes what accumulated as one multi-row upsert per batch. What a
 * full queue or a failed write drops, the run's end applies anyway (from the stored results), as does a rebuild.
 */
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { ScanId } from "@mirage/domain/Ids"
import { Context, Duration, Effect, Layer, Queue, Schedule } from "effect"
import { Inventory, sightingOf } from "./Inventory.js"
import type { LiveSighting, Series } from "./Inventory.js"

export interface InventoryFeedService {
  /** Hands over results a scan of the series has stored; returns at once. */
  readonly offer: (series: Series, scanId: ScanId, results: ReadonlyArray<CollectionResult>) => Effect.Effect<void>
}

export class InventoryFeed extends Context.Tag("@mirage/runtime/InventoryFeed")<
  InventoryFeed,
  InventoryFeedService
>() {}

export interface FeedOptions {
  /** Sightings written in one statement at most. */
  readonly batch: number
  /** Batches of results waiting at most; past it they are left to the run's end. */
  readonly capacity: number
}

export const defaults: FeedOptions = { batch: 2000, capacity: 10_000 }

interface Stored {
  readonly series: Series
  readonly scan_id: ScanId
  readonly results: ReadonlyArray<CollectionResult>
}

const sightingsOf = (stored: Stored): ReadonlyArray<LiveSighting> =>
  stored.results.map((result) => ({ ...sightingOf(result), series: stored.series, scan_id: stored.scan_id }))

const retry = Schedule.exponential(Duration.millis(100)).pipe(Schedule.intersect(Schedule.recurs(3)))

export const make = (options: FeedOptions = defaults) =>
  Effect.gen(function*() {
    const inventory = yield* Inventory
    const queue = yield* Queue.dropping<Stored>(options.capacity)
    const writer = Effect.forever(
      Effect.gen(function*() {
        const first = yield* Queue.take(queue)
        const sightings = [...sightingsOf(first)]
        while (sightings.length < options.batch) {
          const next = yield* Queue.poll(queue)
          if (next._tag === "None") break
          sightings.push(...sightingsOf(next.value))
        }
        yield* inventory.record(sightings).pipe(
          Effect.retry(retry),
          Effect.catchAll((error) =>
            Effect.logWarning("live inventory write failed; the runs' ends will apply it", error)
          )
        )
      })
    )
    yield* Effect.forkScoped(writer)
    return InventoryFeed.of({
      offer: (series, scanId, results) =>
        results.length === 0 ? Effect.void : Effect.flatMap(
          Queue.offer(queue, { series, scan_id: scanId, results }),
          (taken) => taken ? Effect.void : Effect.logDebug("live inventory queue full; the run's end will apply it")
        )
    })
  })

export const layer = Layer.scoped(InventoryFeed, make())
export const layerWith = (options: FeedOptions) => Layer.scoped(InventoryFeed, make(options))
