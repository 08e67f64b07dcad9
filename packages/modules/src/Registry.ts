/**
 * Every module Mirage can run, how the API describes them, and the check of a module's config
 * done before a scan or task is accepted.
 */
import { EntityType } from "@mirage/domain/Entity"
import { ModuleId } from "@mirage/domain/Ids"
import { ModuleFlag } from "@mirage/domain/ModuleFlag"
import { Array as Arr, Either, Option, Schema } from "effect"
import { coverageModules } from "./catalog/Coverage.js"
import { exposureModules } from "./catalog/Exposure.js"
import { intelligenceModules } from "./catalog/Intelligence.js"
import { networkModules } from "./catalog/Network.js"
import { threatModules } from "./catalog/Threats.js"
import type { Module, ModuleEndpoints } from "./Module.js"
import { DataSource } from "./Module.js"

export const modules: ReadonlyArray<Module> = [
  ...networkModules,
  ...intelligenceModules,
  ...coverageModules,
  ...exposureModules,
  ...threatModules
]

/**
 * The real sources' base URLs, from what each module declares beside its code; configuration
 * (`MIRAGE_MODULE_ENDPOINTS`) overrides them, and tests use the fixture world's instead.
 */
export const productionEndpoints: ModuleEndpoints = {
  ...Object.fromEntries(
    modules.flatMap((
      module
    ) => (module.source.baseUrl === undefined ? [] : [[module.source.id, module.source.baseUrl]]))
  ),
  // Empty: the system's resolvers.
  dnsServers: []
}

export const findModule = (id: string): Option.Option<Module> => Arr.findFirst(modules, (module) => module.id === id)

/** A module as listed by the API (`/sources`, module listings). */
export const ModuleDescription = Schema.Struct({
  id: ModuleId,
  description: Schema.String,
  version: Schema.String,
  author: Schema.String,
  input_types: Schema.Array(EntityType),
  output_types: Schema.Array(EntityType),
  flags: Schema.Array(ModuleFlag),
  default_config: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  source: DataSource
})
export type ModuleDescription = typeof ModuleDescription.Type

export const describeModule = (module: Module): ModuleDescription => ({
  id: module.id,
  description: module.description,
  version: module.version,
  author: module.author,
  input_types: module.input_types,
  output_types: module.output_types,
  flags: module.flags,
  default_config: module.default_config,
  source: module.source
})

export const describe = (): ReadonlyArray<ModuleDescription> => modules.map(describeModule)

/** The module's effective config (defaults filled in), or a message naming what is wrong. */
export const validateModuleConfig = (
  id: string,
  config: unknown
): Either.Either<Readonly<Record<string, unknown>>, string> =>
  Option.match(findModule(id), {
    onNone: () => Either.left(`unknown module: ${id} (available: ${modules.map((module) => module.id).join(", ")})`),
    onSome: (module) => Either.mapLeft(module.validateConfig(config), (error) => error.message)
  })
