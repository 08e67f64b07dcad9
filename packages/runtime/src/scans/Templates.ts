/**
 * Scan templates: the built-in ones (declared in the domain, resolved against the module catalog
 * whenever they are read or used) and each organization's own, kept by a store port
 * (`Templates/Postgres.ts`, `Templates/Memory.ts`).
 */
import type { ModuleId, OrganizationId, TemplateId } from "@mirage/domain/Ids"
import { selectByFlags } from "@mirage/domain/ModuleFlag"
import { ScanModule } from "@mirage/domain/Scan"
import { Template } from "@mirage/domain/Template"
import type { BuiltinTemplate } from "@mirage/domain/Template"
import { builtinTemplates } from "@mirage/domain/Template"
import { Context, DateTime, Option } from "effect"
import type { Effect } from "effect"
import { installed } from "../collection/ModuleCatalog.js"
import type { ModuleCatalogService } from "../collection/ModuleCatalog.js"
import type { PersistenceError } from "../platform/Errors.js"

export interface TemplateStoreService {
  /** The organization's own templates, oldest first. */
  readonly list: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<Template>, PersistenceError>
  readonly get: (
    organizationId: OrganizationId,
    id: TemplateId
  ) => Effect.Effect<Option.Option<Template>, PersistenceError>
  readonly insert: (template: Template) => Effect.Effect<void, PersistenceError>
  /**
   * Replaces a template of its organization if it is still the version last updated at `expected` (its ETag):
   * false when there is none with its id, or it changed meanwhile.
   */
  readonly replace: (template: Template, expected: DateTime.Utc) => Effect.Effect<boolean, PersistenceError>
  /** Removes a template (only the version last updated at `expected`, when given); false when none was removed. */
  readonly remove: (
    organizationId: OrganizationId,
    id: TemplateId,
    expected?: DateTime.Utc
  ) => Effect.Effect<boolean, PersistenceError>
}

export class TemplateStore
  extends Context.Tag("@mirage/runtime/TemplateStore")<TemplateStore, TemplateStoreService>()
{}

/** When the built-in templates were defined: their created_at and updated_at. */
const builtinEpoch = DateTime.unsafeMake(Date.UTC(2025, 0, 1))

/** What the registry lacks of a template's modules, as warnings. */
export const missingModules = (catalog: ModuleCatalogService, modules: ReadonlyArray<ScanModule>): Array<string> =>
  modules.filter((m) => Option.isNone(catalog.get(m.id))).map((m) =>
    `module ${m.id} of the template is not installed: scans from it skip it`
  )

/** The template's modules whose source needs an API key that is not configured, as warnings. */
export const keylessModules = (catalog: ModuleCatalogService, modules: ReadonlyArray<ScanModule>): Array<string> =>
  modules.filter((m) => Option.exists(catalog.get(m.id), (entry) => entry.key_missing === true)).map((m) =>
    `module ${m.id} of the template needs an API key and none is configured: scans from it skip it`
  )

/** The installed modules the template's flag selector picks that it does not already name. */
const selected = (declared: BuiltinTemplate): ReadonlyArray<ModuleId> =>
  declared.select === undefined
    ? []
    : selectByFlags(installed, declared.select).map((module) => module.id).filter((id) =>
      !declared.modules.includes(id)
    )

export const builtinTemplate = (declared: BuiltinTemplate): Template =>
  Template.make({
    id: declared.id,
    name: declared.name,
    description: declared.description,
    organization_id: null,
    builtin: true,
    target_types: declared.target_types,
    modules: [...declared.modules, ...selected(declared)].map((id) => ScanModule.make({ id })),
    configuration: declared.configuration,
    created_at: builtinEpoch,
    updated_at: builtinEpoch
  })

export const builtins: ReadonlyArray<Template> = builtinTemplates.map(builtinTemplate)

export const findBuiltin = (id: string): Option.Option<Template> =>
  Option.fromNullable(builtins.find((t) => t.id === id))
