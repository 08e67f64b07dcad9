/**
 * The CLI end to end, in process: `mirage scan <domain> --watch --json` against the stack's real
 * gateway and node drives a sandbox scan to COMPLETED and prints one JSON summary; problems print
 * their title and detail and fail the command.
 */
import { HttpServer } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, layer } from "@effect/vitest"
import type { Console } from "effect"
import { Effect, Exit, Layer, Redacted, Schema } from "effect"
import * as Gateway from "../../gateway/test/Gateway.js"
import { layer as Stack, startNode, World } from "../../node/test/Stack.js"
import * as Commands from "../src/Commands.js"

/** Runs the CLI with the stack's gateway URL; answers its exit, stdout and stderr. */
const mirage = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const out: Array<string> = []
    const err: Array<string> = []
    const console = yield* Effect.console
    const capture: Console.Console = {
      ...console,
      log: (...text) => Effect.sync(() => void out.push(text.join(" "))),
      error: (...text) => Effect.sync(() => void err.push(text.join(" ")))
    }
    const exit = yield* Commands.run([...args, "--url", `http://127.0.0.1:${port}`]).pipe(
      Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layerUndici)),
      Effect.withConsole(capture),
      Effect.exit
    )
    return { exit, stdout: out.join("\n"), stderr: err.join("\n") }
  })

describe("Cli", () => {
  // Real servers and real time: the node runs its rounds on the wall clock.
  layer(Stack, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("scan <domain> --watch --json drives a sandbox scan to the end and prints its summary", () =>
      Effect.gen(function*() {
        const world = yield* World
        const node = yield* startNode("cli-a")
        const caller = yield* Gateway.newCaller("analyst")
        const key = Redacted.value(caller.key)
        const run = yield* mirage([
          "scan",
          world.domain,
          "--module",
          "crtsh",
          "--module",
          "dns_resolve",
          "--depth",
          "2",
          "--watch",
          "--json",
          "--key",
          key
        ])
        expect(Exit.isSuccess(run.exit), run.stderr).toBe(true)
        // Machine output only: the whole of stdout is one JSON document.
        const printed = yield* Schema.decodeUnknown(Schema.parseJson(Commands.WatchSummary))(run.stdout)
        expect(printed.scan.target.value).toBe(world.domain)
        expect(printed.status.status).toBe("COMPLETED")
        expect(printed.status.progress).toBe(1)
        expect(printed.summary.total).toBe(printed.status.result_count)
        expect(printed.summary.total).toBeGreaterThan(0)
        expect(printed.summary.by_type["DOMAIN"]).toBeGreaterThan(0)
        expect(printed.summary.by_type["IP"]).toBeGreaterThan(0)
        expect(Object.keys(printed.summary.by_module).sort()).toEqual(["crtsh", "dns_resolve"])

        // The same scan through the other commands.
        const status = yield* mirage(["status", printed.scan.id, "--json", "--key", key])
        expect(JSON.parse(status.stdout)).toMatchObject({ id: printed.scan.id, status: "COMPLETED" })
        const results = yield* mirage(["results", printed.scan.id, "--all", "--json", "--key", key])
        expect((JSON.parse(results.stdout) as ReadonlyArray<unknown>).length).toBe(printed.summary.total)
        const human = yield* mirage(["results", printed.scan.id, "--type", "IP", "--key", key])
        expect(human.stdout).toContain("TYPE")
        // The first run of its series: everything it found is added, nothing removed.
        const diff = yield* mirage(["diff", printed.scan.id, "--json", "--key", key])
        expect(Exit.isSuccess(diff.exit), diff.stderr).toBe(true)
        const changes = JSON.parse(diff.stdout) as {
          against: string | null
          added_count: number
          removed_count: number
        }
        expect(changes).toMatchObject({ against: null, removed_count: 0 })
        expect(changes.added_count).toBeGreaterThan(0)
        expect(changes.added_count).toBeLessThanOrEqual(printed.summary.total)
        const humanDiff = yield* mirage(["diff", printed.scan.id, "--key", key])
        expect(humanDiff.stdout).toContain(`+${changes.added_count} -0`)
        yield* node.stop
      }))

    it.effect("a problem prints its title and detail and fails: another organization's scan, a missing key", () =>
      Effect.gen(function*() {
        const owner = yield* Gateway.newCaller("analyst")
        const stranger = yield* Gateway.newCaller("analyst")
        const created = yield* mirage([
          "create",
          "example.com",
          "--module",
          "dns_resolve",
          "--json",
          "--key",
          Redacted.value(owner.key)
        ])
        expect(Exit.isSuccess(created.exit), created.stderr).toBe(true)
        const id = (JSON.parse(created.stdout) as { id: string; status: string }).id
        const denied = yield* mirage(["status", id, "--key", Redacted.value(stranger.key)])
        expect(Exit.isFailure(denied.exit)).toBe(true)
        expect(denied.stderr).toMatch(/^Not found: /)
        expect(denied.stdout).toBe("")
        const anonymous = yield* mirage(["templates"])
        expect(Exit.isFailure(anonymous.exit)).toBe(true)
        expect(anonymous.stderr).toMatch(/^Unauthorized: /)
        const templates = yield* mirage(["templates", "--json", "--key", Redacted.value(owner.key)])
        expect(Exit.isSuccess(templates.exit), templates.stderr).toBe(true)
        expect(JSON.parse(templates.stdout)).toHaveProperty("items")
      }))
  })
})
