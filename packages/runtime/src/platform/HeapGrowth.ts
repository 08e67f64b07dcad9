/**
 * How far a process lets V8 grow its old generation after a full collection: a percent of what survived it (0: V8's
 * own choice, which it makes anew after every full collection, between 10% and 300%). V8 reads the flag at every
 * collection, so it holds from the next one on.
 */
import type { Config } from "effect"
import { Effect } from "effect"
import { setFlagsFromString } from "node:v8"

/** Applies `setting` (named `name` in errors) to this process; a negative percent stops it at start. */
export const apply = (setting: Config.Config<number>, name: string) =>
  Effect.gen(function*() {
    const percent = yield* setting
    if (percent < 0) return yield* Effect.dieMessage(`${name} must be 0 or more, not ${percent}`)
    if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`)
  })
