/** Giving the event loop a turn from a long piece of work. */
import { Effect } from "effect"

/**
 * Resumes after the event loop's pending timers and I/O have run (`setImmediate`). `Effect.yieldNow`
 * is not enough: Effect's scheduler resumes a yielded fiber in a microtask, before any timer or socket
 * gets its turn, for up to 2,048 yields in a row.
 */
export const eventLoopTurn: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})
