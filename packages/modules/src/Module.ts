/**
 * The module SDK: what a module declares (the seed's BaseModule plus its data source), its
 * scoped lifecycle (setup, collect, cleanup through the Scope) and what it produces (Findings).
 */
import { canonicalize, type EntityType } from "@mirage/domain/Entity"
import { ModuleId } from "@mirage/domain/Ids"
import type { ModuleFlag } from "@mirage/domain/ModuleFlag"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import type { Scope } from "effect"
import type { ModuleContext } from "./ModuleContext.js"
import { ModuleConfigError, type ModuleError } from "./ModuleError.js"

export * from "./CollectionNotes.js"
export * from "./DnsClient.js"
export * from "./HttpClient.js"
export * from "./ModuleContext.js"
export * from "./ModuleError.js"
export * from "./SharedLists.js"

/** The data source behind a module: what the runtime needs to rate limit, proxy and authenticate. */
export const DataSource = Schema.Struct({
  /** Key of the source's rate limit, endpoint and credentials; modules may share a source. */
  id: Schema.String,
  name: Schema.String,
  rateLimit: Schema.Struct({
    requests: Schema.Int.pipe(Schema.positive()),
    perSeconds: Schema.Number.pipe(Schema.positive()),
    burst: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true })
  }),
  requiresKey: Schema.Boolean,
  /** Whether requests may go through the proxy pool (DNS over UDP cannot). */
  proxy: Schema.Boolean,
  /** The real source's base URL, declared beside the module's code; production endpoints start from it. */
  baseUrl: Schema.optionalWith(Schema.String, { exact: true })
})
export type DataSource = typeof DataSource.Type

/** What a module produces; the runtime turns findings into Collection Results. */
export interface Finding {
  readonly type: EntityType
  /** Canonical (see `canonicalize`), so equal entities have equal values. */
  readonly value: string
  /** 0..1 */
  readonly confidence: number
  readonly source_data: Readonly<Record<string, unknown>>
  readonly metadata: Readonly<Record<string, unknown>>
  /**
   * The finding is about the task's own entity (a DNSBL listing, a phone's line type): stored as that entity's
   * enrichment by this module rather than dropped as an entity the scan has seen.
   */
  readonly enrichment?: boolean
}

/** The part of a Collection Task a module reads; a `CollectionTask` is one. */
export interface ModuleTask {
  readonly target: { readonly type: EntityType; readonly value: string }
}

/** A finding with a canonical value, or none when the value is not of the type (modules drop those). */
export const finding = (
  type: EntityType,
  value: string,
  details: {
    readonly confidence: number
    readonly source_data?: Readonly<Record<string, unknown>>
    readonly metadata?: Readonly<Record<string, unknown>>
  }
): Option.Option<Finding> =>
  Option.map(Either.getRight(canonicalize(type, value)), (canonical) => ({
    type,
    value: canonical,
    confidence: Math.min(1, Math.max(0, details.confidence)),
    source_data: details.source_data ?? {},
    metadata: details.metadata ?? {}
  }))

/** What an author writes; `defineModule` turns it into a Module. */
export interface ModuleDefinition<Config, ConfigEncoded extends Readonly<Record<string, unknown>>, Session> {
  /** The module id, snake_case. */
  readonly name: string
  /** A human name; the source's name when left out. */
  readonly title?: string
  readonly description: string
  readonly version: string
  readonly author: string
  readonly input_types: ReadonlyArray<EntityType>
  readonly output_types: ReadonlyArray<EntityType>
  /** passive or active, how hard it hits; `needs-key` is added from the source's `requiresKey`. */
  readonly flags: ReadonlyArray<ModuleFlag>
  /** The module's own configuration; every field has a default, so `{}` decodes. */
  readonly configSchema: Schema.Schema<Config, ConfigEncoded>
  /** What `{}` decodes to, as shown by the API (a test checks they agree); computed when left out. */
  readonly default_config?: ConfigEncoded
  readonly source: DataSource
  /** Acquires what collecting needs; resources it opens are released by finalizers on the Scope. */
  readonly setup: (config: Config, ctx: ModuleContext) => Effect.Effect<Session, ModuleError, Scope.Scope>
  readonly collect: (session: Session, task: ModuleTask) => Effect.Effect<ReadonlyArray<Finding>, ModuleError>
}

