/** Shared by the threat-source tests: a run's findings as `TYPE value`, and what a rejected or missing key does for any target. */
import { expect } from "@effect/vitest"
import type { EntityType } from "@mirage/domain/Entity"
import type { Finding, Module, ModuleError } from "@mirage/modules/Module"
import type * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { expectHidden, failure } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

export const ip = (value: string) => ({ type: "IP" as const, value })

/** `TYPE value` of each finding; an error fails the test. */
export const found = (outcome: Either.Either<ReadonlyArray<Finding>, ModuleError>) =>
  Either.getOrThrow(outcome).map((f) => `${f.type} ${f.value}`)

/**
 * The source rejecting the key (each of `statuses`) is AuthFailed, the key in neither the error nor
 * the logs; a source that requires a key and has none fails AuthFailed before any request.
 */
export const checkRejected = (
  module: Module,
  request: FixtureServer.ExchangeInput["request"],
  key: string,
  target: { readonly type: EntityType; readonly value: string },
  statuses: ReadonlyArray<number> = [401, 403]
) =>
  Effect.gen(function*() {
    for (const status of statuses) {
      const run = yield* collectAgainst(module, [{ request, response: { status, json: { error: "Unauthorized" } } }], {
        target,
        key
      })
      yield* run.server.verify
      expect(failure(run.outcome)).toMatchObject({ _tag: "AuthFailed" })
      expectHidden(run, key)
    }
    if (module.source.requiresKey) {
      const keyless = yield* collectAgainst(module, [], { target })
      expect(keyless.server.requests()).toBe(0)
      expect(failure(keyless.outcome)).toMatchObject({ _tag: "AuthFailed" })
    }
  })
