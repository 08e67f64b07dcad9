/**
 * What a scan that expands only new entities (`new_entities_only`) knows already: its series' inventory, read once
 * when its actor starts and kept in memory. Without an inventory, or when it cannot be read, everything is expanded:
 * more work, nothing missed.
 */
import type { ScanState } from "@mirage/domain/ScanMachine"
import { Effect, Option, Schedule } from "effect"
import { Inventory, seriesOf } from "../../monitoring/inventory/Inventory.js"

const retry = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(3)))

export const knownBefore = (state: ScanState): Effect.Effect<ReadonlySet<string> | undefined> =>
  state.definition.configuration.new_entities_only !== true ? Effect.succeed(undefined) : Effect.gen(function*() {
    const inventory = yield* Effect.serviceOption(Inventory)
    if (Option.isNone(inventory)) return undefined
    return yield* inventory.value.known(seriesOf(state), state.id).pipe(
      Effect.retry(retry),
      Effect.catchAll((error) =>
        Effect.logWarning("the inventory could not be read: every entity is expanded", error).pipe(
          Effect.as(undefined)
        )
      )
    )
  })
