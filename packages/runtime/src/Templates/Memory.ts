/** The organizations' templates in memory: the twin of Templates/Postgres. */
import type { Template } from "@mirage/domain/Template"
import { Effect, Layer, Option } from "effect"
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
    replace: (template) =>
      Effect.sync(() => {
        const existing = templates.get(template.id)
        if (existing === undefined || existing.organization_id !== template.organization_id) return false
        templates.set(template.id, template)
        return true
      }),
    remove: (organizationId, id) =>
      Effect.sync(() => templates.get(id)?.organization_id === organizationId && templates.delete(id))
  })
})

export const layer = Layer.effect(TemplateStore, make)
