/** The JSON logger: one line per record with level, message, timestamp, annotations and trace id; secrets masked. */
import { describe, expect, it } from "@effect/vitest"
import * as Logging from "@mirage/runtime/platform/Logging"
import { runNode } from "@mirage/testkit/Processes"
import { Effect, HashMap, Logger, Redacted } from "effect"

// A process as the gateway and the node run: NodeRuntime.runMain (which installs its own pretty logger) and Logging.layer.
const program = `
import { NodeRuntime } from "@effect/platform-node"
import * as Logging from "@mirage/runtime/platform/Logging"
import { Effect } from "effect"
NodeRuntime.runMain(Effect.log("hello once").pipe(Effect.provide(Logging.layer)))
`

// A burst of lines, the process ending in the same turn: stdout's writes counted on stderr.
const burst = `
import * as Logging from "@mirage/runtime/platform/Logging"
import { Effect } from "effect"
let writes = 0
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = (...args) => (writes++, write(...args))
process.on("exit", () => process.stderr.write(String(writes)))
Effect.runSync(Effect.forEach(Array.from({ length: 2000 }, (_, i) => i), (i) => Effect.log("line", i), { discard: true })
  .pipe(Effect.provide(Logging.layerWith("json"))))
process.exit(0)
`

const outputOf = (source: string, format = "json") =>
  Effect.flatMap(
    runNode(["--input-type=module", "-e", source], { MIRAGE_LOG_FORMAT: format }),
    (run) => run.code === 0 ? Effect.succeed(run) : Effect.fail(new Error(`exit ${run.code}: ${run.stderr}`))
  )

const stdoutOf = (format: string) => Effect.map(outputOf(program, format), ({ stdout }) => stdout)

const capture = () => {
  const lines: Array<Record<string, unknown>> = []
  const layer = Logging.layerWith("json", (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>)
  })
  return { lines, layer }
}

describe("Logging", () => {
  it.effect("writes JSON lines with scan_id, task_id and the current span's trace_id", () =>
    Effect.gen(function*() {
      const { layer, lines } = capture()
      yield* Effect.logInfo("task collected").pipe(
        Effect.annotateLogs({ scan_id: "s-1", task_id: "t-1" }),
        Effect.withSpan("task.collect"),
        Effect.provide(layer)
      )
      expect(lines).toHaveLength(1)
      const line = lines[0]!
      expect(line).toMatchObject({ level: "info", message: "task collected", scan_id: "s-1", task_id: "t-1" })
      expect(typeof line.timestamp).toBe("string")
      expect(Number.isNaN(Date.parse(String(line.timestamp)))).toBe(false)
      expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/)
    }))

  it.effect("redacts Redacted values, credential fields and API keys", () =>
    Effect.gen(function*() {
      const { layer, lines } = capture()
      const key = "mk_abcdefghijklmnopqrstuvwxyz0123"
      yield* Effect.logWarning(`calling with ${key}`, {
        api_key: "plain-secret",
        nested: { authorization: "Bearer x" }
      })
        .pipe(
          Effect.annotateLogs({ key: "k-123", credential: Redacted.make("hunter2"), url: `https://x/?k=${key}` }),
          Effect.provide(layer)
        )
      const text = JSON.stringify(lines)
      expect(text).not.toContain(key)
      expect(text).not.toContain("plain-secret")
      expect(text).not.toContain("Bearer x")
      expect(text).not.toContain("k-123")
      expect(text).not.toContain("hunter2")
      expect(lines[0]).toMatchObject({ level: "warn", key: "<redacted>", credential: "<redacted>" })
      expect(String(lines[0]!.message)).toContain("<redacted>")
    }))

  it.effect("writes a line's own fields beside its annotations, masked alike, without touching the fiber's", () =>
    Effect.gen(function*() {
      const { layer, lines } = capture()
      const key = "mk_abcdefghijklmnopqrstuvwxyz0123"
      yield* Effect.logInfo("answered", Logging.fields({ "http.status": 200, url: `/x?k=${key}`, token: "t-secret" }))
        .pipe(
          Effect.annotateLogs({ scan_id: "s-1" }),
          Effect.provide(layer)
        )
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({
        message: "answered",
        scan_id: "s-1",
        "http.status": 200,
        url: "/x?k=<redacted>",
        token: "<redacted>"
      })
      expect(JSON.stringify(lines)).not.toContain("t-secret")
      // The pretty format shows them as it shows annotations.
      const pretty: Array<string> = []
      const printing = Logging.prettyLogger(Logger.make((options) => {
        pretty.push(`${String(options.message)} ${JSON.stringify(HashMap.toEntries(options.annotations))}`)
      }))
      yield* Effect.logInfo("answered", Logging.fields({ "http.status": 200, token: "t-secret" })).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, printing))
      )
      expect(pretty).toEqual([`answered [["http.status",200],["token","<redacted>"]]`])
    }))

  it.live("hands the lines of one turn to the sink together, and 64 KiB at once without waiting", () =>
    Effect.gen(function*() {
      const written: Array<string> = []
      const batched = Logging.batchedLines((text) => written.push(text))
      for (let i = 0; i < 100; i++) batched.line(`line ${i}`)
      expect(written).toEqual([])
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      expect(written).toEqual([Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join("")])
      const long = "x".repeat(1023)
      for (let i = 0; i < 64; i++) batched.line(long)
      expect(written).toHaveLength(2)
      expect(written[1]).toBe(`${long}\n`.repeat(64))
      batched.line("last")
      batched.flush()
      expect(written).toEqual([written[0], written[1], "last\n"])
    }))

  it.live(
    "writes every line of a burst in a few writes, those still waiting when the process exits included",
    () =>
      Effect.gen(function*() {
        const { stderr, stdout } = yield* outputOf(burst)
        const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as { message: unknown })
        expect(lines.map((line) => line.message)).toEqual(Array.from({ length: 2000 }, (_, i) => `line ${i}`))
        expect(Number(stderr)).toBeGreaterThan(0)
        expect(Number(stderr)).toBeLessThan(20)
      }),
    { timeout: 90_000 }
  )

  it.live(
    "prints each line once in a process started by NodeRuntime.runMain, in either format",
    () =>
      Effect.gen(function*() {
        const [json, pretty] = yield* Effect.all([stdoutOf("json"), stdoutOf("pretty")], { concurrency: 2 })
        const jsonLines = json.trim().split("\n")
        expect(jsonLines).toHaveLength(1)
        expect(JSON.parse(jsonLines[0]!)).toMatchObject({ level: "info", message: "hello once" })
        expect(pretty.split("hello once")).toHaveLength(2)
      }),
    { timeout: 90_000 }
  )
})
