/**
 * The template use cases behind the HTTP API: the built-in templates and the organization's own,
 * each with what today's module registry lacks of it; user templates are validated like scans
 * (known modules, configurations their modules accept). Built-in templates are read-only.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest, Forbidden, NotFound } from "@mirage/domain/api/Errors"
import type { InvalidField } from "@mirage/domain/api/Errors"
import { TemplateList, TemplateView } from "@mirage/domain/api/TemplatesApi"
import type { TemplateId } from "@mirage/domain/Ids"
import { ScanConfiguration, ScanModule } from "@mirage/domain/Scan"
import { Template } from "@mirage/domain/Template"
import type { CreateTemplateRequest, UpdateTemplateRequest } from "@mirage/domain/Template"
import { Clock, Context, DateTime, Effect, Either, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import type { PersistenceError } from "./Errors.js"
import { ModuleCatalog } from "./ModuleCatalog.js"
import { builtins, findBuiltin, missingModules, TemplateStore } from "./Templates.js"
import * as TemplatesPostgres from "./Templates/Postgres.js"

export interface TemplateServiceShape {
  readonly list: (principal: Principal) => Effect.Effect<TemplateList, PersistenceError>
  readonly get: (principal: Principal, id: TemplateId) => Effect.Effect<TemplateView, NotFound | PersistenceError>
  readonly create: (
    principal: Principal,
    request: CreateTemplateRequest
  ) => Effect.Effect<TemplateView, BadRequest | PersistenceError>
  readonly update: (
    principal: Principal,
    id: TemplateId,
    request: UpdateTemplateRequest
  ) => Effect.Effect<TemplateView, NotFound | Forbidden | BadRequest | PersistenceError>
  readonly remove: (
    principal: Principal,
    id: TemplateId
  ) => Effect.Effect<void, NotFound | Forbidden | PersistenceError>
}

export class TemplateService extends Context.Tag("@mirage/runtime/TemplateService")<
  TemplateService,
  TemplateServiceShape
>() {}

const notFound = (id: string) => new NotFound({ detail: `no template ${id}` })
const readOnly = (id: string) => new Forbidden({ detail: `template ${id} is built in: it cannot be changed` })

export const make = Effect.gen(function*() {
  const catalog = yield* ModuleCatalog
  const store = yield* TemplateStore

  const view = (template: Template) =>
    TemplateView.make({ ...template, warnings: missingModules(catalog, template.modules) })

  /** Modules known to the registry, each configuration accepted by its module (defaults filled in). */
  const validateModules = (modules: ReadonlyArray<ScanModule>): Either.Either<Array<ScanModule>, BadRequest> => {
    const problems: Array<InvalidField> = []
    const seen = new Set<string>()
    const resolved: Array<ScanModule> = []
    modules.forEach((module, i) => {
      const entry = catalog.get(module.id)
      if (Option.isNone(entry)) {
        return problems.push({ field: `modules[${i}].id`, message: `unknown module ${module.id}` })
      }
      if (seen.has(module.id)) {
        return problems.push({ field: `modules[${i}].id`, message: `module ${module.id} is listed more than once` })
      }
      seen.add(module.id)
      Either.match(catalog.validateConfig(module.id, { ...entry.value.default_config, ...module.config }), {
        onLeft: (message) => problems.push({ field: `modules[${i}].config`, message }),
        onRight: (config) => resolved.push(ScanModule.make({ id: module.id, enabled: module.enabled, config }))
      })
    })
    return problems.length === 0
      ? Either.right(resolved)
      : Either.left(
        new BadRequest({ detail: problems.map((p) => `${p.field}: ${p.message}`).join("; "), errors: problems })
      )
  }

  const own = (principal: Principal, id: TemplateId) =>
    Effect.gen(function*() {
      if (Option.isSome(findBuiltin(id))) return yield* readOnly(id)
      const found = yield* store.get(principal.organization_id, id)
      if (Option.isNone(found)) return yield* notFound(id)
      return found.value
    })

  return TemplateService.of({
    list: (principal) =>
      Effect.map(
        store.list(principal.organization_id),
        (mine) => TemplateList.make({ items: [...builtins, ...mine].map(view) })
      ),
    get: (principal, id) =>
      Option.match(findBuiltin(id), {
        onSome: (template) => Effect.succeed(view(template)),
        onNone: () =>
          Effect.flatMap(
            store.get(principal.organization_id, id),
            Option.match({ onNone: () => Effect.fail(notFound(id)), onSome: (t) => Effect.succeed(view(t)) })
          )
      }),
    create: (principal, request) =>
      Effect.gen(function*() {
        const modules = yield* validateModules(request.modules)
        const now = DateTime.unsafeMake(yield* Clock.currentTimeMillis)
        const template = Template.make({
          id: randomUUID() as TemplateId,
          name: request.name,
          description: request.description,
          organization_id: principal.organization_id,
          builtin: false,
          target_types: request.target_types,
          modules,
          configuration: request.configuration,
          created_at: now,
          updated_at: now
        })
        yield* store.insert(template)
        return view(template)
      }),
    update: (principal, id, request) =>
      Effect.gen(function*() {
        const current = yield* own(principal, id)
        const modules = request.modules === undefined ? current.modules : yield* validateModules(request.modules)
        const requested = request.configuration ?? {}
        const scope = requested.scope ?? current.configuration.scope
        const template = Template.make({
          ...current,
          name: request.name ?? current.name,
          description: request.description ?? current.description,
          target_types: request.target_types ?? current.target_types,
          modules,
          configuration: ScanConfiguration.make({
            max_duration: requested.max_duration ?? current.configuration.max_duration,
            max_results: requested.max_results ?? current.configuration.max_results,
            priority: requested.priority ?? current.configuration.priority,
            recursion_depth: requested.recursion_depth ?? current.configuration.recursion_depth,
            task_timeout: requested.task_timeout ?? current.configuration.task_timeout,
            ...(scope === undefined ? {} : { scope })
          }),
          updated_at: DateTime.unsafeMake(yield* Clock.currentTimeMillis)
        })
        if (!(yield* store.replace(template))) return yield* notFound(id)
        return view(template)
      }),
    remove: (principal, id) =>
      Effect.gen(function*() {
        yield* own(principal, id)
        if (!(yield* store.remove(principal.organization_id, id))) return yield* notFound(id)
      })
  })
})

/** Over the Postgres store (PgClient needed) and the ModuleCatalog. */
export const layer = Layer.effect(TemplateService, make).pipe(Layer.provide(TemplatesPostgres.layer))
export const layerPorts = Layer.effect(TemplateService, make)
