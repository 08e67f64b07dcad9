/**
 * The modules a scan may use, as the gateway sees them: their entity types and default
 * configuration, and a check of a configuration against a module's own schema. The real layer
 * sits over the module registry; `layerMemory` serves a fixed list, `layerKeyed` one whose keyed modules without a
 * configured key are marked so templates leave them out. The runtime reaches the
 * installed modules themselves (to run them, list them, know their sources) only through here.
 */
import type { EntityType } from "@mirage/domain/Entity"
import type { ModuleId } from "@mirage/domain/Ids"
import type { ModuleFlag } from "@mirage/domain/ModuleFlag"
import type { ModuleConfig } from "@mirage/domain/Scan"
import { Registry } from "@mirage/modules"
import type { Module } from "@mirage/modules"
import { Context, Effect, Either, Layer, Option } from "effect"
import { Credentials } from "./Credentials.js"

export interface CatalogEntry {
  readonly id: ModuleId
  readonly input_types: ReadonlyArray<EntityType>
  readonly output_types: ReadonlyArray<EntityType>
  readonly default_config: ModuleConfig
  /** What the module is like, for requests that choose modules by flag; none is never chosen so. */
  readonly flags?: ReadonlyArray<ModuleFlag>
  /** Its source needs an API key and none is configured: templates leave it out (a scan naming it still runs it). */
  readonly key_missing?: boolean
}

export interface ModuleCatalogService {
  readonly get: (id: string) => Option.Option<CatalogEntry>
  /** Every module, in a stable order. */
  readonly all: () => ReadonlyArray<CatalogEntry>
  /** The configuration as the module will use it, or why it is not acceptable. */
  readonly validateConfig: (id: string, config: ModuleConfig) => Either.Either<ModuleConfig, string>
}

export class ModuleCatalog extends Context.Tag("@mirage/runtime/ModuleCatalog")<
  ModuleCatalog,
  ModuleCatalogService
>() {}

/** The check `layerMemory` uses when given none: each key must be a key of the module's defaults, of the same JSON type. */
export const sameShapeAsDefaults =
  (entries: ReadonlyArray<CatalogEntry>) => (id: string, config: ModuleConfig): Either.Either<ModuleConfig, string> => {
    const entry = entries.find((e) => e.id === id)
    if (entry === undefined) return Either.left(`unknown module ${id}`)
    const kind = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value)
    for (const [key, value] of Object.entries(config)) {
      if (!(key in entry.default_config)) return Either.left(`unknown setting ${key}`)
      const expected = kind(entry.default_config[key])
      if (kind(value) !== expected) return Either.left(`${key} must be of type ${expected}`)
    }
    return Either.right(config)
  }

/** A catalog of fixed entries, checking configurations with `validateConfig` (by default `sameShapeAsDefaults`). */
export const makeMemory = (
  entries: ReadonlyArray<CatalogEntry>,
  validateConfig: ModuleCatalogService["validateConfig"] = sameShapeAsDefaults(entries)
): ModuleCatalogService => {
  const byId = new Map(entries.map((entry) => [entry.id as string, entry]))
  return ModuleCatalog.of({
    get: (id) => Option.fromNullable(byId.get(id)),
    all: () => entries,
    validateConfig: (id, config) => (byId.has(id) ? validateConfig(id, config) : Either.left(`unknown module ${id}`))
  })
}

export const layerMemory = (
  entries: ReadonlyArray<CatalogEntry>,
  validateConfig?: ModuleCatalogService["validateConfig"]
): Layer.Layer<ModuleCatalog> => Layer.succeed(ModuleCatalog, makeMemory(entries, validateConfig))

/** A module as the registry describes it: an entry with its source. */
export type SourcedEntry = CatalogEntry & { readonly source: { readonly id: string; readonly requiresKey: boolean } }

/** The entries, those whose source needs a key that `configured` says is not there marked `key_missing`. */
export const markMissingKeys = (
  entries: ReadonlyArray<SourcedEntry>,
  configured: (source: string) => boolean
): ReadonlyArray<CatalogEntry> =>
  entries.map((entry) =>
    entry.source.requiresKey && !configured(entry.source.id) ? { ...entry, key_missing: true } : entry
  )

/** A fixed catalog whose keyed modules without a configured key (Credentials) are marked so templates skip them. */
export const layerKeyed = (
  entries: ReadonlyArray<SourcedEntry>,
  validateConfig?: ModuleCatalogService["validateConfig"]
): Layer.Layer<ModuleCatalog, never, Credentials> =>
  Layer.effect(
    ModuleCatalog,
    Effect.gen(function*() {
      const credentials = yield* Credentials
      const sources = Array.from(new Set(entries.map((entry) => entry.source.id)))
      const statuses = yield* Effect.forEach(sources, (source) => credentials.status(source), {
        concurrency: "unbounded"
      })
      const configured = new Set(statuses.filter((status) => status.configured).map((status) => status.source))
      return makeMemory(markMissingKeys(entries, (source) => configured.has(source)), validateConfig)
    })
  )

/** The installed modules, in the registry's order: what the executor runs and the listings show. */
export const installed: ReadonlyArray<Module.Module> = Registry.modules

/** An installed module by id. */
export const findInstalled = (id: string): Option.Option<Module.Module> => Registry.findModule(id)

/** The installed modules' real sources' base URLs (configuration overrides them, tests use fixtures'). */
export const productionEndpoints: Module.ModuleEndpoints = Registry.productionEndpoints

/** The catalog of the installed modules, configurations checked against each module's own schema. */
export const layer: Layer.Layer<ModuleCatalog> = Layer.sync(
  ModuleCatalog,
  () => makeMemory(Registry.describe(), Registry.validateModuleConfig)
)
