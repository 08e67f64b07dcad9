/** The audit log in memory: the twin of Audit/Postgres for unit tests and simulations. */
import { AuditEntry } from "@mirage/domain/api/AuditApi"
import { Clock, DateTime, Effect, Layer } from "effect"
import { Audit, encodeCursor } from "../Audit.js"

export const make = Effect.sync(() => {
  const entries: Array<AuditEntry> = []
  return Audit.of({
    record: (entry) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        entries.push(AuditEntry.make({
          ...entry,
          id: String(entries.length + 1),
          detail: { ...entry.detail },
          at: DateTime.unsafeMake(now)
        }))
      }),
    list: (organizationId, query) =>
      Effect.sync(() => {
        const matching = entries
          .filter((e) =>
            e.organization_id === organizationId &&
            (query.user_id === undefined || e.user_id === query.user_id) &&
            (query.action === undefined || e.action === query.action) &&
            (query.resource === undefined || e.resource === query.resource) &&
            (query.from === undefined || DateTime.greaterThanOrEqualTo(e.at, query.from)) &&
            (query.to === undefined || DateTime.lessThan(e.at, query.to)) &&
            (query.cursor === undefined || Number(e.id) < Number(query.cursor.id))
          )
          .reverse()
        const page = matching.slice(0, query.limit)
        const last = page[page.length - 1]
        return {
          items: page,
          next_cursor: matching.length > query.limit && last !== undefined
            ? encodeCursor({ at: DateTime.formatIso(last.at), id: last.id })
            : null
        }
      })
  })
})

export const layer = Layer.effect(Audit, make)
