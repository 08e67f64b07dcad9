/** The audit log in Postgres (`audit_log`). */
import { AuditEntry } from "@mirage/domain/api/AuditApi"
import { storable } from "@mirage/domain/Text"
import { DateTime, Effect, Layer, Schema } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import { Audit, encodeCursor } from "../Audit.js"

const Row = Schema.Struct({
  ...AuditEntry.fields,
  at: Schema.DateTimeUtcFromDate,
  position: Schema.String
})

export const make = Effect.gen(function*() {
  const sql = yield* PgClient

  return Audit.of({
    // Whatever a client sent, the attempt is kept: text Postgres cannot store is replaced, not refused.
    record: (entry) =>
      attempt("record audit entry", () =>
        sql`
          insert into audit_log (organization_id, user_id, key_id, action, resource, address, outcome, status, detail)
          values (${entry.organization_id}, ${entry.user_id}, ${entry.key_id}, ${String(storable(entry.action))},
                  ${String(storable(entry.resource))}, ${entry.address}, ${entry.outcome}, ${entry.status}, ${
          sql.json(JSON.parse(JSON.stringify(storable(entry.detail))))
        })
        `).pipe(Effect.asVoid),
    list: (organizationId, query) =>
      attempt("list audit entries", () => {
        const byUser = query.user_id === undefined ? sql`` : sql`and user_id = ${query.user_id}`
        const byAction = query.action === undefined ? sql`` : sql`and action = ${query.action}`
        const byResource = query.resource === undefined ? sql`` : sql`and resource = ${query.resource}`
        const from = query.from === undefined ? sql`` : sql`and at >= ${DateTime.formatIso(query.from)}::timestamptz`
        const to = query.to === undefined ? sql`` : sql`and at < ${DateTime.formatIso(query.to)}::timestamptz`
        const after = query.cursor === undefined
          ? sql``
          : sql`and (at, id) < (${query.cursor.at}::timestamptz, ${query.cursor.id}::bigint)`
        return sql`
          select id::text as id, organization_id, user_id, key_id, action, resource, address, outcome, status,
                 detail, at, to_json(at) #>> '{}' as position
          from audit_log
          where organization_id = ${organizationId} ${byUser} ${byAction} ${byResource} ${from} ${to} ${after}
          order by at desc, id desc
          limit ${query.limit + 1}
        `
      }).pipe(
        Effect.flatMap((rows) =>
          Effect.mapError(
            Schema.decodeUnknown(Schema.Array(Row))(rows),
            (cause) => new PersistenceError({ operation: "decode audit entries", cause })
          )
        ),
        Effect.map((rows) => {
          const page = rows.slice(0, query.limit)
          const last = page[page.length - 1]
          return {
            items: page.map(({ position: _, ...entry }) => AuditEntry.make(entry)),
            next_cursor: rows.length > query.limit && last !== undefined
              ? encodeCursor({ at: last.position, id: last.id })
              : null
          }
        })
      )
  })
})

export const layer = Layer.effect(Audit, make)