/** A module whose session and config types are hidden: what the registry and the runtime hold. */
export interface Module {
  readonly id: ModuleId
  readonly title: string
  readonly description: string
  readonly version: string
  readonly author: string
  readonly input_types: ReadonlyArray<EntityType>
  readonly output_types: ReadonlyArray<EntityType>
  readonly flags: ReadonlyArray<ModuleFlag>
  readonly default_config: Readonly<Record<string, unknown>>
  readonly source: DataSource
  /** The effective config (defaults filled in), or what is wrong with it. `undefined` is `{}`. */
  readonly validateConfig: (config: unknown) => Either.Either<Readonly<Record<string, unknown>>, ModuleConfigError>
  /** Decodes the config and runs setup in the caller's Scope; closing the Scope is the cleanup. */
  readonly open: (config: unknown, ctx: ModuleContext) => Effect.Effect<ModuleSession, ModuleError, Scope.Scope>
}

/** An opened module: collect for as many tasks as wanted while its Scope is open. */
export interface ModuleSession {
  readonly collect: (task: ModuleTask) => Effect.Effect<ReadonlyArray<Finding>, ModuleError>
}

/** A module with its types: tests and the module's own file use `setup`/`collect` directly. */
export interface ModuleOf<Config, ConfigEncoded extends Readonly<Record<string, unknown>>, Session>
  extends Module, Omit<ModuleDefinition<Config, ConfigEncoded, Session>, "default_config" | "flags" | "title">
{
  readonly decodeConfig: (config: unknown) => Either.Either<Config, ModuleConfigError>
}

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** One line per offending key, e.g. `bogus is unexpected, expected: "ipv4" | "ipv6"`. */
const formatConfigError = (error: ParseResult.ParseError): string => {
  const byPath = new Map<string, string>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const path = issue.path.map(String).join(".")
    if (!byPath.has(path)) byPath.set(path, path === "" ? issue.message : `${path} ${issue.message}`)
  }
  return Array.from(byPath.values()).join("; ")
}

/** Builds a module from its definition, inferring its config and session types. */
export const defineModule = <Config, ConfigEncoded extends Readonly<Record<string, unknown>>, Session>(
  definition: ModuleDefinition<Config, ConfigEncoded, Session>
): ModuleOf<Config, ConfigEncoded, Session> => {
  const id = ModuleId.make(definition.name)
  // Unknown keys are refused: a misspelt option silently ignored is a scan that does the wrong thing.
  const decode = Schema.decodeUnknownEither(definition.configSchema, { onExcessProperty: "error", errors: "all" })
  const encode = Schema.encodeEither(definition.configSchema)
  const configError = (reason: string) => new ModuleConfigError({ module: id, reason: `invalid config: ${reason}` })

  const decodeConfig = (config: unknown): Either.Either<Config, ModuleConfigError> => {
    const input = config === undefined || config === null ? {} : config
    if (!isPlainObject(input)) return Either.left(configError("must be a JSON object"))
    return Either.mapLeft(decode(input), (error) => configError(formatConfigError(error)))
  }

  const validateConfig = (config: unknown) =>
    Either.flatMap(
      decodeConfig(config),
      (decoded) => Either.mapLeft(encode(decoded), (error) => configError(formatConfigError(error)))
    )

  const accepts = (task: ModuleTask) =>
    definition.input_types.includes(task.target.type)
      ? Effect.void
      : Effect.fail(new ModuleConfigError({ module: id, reason: `does not take ${task.target.type} targets` }))

  const open = (config: unknown, ctx: ModuleContext) =>
    Effect.gen(function*() {
      const decoded = yield* decodeConfig(config)
      const session = yield* definition.setup(decoded, ctx)
      return {
        collect: (task: ModuleTask) => Effect.zipRight(accepts(task), definition.collect(session, task))
      }
    })

  const flags: ReadonlyArray<ModuleFlag> = definition.source.requiresKey && !definition.flags.includes("needs-key")
    ? [...definition.flags, "needs-key"]
    : definition.flags

  return {
    ...definition,
    id,
    title: definition.title ?? definition.source.name,
    flags,
    default_config: definition.default_config ?? Either.getOrElse(validateConfig({}), () => ({})),
    decodeConfig,
    validateConfig,
    open
  }
}

/**
 * The task's target in canonical form, or a ModuleConfigError if it is not of the expected
 * type: the runtime only sends canonical entities, so this guards against misuse.
 */
export const targetValue = (
  module: string,
  task: ModuleTask,
  type: EntityType
): Effect.Effect<string, ModuleConfigError> =>
  task.target.type !== type
    ? Effect.fail(new ModuleConfigError({ module, reason: `expected a ${type} target, got ${task.target.type}` }))
    : Either.match(canonicalize(type, task.target.value), {
      onLeft: (reason) => Effect.fail(new ModuleConfigError({ module, reason: `invalid target: ${reason}` })),
      onRight: Effect.succeed
    })
