/** The `mirage` process: the CLI on Node, its HTTP client, and a non-zero exit when a command fails. */
import { NodeContext, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as Commands from "./Commands.js"

Commands.run(process.argv.slice(2), { interactive: process.stdout.isTTY === true }).pipe(
  Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layerUndici)),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
