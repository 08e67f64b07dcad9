/** Liveness: answers as long as the process serves requests. */
import { HttpApiBuilder } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { Health } from "@mirage/domain/api/HealthApi"
import { Effect } from "effect"

export const layer = HttpApiBuilder.group(
  MirageApi,
  "health",
  (handlers) => handlers.handle("health", () => Effect.succeed(Health.make({ status: "ok" })))
)
