/** The organizations' templates in Postgres (`templates`; the document holds types, modules, configuration). */
import { EntityType } from "@mirage/domain/Entity"
import { OrganizationId, TemplateId } from "@mirage/domain/Ids"
import { ScanConfiguration, ScanModule } from "@mirage/domain/Scan"
import { Template } from "@mirage/domain/Template"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { TemplateStore } from "../Templates.js"

const Document = Schema.Struct({
  target_types: Schema.Array(EntityType),
  modules: Schema.Array(ScanModule),
  configuration: ScanConfiguration
})

const Row = Schema.Struct({
  id: TemplateId,
  organization_id: OrganizationId,
  name: Schema.String,
  description: Schema.String,
  document: Document,
  created_at: Schema.DateTimeUtcFromDate,
  updated_at: Schema.DateTimeUtcFromDate
})

const toTemplate = (row: typeof Row.Type): Template =>
  Template.make({
    id: row.id,
    name: row.name,
    description: row.description,
    organization_id: row.organization_id,
    builtin: false,
    ...row.document,
    created_at: row.created_at,
    updated_at: row.updated_at
  })

const encodeDocument = Schema.encode(Document)

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  const decode = (operation: string) => (rows: unknown) =>
    Effect.mapError(
      Schema.decodeUnknown(Schema.Array(Row))(rows),
      (cause) => new PersistenceError({ operation, cause })
    )
  const documentOf = (template: Template) =>
    Effect.mapError(
      encodeDocument(template),
      (cause) => new PersistenceError({ operation: "encode template", cause })
    )

  return TemplateStore.of({
    list: (organizationId) =>
      attempt(
        "list templates",
        () =>
          sql`select id, organization_id, name, description, document, created_at, updated_at from templates
            where organization_id = ${organizationId} order by created_at, id`
      ).pipe(
        Effect.flatMap(decode("list templates")),
        Effect.map((rows) => rows.map(toTemplate))
      ),
    get: (organizationId, id) =>
      attempt(
        "read template",
        () =>
          sql`select id, organization_id, name, description, document, created_at, updated_at from templates
            where id = ${id} and organization_id = ${organizationId}`
      ).pipe(
        Effect.flatMap(decode("read template")),
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toTemplate))
      ),
    insert: (template) =>
      Effect.flatMap(
        documentOf(template),
        (document) =>
          attempt("create template", () =>
            sql`insert into templates (id, organization_id, name, description, document, created_at, updated_at)
              values (${template.id}, ${template.organization_id}, ${template.name}, ${template.description},
                      ${sql.json(JSON.parse(JSON.stringify(document)))},
                      ${DateTime.formatIso(template.created_at)}::timestamptz,
                      ${DateTime.formatIso(template.updated_at)}::timestamptz)`)
      ).pipe(Effect.asVoid),
    replace: (template, expected) =>
      Effect.flatMap(
        documentOf(template),
        (document) =>
          attempt("update template", () =>
            sql`update templates set name = ${template.name}, description = ${template.description},
                document = ${sql.json(JSON.parse(JSON.stringify(document)))},
                updated_at = ${DateTime.formatIso(template.updated_at)}::timestamptz
              where id = ${template.id} and organization_id = ${template.organization_id}
                and updated_at = ${DateTime.formatIso(expected)}::timestamptz`)
      ).pipe(
        Effect.map((result) =>
          result.count > 0
        )
      ),
    remove: (organizationId, id, expected) =>
      attempt(
        "delete template",
        () =>
          expected === undefined
            ? sql`delete from templates where id = ${id} and organization_id = ${organizationId}`
            : sql`delete from templates where id = ${id} and organization_id = ${organizationId}
                and updated_at = ${DateTime.formatIso(expected)}::timestamptz`
      ).pipe(Effect.map((result) => result.count > 0))
  })
})

export const layer = Layer.effect(TemplateStore, make)
