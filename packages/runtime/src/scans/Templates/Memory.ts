/** The organizations' templates in memory: the twin of Templates/Postgres. */
import type { Template } from "@mirage/domain/Template"
import { DateTime, Effect, Layer, Option } from "effect"
import { TemplateStore } from "../Templates.js"

export const make = Effect.sync(() => {
  const templates = new Map<string, Template>()
  return TemplateStore.of({
    list: (organizationId) =>
      Effect.sync(() => Array.from(templates.values()).filter((t) => t.organization_id === organizationId)),
    get: (organizationId, id) =>
      Effect.sync(() =>
        Option.fromNullable(templates.get(id)).pipe(Option.filter((t) => t.organization_id === organizationId))
      ),
    insert: (template) => Effect.sync(() => void templates.set(template.id, template)),
    replace: (template, expected) =>
      Effect.sync(() => {
        const existing = templates.get(template.id)
        if (existing === undefined || existing.organization_id !== template.organization_id) return false
        if (!DateTime.Equivalence(existing.updated_at, expected)) return false
        templates.set(template.id, template)
        return true
      }),
    remove: (organizationId, id, expected) =>
      Effect.sync(() => {
        const existing = templates.get(id)
        if (existing === undefined || existing.organization_id !== organizationId) return false
        if (expected !== undefined && !DateTime.Equivalence(existing.updated_at, expected)) return false
        return templates.delete(id)
      })
  })
})

export const layer = Layer.effect(TemplateStore, make)
