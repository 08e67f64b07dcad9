/** Shared by the module tests: the fixture world and a module context pointed at it, with its logs captured. */
import type { EntityType } from "@mirage/domain/Entity"
import type { Module, ModuleEndpoints } from "@mirage/modules/Module"
import { makeModuleContext } from "@mirage/modules/Module"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import * as FixtureWorld from "@mirage/testkit/FixtureWorld"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect, Redacted } from "effect"

export interface LogEntry {
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>>
}

export const contextFor = (module: string, endpoints: ModuleEndpoints, credentials?: string) =>
  Effect.gen(function*() {
    const logs: Array<LogEntry> = []
    const ctx = yield* makeModuleContext({
      module,
      endpoints,
      timeoutMs: 5_000,
      ...(credentials === undefined ? {} : { credentials: Redacted.make(credentials) }),
      log: (message, fields = {}) => Effect.sync(() => void logs.push({ message, fields }))
    })
    return { ctx, logs }
  })

export const worldWithContext = (module: string) =>
  Effect.gen(function*() {
    const world = yield* FixtureWorld.make
    const { ctx, logs } = yield* contextFor(module, world.moduleEndpoints)
    return { world, ctx, logs }
  })

/** The emulated intelligence sources and a context for `module`, holding `credentials` as its key if given. */
export const intelWithContext = (module: string, credentials?: string) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const { ctx, logs } = yield* contextFor(module, { dnsServers: [], ...intel.endpoints }, credentials)
    return { intel, ctx, logs }
  })

export const domainTarget = (value: string) => ({ target: { type: "DOMAIN" as const, value } })

/** A module run against the generic fixture server: its findings (or error), its notes and what the server saw. */
export const collectAgainst = (
  module: Module,
  exchanges: ReadonlyArray<FixtureServer.ExchangeInput>,
  options: {
    readonly target: { readonly type: EntityType; readonly value: string }
    readonly key?: string
    readonly config?: unknown
  }
) =>
  Effect.gen(function*() {
    const server = yield* FixtureServer.make(exchanges)
    const { ctx, logs } = yield* contextFor(module.id, { dnsServers: [], [module.source.id]: server.url }, options.key)
    const outcome = yield* Effect.either(
      Effect.flatMap(module.open(options.config ?? {}, ctx), (session) => session.collect({ target: options.target }))
    )
    const notes = yield* ctx.notes.summary
    return { server, outcome, notes, logs }
  })
