/**
 * The modules as `GET /modules` shows them: the registry's modules with their flags, sources and
 * whether each source's key is configured (from Credentials, never the key itself).
 */
import { NotFound } from "@mirage/domain/api/Errors"
import { ModuleInfo, ModuleList, ModuleSource } from "@mirage/domain/api/ModulesApi"
import type { ModuleFilter } from "@mirage/domain/api/ModulesApi"
import { selectByFlags } from "@mirage/domain/ModuleFlag"
import type { Module } from "@mirage/modules"
import { Effect, Option } from "effect"
import { Credentials } from "./Credentials.js"
import { findInstalled, installed } from "./ModuleCatalog.js"

/** A module as listed with its key configured or not (made and checked by the schema once per module and status). */
const made = new WeakMap<Module.Module, { configured?: ModuleInfo; unconfigured?: ModuleInfo }>()

const infoOf = (module: Module.Module, configured: boolean): ModuleInfo => {
  let known = made.get(module)
  if (known === undefined) made.set(module, known = {})
  const status = configured ? "configured" : "unconfigured"
  return known[status] ??= ModuleInfo.make({
    id: module.id,
    name: module.title,
    description: module.description,
    version: module.version,
    source: ModuleSource.make({
      id: module.source.id,
      name: module.source.name,
      base_url: module.source.baseUrl ?? null
    }),
    input_types: module.input_types,
    output_types: module.output_types,
    flags: module.flags,
    requires_key: module.source.requiresKey,
    key_configured: configured,
    default_config: module.default_config
  })
}

const info = (module: Module.Module) =>
  Effect.flatMap(
    Credentials,
    (credentials) => Effect.map(credentials.status(module.source.id), (status) => infoOf(module, status.configured))
  )

/** Every module matching the filter, in the registry's order. */
export const list = (filter: ModuleFilter): Effect.Effect<ModuleList, never, Credentials> => {
  const flagged = filter.flags === undefined || filter.flags.length === 0
    ? installed
    : selectByFlags(installed, { include: filter.flags })
  const taking = filter.input_type
  const chosen = taking === undefined ? flagged : flagged.filter((module) => module.input_types.includes(taking))
  return Effect.map(Effect.forEach(chosen, info), (items) => ModuleList.make({ items }))
}

export const get = (id: string): Effect.Effect<ModuleInfo, NotFound, Credentials> =>
  Option.match(findInstalled(id), {
    onNone: () => Effect.fail(new NotFound({ detail: `no module ${id}` })),
    onSome: info
  })
