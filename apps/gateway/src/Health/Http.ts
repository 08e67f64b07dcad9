/** The operational endpoints: liveness with the cluster's state, readiness and metrics; no key needed. */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { ShardInbox } from "@mirage/runtime/cluster/ShardInbox"
import { Effect } from "effect"
import * as Observability from "../Observability.js"

export const layer = HttpApiBuilder.group(MirageApi, "health", (handlers) =>
  Effect.gen(function*() {
    const { shards } = yield* ShardInbox
    const timeoutMs = yield* Effect.orDie(Observability.ObservabilityConfig)
    return handlers
      .handle("health", () => Observability.health(shards, timeoutMs))
      .handle("ready", () => Observability.ready(shards, timeoutMs))
      .handle("metrics", () => Observability.metrics(shards, timeoutMs))
  }))
