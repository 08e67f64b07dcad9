/**
 * How far a node process lets V8 grow its heap. After each full collection V8 sets the next limit at up to four
 * times what survived it, so a node holding 10,000 waiting scans (about 300 MiB live) sat at 800–1000 MiB of RSS
 * depending on when it last collected. Growing by at most 30% keeps it near 630 MiB, for more frequent full
 * collections: a few percent of a busy node's CPU.
 */
import { Effect } from "effect"
import { setFlagsFromString } from "node:v8"
import * as Settings from "./Settings.js"

export const HeapConfig = Settings.heapGrowthPercent

/** Applies the setting to this process; V8 reads it at every collection, so it holds from the next one on. */
export const limitGrowth = Effect.gen(function*() {
  const percent = yield* HeapConfig
  if (percent < 0) return yield* Effect.dieMessage(`MIRAGE_HEAP_GROWTH_PERCENT must be 0 or more, not ${percent}`)
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`)
})
