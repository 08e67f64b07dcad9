/**
 * Keeps a process alive through store outages. A socket error that escapes a driver (thrown from one of its timers,
 * or a rejection nobody awaited) when PostgreSQL or Redis restarts is logged and survived: the queries it concerned
 * have already failed, and the actors retry them with backoff. Any other uncaught error still ends the process
 * (exit code 1), logged, so that a supervisor starts a clean one.
 */
import { Effect, Layer, Runtime } from "effect"

/** Error codes of a connection that broke: the store went away or restarted; nothing in this process is corrupt. */
const socketCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTCONN",
  "ECONNABORTED",
  // postgres (porsager) errors of a closed connection
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT"
])

// The postgres driver's null-socket write (porsager/postgres#1154, #1208), for a driver copy without our patch.
const driverFile = /postgres[/\\](?:cjs[/\\]|cf[/\\])?src[/\\]connection\.js/

/** Whether an uncaught error is a store connection breaking, which the process survives. */
export const isStoreSocketError = (error: unknown): boolean => {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  if (typeof code === "string" && socketCodes.has(code)) return true
  if (!(error instanceof TypeError)) return false
  return /reading 'write'|evaluating 'socket\.write'/.test(error.message) && driverFile.test(error.stack ?? "")
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `non-error value ${String(error)}`

/**
 * Installs the process's handlers for uncaught exceptions and unhandled rejections for the life of the scope,
 * logging through the current runtime's logger. `exit` ends the process (overridable for tests).
 */
export const install = (exit: (code: number) => void = (code) => process.exit(code)) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const handle = (kind: string) => (error: unknown) => {
      const log = isStoreSocketError(error)
        ? Effect.logWarning(`survived an ${kind} from a store connection: ${describe(error)}`)
        : Effect.logFatal(`${kind}; the process exits`, error).pipe(Effect.zipRight(Effect.sync(() => exit(1))))
      Runtime.runFork(runtime)(log)
    }
    const onException = handle("uncaught exception")
    const onRejection = handle("unhandled rejection")
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        process.on("uncaughtException", onException)
        process.on("unhandledRejection", onRejection)
      }),
      () =>
        Effect.sync(() => {
          process.off("uncaughtException", onException)
          process.off("unhandledRejection", onRejection)
        })
    )
  })

/** The handlers, for as long as the process's layers are up. */
export const layer: Layer.Layer<never> = Layer.scopedDiscard(install())
