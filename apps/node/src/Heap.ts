/**
 * How far a node process lets V8 grow its heap. After each full collection V8 sets the next limit at up to four
 * times what survived it, so a node holding 10,000 waiting scans (about 300 MiB live) sat at 800–1000 MiB of RSS
 * depending on when it last collected. Growing by at most 30% keeps it near 630 MiB, for more frequent full
 * collections: a few percent of a busy node's CPU.
 */
import * as HeapGrowth from "@mirage/runtime/platform/HeapGrowth"
import * as Settings from "./Settings.js"

/** Applies the setting to this process. */
export const limitGrowth = HeapGrowth.apply(Settings.heapGrowthPercent, "MIRAGE_HEAP_GROWTH_PERCENT")
