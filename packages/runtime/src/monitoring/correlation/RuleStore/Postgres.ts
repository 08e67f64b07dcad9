/** Organizations' correlation rules in Postgres (`correlation_rules`). */
import { RiskLevel } from "@mirage/domain/correlation/Rule"
import { OrganizationId } from "@mirage/domain/Ids"
import { Effect, Layer, Schema } from "effect"
import { attempt, PersistenceError } from "../../../platform/Errors.js"
import { PgClient } from "../../../platform/PgClient.js"
import { iso, rowsDecoder } from "../../../platform/Rows.js"
import { RuleStore } from "../RuleStore.js"
import type { StoredRule } from "../RuleStore.js"

const Time = Schema.transform(Schema.String, Schema.Number, {
  strict: true,
  decode: (text) => Date.parse(text),
  encode: (ms) => new Date(ms).toISOString()
})

const Row = Schema.Struct({
  organization_id: OrganizationId,
  id: Schema.String,
  name: Schema.String,
  risk: RiskLevel,
  yaml: Schema.String,
  created_at: Time,
  updated_at: Time
})

const decodeRows = rowsDecoder(Row)

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  return RuleStore.of({
    list: (organizationId) =>
      attempt("read correlation rules", () =>
        sql`
          select organization_id::text as organization_id, id, name, risk, yaml,
            to_json(created_at) #>> '{}' as created_at, to_json(updated_at) #>> '{}' as updated_at
          from correlation_rules where organization_id = ${organizationId} order by id`).pipe(
          Effect.flatMap(decodeRows("read correlation rules"))
        ),
    put: (rule) =>
      attempt("store correlation rule", () =>
        sql`
          insert into correlation_rules (organization_id, id, name, risk, yaml, created_at, updated_at)
          values (${rule.organization_id}, ${rule.id}, ${rule.name}, ${rule.risk}, ${rule.yaml},
            ${iso(rule.created_at)}::timestamptz, ${iso(rule.updated_at)}::timestamptz)
          on conflict (organization_id, id) do update
            set name = excluded.name, risk = excluded.risk, yaml = excluded.yaml, updated_at = excluded.updated_at
          returning organization_id::text as organization_id, id, name, risk, yaml,
            to_json(created_at) #>> '{}' as created_at, to_json(updated_at) #>> '{}' as updated_at`).pipe(
          Effect.flatMap(decodeRows("store correlation rule")),
          Effect.flatMap((rows) =>
            rows[0] === undefined
              ? new PersistenceError({ operation: "store correlation rule", cause: "no row returned" })
              : Effect.succeed<StoredRule>(rows[0])
          )
        ),
    remove: (organizationId, id) =>
      attempt(
        "delete correlation rule",
        () => sql`delete from correlation_rules where organization_id = ${organizationId} and id = ${id} returning id`
      ).pipe(Effect.map((rows) => rows.length > 0))
  })
})

export const layer = Layer.effect(RuleStore, make)
