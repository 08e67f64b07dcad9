/** Shared by the keyed-source tests: where the key travelled, and what a rejected or missing key does. */
import { expect } from "@effect/vitest"
import type { Finding, Module, ModuleError } from "@mirage/modules/Module"
import type * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either } from "effect"
import { collectAgainst, type LogEntry } from "./support.js"

export const target = { type: "DOMAIN" as const, value: "example.test" }

/** The findings' values; an error fails the test. */
export const values = (outcome: Either.Either<ReadonlyArray<Finding>, ModuleError>) =>
  Either.getOrThrow(outcome).map((finding) => finding.value)

/** The error; findings fail the test. */
export const failure = (outcome: Either.Either<ReadonlyArray<Finding>, ModuleError>) =>
  Either.getOrThrow(Either.flip(outcome))

/** The names of the headers the server received that carry `key`, over every request. */
export const headersCarrying = (server: FixtureServer.FixtureServer, key: string) =>
  Array.from(
    new Set(
      server.received().flatMap((request) =>
        Object.entries(request.headers).flatMap(([name, value]) => (String(value).includes(key) ? [name] : []))
      )
    )
  )

/** Fails the test if the key shows in the logs or the outcome. */
export const expectHidden = (
  run: {
    readonly logs: ReadonlyArray<LogEntry>
    readonly outcome: Either.Either<ReadonlyArray<Finding>, ModuleError>
  },
  key: string
) => {
  expect(JSON.stringify(run.logs)).not.toContain(key)
  expect(JSON.stringify(run.outcome)).not.toContain(key)
  if (Either.isLeft(run.outcome)) expect(run.outcome.left.message).not.toContain(key)
}

/**
 * The source rejecting the key with 401 and with 403 is AuthFailed, the key in neither the error nor
 * the logs; a source that requires a key and has none fails AuthFailed before any request.
 */
export const checkKeyRejected = (
  module: Module,
  request: FixtureServer.ExchangeInput["request"],
  key: string
) =>
  Effect.gen(function*() {
    for (const status of [401, 403]) {
      const run = yield* collectAgainst(module, [{ request, response: { status, json: { error: "Unauthorized" } } }], {
        target,
        key
      })
      yield* run.server.verify
      expect(failure(run.outcome)).toMatchObject({ _tag: "AuthFailed", status })
      expectHidden(run, key)
    }
    if (module.source.requiresKey) {
      const keyless = yield* collectAgainst(module, [], { target })
      expect(keyless.server.requests()).toBe(0)
      expect(failure(keyless.outcome)).toMatchObject({ _tag: "AuthFailed" })
    }
  })
