/**
 * `npm start`: the gateway on PORT and MIRAGE_NODES nodes (started again when one exits); MIRAGE_SANDBOX=1 adds the
 * fixture world.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as GatewaySettings from "@mirage/gateway/Settings"
import * as ClusterSettings from "@mirage/runtime/cluster/Settings"
import * as CollectionSettings from "@mirage/runtime/collection/Settings"
import { Console, Effect } from "effect"
import { launch, waitForGateway } from "../src/Launcher.js"
import * as NodeSettings from "../src/Settings.js"
import { sandboxEnv } from "./Sandbox.js"

const main = Effect.gen(function*() {
  const port = yield* GatewaySettings.port
  const nodes = yield* NodeSettings.nodes
  const sandbox = yield* CollectionSettings.sandbox
  const metrics = yield* ClusterSettings.metricsPort
  const env = { ...(sandbox ? yield* sandboxEnv : {}), MIRAGE_METRICS_PORT: String(metrics) }
  const procs = yield* launch({ port, nodes, env, output: "inherit", restart: true })
  yield* waitForGateway(`http://127.0.0.1:${port}`, procs[0])
  yield* Effect.log(
    `Mirage is up: gateway http://127.0.0.1:${port} (docs at /docs), ${nodes} nodes${sandbox ? ", sandbox world" : ""}`
  )
  return yield* Effect.never
}).pipe(
  // A sentence and the gateway's own last lines, then everything stops with exit code 1.
  Effect.catchTag("GatewayNotReady", (error) =>
    Console.error(
      [`Mirage did not start: ${error.message}.`, "The gateway's last output lines:", ...error.lastLines].join("\n")
    ).pipe(Effect.zipRight(Effect.sync(() => {
      process.exitCode = 1
    }))))
)

NodeRuntime.runMain(Effect.scoped(main))
