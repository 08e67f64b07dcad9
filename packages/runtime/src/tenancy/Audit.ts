/**
 * The audit log: every command sent through the API (who, when, what, from which address, how it
 * ended), kept per organization and readable by its admins, newest first with a keyset cursor.
 */
import { AuditEntry } from "@mirage/domain/api/AuditApi"
import type { AuditOutcome } from "@mirage/domain/api/AuditApi"
import type { ApiKeyId } from "@mirage/domain/api/Authentication"
import type { OrganizationId, UserId } from "@mirage/domain/Ids"
import { Context, Either, Option, Schema } from "effect"
import type { DateTime, Effect } from "effect"
import type { PersistenceError } from "../platform/Errors.js"

export interface AuditRecord {
  readonly organization_id: OrganizationId
  readonly user_id: UserId | null
  readonly key_id: ApiKeyId | null
  readonly action: string
  readonly resource: string
  readonly address: string | null
  readonly outcome: AuditOutcome
  readonly status: number | null
  readonly detail: Readonly<Record<string, unknown>>
}

export interface AuditQuery {
  readonly limit: number
  readonly cursor?: AuditCursor | undefined
  readonly user_id?: UserId | undefined
  readonly action?: string | undefined
  readonly resource?: string | undefined
  readonly from?: DateTime.Utc | undefined
  readonly to?: DateTime.Utc | undefined
}

export interface AuditService {
  readonly record: (entry: AuditRecord) => Effect.Effect<void, PersistenceError>
  readonly list: (
    organizationId: OrganizationId,
    query: AuditQuery
  ) => Effect.Effect<
    { readonly items: ReadonlyArray<AuditEntry>; readonly next_cursor: string | null },
    PersistenceError
  >
}

export class Audit extends Context.Tag("@mirage/runtime/Audit")<Audit, AuditService>() {}

/** Where a page ended: the time (as stored, full precision) and id of its last entry. */
export const AuditCursor = Schema.Struct({ at: Schema.String, id: Schema.String })
export type AuditCursor = typeof AuditCursor.Type

const CursorJson = Schema.parseJson(AuditCursor)

export const encodeCursor = (cursor: AuditCursor): string =>
  Buffer.from(Schema.encodeSync(CursorJson)(cursor), "utf8").toString("base64url")

export const decodeCursor = (text: string): Either.Either<AuditCursor, string> => {
  const cursor = Schema.decodeUnknownOption(CursorJson)(Buffer.from(text, "base64url").toString("utf8"))
  return Option.isSome(cursor) && !Number.isNaN(Date.parse(cursor.value.at)) && /^\d+$/.test(cursor.value.id)
    ? Either.right(cursor.value)
    : Either.left("not a cursor of this listing")
}

export { AuditEntry }
