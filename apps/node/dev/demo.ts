/**
 * `npm run demo`: a real scan end to end on a sandbox stack — fixture world, gateway, two nodes —
 * through the public API: create, start, live progress, then the results as a table.
 */
import { NodeRuntime } from "@effect/platform-node"
import { freePort } from "@mirage/testkit/OwnStores"
import { Console, Effect } from "effect"
import { randomBytes } from "node:crypto"
import { launch, logFolder, waitForGateway } from "../src/Launcher.js"
import { sandboxEnv, sandboxTarget } from "./Sandbox.js"

interface Status {
  readonly status: string
  readonly progress: number
  readonly result_count: number
  readonly status_reason: string | null
}

interface Result {
  readonly data_type: string
  readonly data: string
  readonly module_id: string
  readonly confidence: number
}

interface Page {
  readonly items: ReadonlyArray<Result>
  readonly next_cursor: string | null
}

const bar = (progress: number, width = 30) => {
  const filled = Math.round(progress * width)
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(progress * 100).toFixed(0).padStart(3)}%`
}

const main = Effect.gen(function*() {
  const env = yield* sandboxEnv
  const port = yield* freePort
  const key = `mk_demo_${randomBytes(18).toString("base64url")}`
  const base = `http://127.0.0.1:${port}`
  yield* Console.log(`Starting a sandbox Mirage: gateway ${base} and 2 nodes`)
  const procs = yield* launch({
    port,
    nodes: 2,
    env: { ...env, MIRAGE_BOOTSTRAP_API_KEY: key },
    output: { logs: logFolder }
  })
  yield* Console.log(`(process logs in ${logFolder})`)
  yield* waitForGateway(base, procs[0])
  yield* Console.log(`Follow it in the console while it runs: open ${base}/ and paste the key ${key}`)

  const call = <A>(method: string, path: string, body?: unknown) =>
    Effect.tryPromise(async () => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = await response.text()
      if (!response.ok) return Promise.reject(new Error(`${method} ${path}: ${response.status} ${text}`))
      return JSON.parse(text) as A
    })

  const target = yield* sandboxTarget
  const scan = yield* call<{ id: string }>("POST", "/scans", {
    name: "Demo: sandbox domain footprint",
    target: { type: "DOMAIN", value: target },
    template_id: "full-domain-footprint",
    configuration: { recursion_depth: 2, max_duration: 300 }
  })
  yield* Console.log(`Created scan ${scan.id} of ${target}; starting it`)
  yield* call("POST", `/scans/${scan.id}/start`)

  const poll = call<Status>("GET", `/scans/${scan.id}/status`).pipe(
    Effect.tap((s) => Console.log(`  ${s.status.padEnd(9)} ${bar(s.progress)}  ${s.result_count} results`))
  )
  const isDone = (s: Status) => ["COMPLETED", "FAILED", "CANCELLED"].includes(s.status)
  let final = yield* poll
  const deadline = Date.now() + 120_000
  while (!isDone(final) && Date.now() < deadline) {
    yield* Effect.sleep("300 millis")
    final = yield* poll
  }

  const results: Array<Result> = []
  let cursor: string | null = null
  do {
    const page: Page = yield* call<Page>(
      "GET",
      `/scans/${scan.id}/results?limit=200${cursor === null ? "" : `&cursor=${cursor}`}`
    )
    results.push(...page.items)
    cursor = page.next_cursor
  } while (cursor !== null)

  results.sort((a, b) => a.data_type.localeCompare(b.data_type) || a.data.localeCompare(b.data))
  yield* Console.log(`\nScan ${final.status} (${final.status_reason ?? "no reason"}): ${results.length} results\n`)
  const widths = [
    8,
    Math.max(4, ...results.map((r) => r.data.length)),
    Math.max(6, ...results.map((r) => r.module_id.length))
  ]
  yield* Console.log(
    `${"TYPE".padEnd(widths[0]!)}  ${"DATA".padEnd(widths[1]!)}  ${"MODULE".padEnd(widths[2]!)}  CONFIDENCE`
  )
  for (const r of results) {
    yield* Console.log(
      `${r.data_type.padEnd(widths[0]!)}  ${r.data.padEnd(widths[1]!)}  ${r.module_id.padEnd(widths[2]!)}  ${
        r.confidence.toFixed(2)
      }`
    )
  }
  if (final.status !== "COMPLETED") return yield* Effect.fail(new Error(`the scan ended ${final.status}`))
})

NodeRuntime.runMain(Effect.scoped(main), { disableErrorReporting: false })
