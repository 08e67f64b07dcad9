/**
 * The template use cases behind the HTTP API: the built-in templates and the organization's own,
 * each with what today's module registry lacks of it; user templates are validated like scans
 * (known modules, configurations their modules accept), their modules named or chosen by flag
 * (`select`, resolved into the modules then). Built-in templates are read-only.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest, Forbidden, NotFound, PreconditionFailed } from "@mirage/domain/api/Errors"
import { TemplateList, TemplateView } from "@mirage/domain/api/TemplatesApi"
import { randomUuid } from "@mirage/domain/Ids"
import type { TemplateId } from "@mirage/domain/Ids"
import type { ModuleSelection } from "@mirage/domain/ModuleFlag"
import { overrideConfiguration } from "@mirage/domain/Scan"
import type { ScanModule } from "@mirage/domain/Scan"
import { Template } from "@mirage/domain/Template"
import type { CreateTemplateRequest, UpdateTemplateRequest } from "@mirage/domain/Template"
import { Clock, Context, DateTime, Effect, Either, Layer, Option } from "effect"
import { ModuleCatalog } from "../collection/ModuleCatalog.js"
import type { PersistenceError } from "../platform/Errors.js"
import { checkModules, withSelected } from "./ScanService/Validation.js"
import type { Problems } from "./ScanService/Validation.js"
import { builtins, findBuiltin, keylessModules, missingModules, TemplateStore } from "./Templates.js"
import * as TemplatesPostgres from "./Templates/Postgres.js"

/** A template's version (its ETag): when it was last written, in epoch ms. */
export const versionOf = (template: Template): number => DateTime.toEpochMillis(template.updated_at)

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
    request: UpdateTemplateRequest,
    /** If-Match: the version (`version` of a read) the client last saw; another one refuses the update. */
    expected?: number
  ) => Effect.Effect<TemplateView, NotFound | Forbidden | BadRequest | PreconditionFailed | PersistenceError>
  readonly remove: (
    principal: Principal,
    id: TemplateId,
    expected?: number
  ) => Effect.Effect<void, NotFound | Forbidden | PreconditionFailed | PersistenceError>
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
    TemplateView.make({
      ...template,
      warnings: [...missingModules(catalog, template.modules), ...keylessModules(catalog, template.modules)]
    })

  /**
   * The modules named and those `select` picks by flag, at least one, each known to the registry with a configuration
   * its module accepts (defaults filled in): as for scans.
   */
  const validateModules = (
    modules: ReadonlyArray<ScanModule>,
    selection: ModuleSelection | undefined
  ): Either.Either<Array<ScanModule>, BadRequest> => {
    const problems: Problems = []
    const chosen = withSelected(catalog, modules, selection, problems) ?? []
    if (chosen.length === 0 && problems.length === 0) {
      problems.push({ field: "modules", message: "name at least one module, or choose some by flag with select" })
    }
    const checked = checkModules(catalog, chosen, problems)
    return problems.length === 0
      ? Either.right(checked.map((c) => c.module))
      : Either.left(BadRequest.ofFields(problems))
  }

  const matches = (current: Template, expected: number | undefined) =>
    expected === undefined || expected === versionOf(current)
      ? Effect.void
      : Effect.fail(new PreconditionFailed({ detail: `template ${current.id} changed since version ${expected}` }))

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
        const modules = yield* validateModules(request.modules, request.select)
        const now = DateTime.unsafeMake(yield* Clock.currentTimeMillis)
        const template = Template.make({
          id: (yield* randomUuid) as TemplateId,
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
    update: (principal, id, request, expected) =>
      Effect.gen(function*() {
        const modules = request.modules === undefined && request.select === undefined
          ? undefined
          : yield* validateModules(request.modules ?? [], request.select)
        // A patch of the current version, written only if that version is still current: a concurrent update makes
        // the write miss, and the patch is applied again to what it wrote (or refused, under If-Match).
        for (;;) {
          const current = yield* own(principal, id)
          yield* matches(current, expected)
          const now = yield* Clock.currentTimeMillis
          const template = Template.make({
            ...current,
            name: request.name ?? current.name,
            description: request.description ?? current.description,
            target_types: request.target_types ?? current.target_types,
            modules: modules ?? current.modules,
            configuration: overrideConfiguration(current.configuration, request.configuration),
            // Every write is a new version, however close in time to the last.
            updated_at: DateTime.unsafeMake(Math.max(now, versionOf(current) + 1))
          })
          if (yield* store.replace(template, current.updated_at)) return view(template)
        }
      }),
    remove: (principal, id, expected) =>
      Effect.gen(function*() {
        const current = yield* own(principal, id)
        yield* matches(current, expected)
        if (
          yield* store.remove(principal.organization_id, id, expected === undefined ? undefined : current.updated_at)
        ) {
          return
        }
        // Gone meanwhile, or (under If-Match) changed meanwhile.
        yield* matches(yield* own(principal, id), expected)
        return yield* notFound(id)
      })
  })
})

/** Over the Postgres store (PgClient needed) and the ModuleCatalog. */
export const layer = Layer.effect(TemplateService, make).pipe(Layer.provide(TemplatesPostgres.layer))
export const layerPorts = Layer.effect(TemplateService, make)
