/**
 * Store outages never end a process: a store connection's escaped socket errors are logged and survived, anything
 * else still exits; and the patched postgres driver settles a write on a closed socket instead of throwing from a timer.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ProcessGuard from "@mirage/runtime/platform/ProcessGuard"
import { runNode } from "@mirage/testkit/Processes"
import { databaseUrl, withDatabase } from "@mirage/testkit/TestStores"
import { Effect, Logger } from "effect"

// The driver's own failure (porsager/postgres#1208): a reserved connection whose backend is terminated, written again.
const reservedConnectionLoss = `
import postgres from "postgres"
const url = process.env.PG_URL
const sql = postgres(url, { max: 2, onnotice: () => {} })
const admin = postgres(url, { max: 1, onnotice: () => {} })
const reserved = await sql.reserve()
const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`
await admin\`select pg_terminate_backend(\${pid})\`
await new Promise((resolve) => setTimeout(resolve, 200))
for (let i = 0; i < 3; i++) await reserved\`select 1\`.then(() => console.log("ok"), (e) => console.log("rejected", e.code))
reserved.release()
let answered = 0
for (let i = 0; i < 4; i++) await sql\`select 1\`.then(() => answered++, () => {})
await Promise.all([sql.end({ timeout: 5 }), admin.end({ timeout: 5 })])
console.log("pool answered", answered)
`

// A TypeError as the unpatched driver throws it, with the driver's frame in its stack.
const driverTypeError = () => {
  const error = new TypeError("Cannot read properties of null (reading 'write')")
  error.stack = `${error.message}\n    at Immediate.nextWrite (/app/node_modules/postgres/src/connection.js:255:22)`
  return error
}

describe("ProcessGuard", () => {
  it("tells a store connection breaking from any other error", () => {
    expect(ProcessGuard.isStoreSocketError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe(
      true
    )
    expect(ProcessGuard.isStoreSocketError(Object.assign(new Error("write"), { code: "CONNECTION_CLOSED" }))).toBe(true)
    expect(ProcessGuard.isStoreSocketError(driverTypeError())).toBe(true)
    // The same message from our own code is a bug, not an outage.
    expect(ProcessGuard.isStoreSocketError(new TypeError("Cannot read properties of null (reading 'write')"))).toBe(
      false
    )
    expect(ProcessGuard.isStoreSocketError(new RangeError("Invalid array length"))).toBe(false)
    expect(ProcessGuard.isStoreSocketError("ECONNRESET")).toBe(false)
  })

  it.scoped("survives a store socket error escaping a timer, and exits on anything else", () =>
    Effect.gen(function*() {
      const messages: Array<string> = []
      const exits: Array<number> = []
      yield* ProcessGuard.install((code) => exits.push(code)).pipe(
        Effect.provide(
          Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => messages.push(String(message))))
        )
      )
      const pending = (n: number) =>
        Effect.promise(async () => {
          for (let i = 0; i < 100 && messages.length < n; i++) await new Promise((resolve) => setTimeout(resolve, 10))
        })
      process.emit("uncaughtException", driverTypeError())
      process.emit(
        "unhandledRejection",
        Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
        Promise.resolve()
      )
      yield* pending(2)
      expect(exits).toEqual([])
      expect(messages).toEqual([
        "survived an uncaught exception from a store connection: TypeError: Cannot read properties of null (reading 'write')",
        "survived an unhandled rejection from a store connection: Error: read ECONNRESET"
      ])
      process.emit("uncaughtException", new RangeError("Invalid array length"))
      yield* pending(3)
      expect(exits).toEqual([1])
      expect(messages[2]).toContain("uncaught exception; the process exits")
    }))

  it.live(
    "the postgres driver rejects writes on a lost reserved connection, and the pool recovers",
    () =>
      Effect.gen(function*() {
        const url = withDatabase(yield* databaseUrl, "postgres")
        const run = yield* runNode(["--input-type=module", "-e", reservedConnectionLoss], { PG_URL: url })
        expect(run.stderr).not.toContain("TypeError")
        expect(run.code).toBe(0)
        expect(run.stdout).toContain("rejected CONNECTION_CLOSED")
        expect(run.stdout).toMatch(/pool answered [34]/)
      }),
    { timeout: 90_000 }
  )
})
