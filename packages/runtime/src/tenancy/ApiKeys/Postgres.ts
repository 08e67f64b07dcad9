/** API keys, users and organizations in Postgres (`api_keys`, `users`, `organizations`). */
import { ApiKeyId, Principal, Role } from "@mirage/domain/api/Authentication"
import { randomUuid, UserId } from "@mirage/domain/Ids"
import type { OrganizationId } from "@mirage/domain/Ids"
import { Effect, Layer, Option, Schema } from "effect"
import type { Redacted } from "effect"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import type { Sql } from "../../platform/PgClient.js"
import { rowsDecoder } from "../../platform/Rows.js"
import { adminRevocation, ApiKeys, bootstrapIds, checkStrength, generateKey, hashKey, prefixOf } from "../ApiKeys.js"
import type { AdminRevocation } from "../ApiKeys.js"

const decodeRows = rowsDecoder(Principal)

const KeyRow = Schema.Struct({
  id: ApiKeyId,
  name: Schema.String,
  prefix: Schema.String,
  role: Role,
  user_id: UserId,
  created_at: Schema.DateFromSelf,
  revoked_at: Schema.NullOr(Schema.DateFromSelf)
})

const principalByHash = (sql: Sql, operation: string, hash: string, onlyLive: boolean) =>
  attempt(operation, () =>
    sql`
      select id as key_id, user_id, organization_id, role from api_keys
      where key_hash = ${hash} ${onlyLive ? sql`and revoked_at is null` : sql``}
    `).pipe(Effect.flatMap(decodeRows(operation)), Effect.map((rows) => Option.fromNullable(rows[0])))

/** The organization's keys, newest first, with their times in epoch ms. */
const listKeys = (sql: Sql, organizationId: OrganizationId) =>
  attempt("list api keys", () =>
    sql`
      select id, name, prefix, role, user_id, created_at, revoked_at from api_keys
      where organization_id = ${organizationId} order by created_at desc, id desc
    `).pipe(
      Effect.flatMap((rows) =>
        Effect.mapError(
          Schema.decodeUnknown(Schema.Array(KeyRow))(rows),
          (cause) => new PersistenceError({ operation: "list api keys", cause })
        )
      ),
      Effect.map((rows) =>
        rows.map((row) => ({
          ...row,
          created_at: row.created_at.getTime(),
          revoked_at: row.revoked_at === null ? null : row.revoked_at.getTime()
        }))
      )
    )

/**
 * One transaction: the organization's live admin keys locked first (in id order, so concurrent revocations queue
 * instead of deadlocking), then the caller's key must be among them, the target live, and some other admin key left.
 */
const revokeByAdmin = (sql: Sql, organizationId: OrganizationId, callerId: ApiKeyId, id: ApiKeyId) =>
  attempt("revoke api key", () =>
    sql.begin(async (tx): Promise<AdminRevocation> => {
      const admins = await tx<Array<{ id: string }>>`
        select id from api_keys
        where organization_id = ${organizationId} and role = 'admin' and revoked_at is null
        order by id for update
      `
      const found = await tx<Array<{ role: string }>>`
        select role from api_keys
        where id = ${id.toLowerCase()} and organization_id = ${organizationId} and revoked_at is null
        for update
      `
      const decision = adminRevocation({
        liveAdmins: admins.map((row) => row.id),
        callerId,
        targetId: id,
        targetRole: found[0]?.role
      })
      if (decision === "revoked") await tx`update api_keys set revoked_at = now() where id = ${id.toLowerCase()}`
      return decision
    }))

/** The default organization, its admin and `key` as that admin's key, each inserted unless it exists already. */
const bootstrap = (sql: Sql, key: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    yield* checkStrength(key)
    const hash = hashKey(key)
    yield* attempt("bootstrap", () =>
      sql.begin(async (tx) => {
        await tx`
          insert into organizations (id, name) values (${bootstrapIds.organization}, 'default')
          on conflict (id) do nothing
        `
        await tx`
          insert into users (id, organization_id, name)
          values (${bootstrapIds.user}, ${bootstrapIds.organization}, 'admin')
          on conflict (id) do nothing
        `
        await tx`
          insert into api_keys (id, prefix, key_hash, user_id, organization_id, role, name)
          values (${bootstrapIds.key(key)}, ${prefixOf(key)}, ${hash}, ${bootstrapIds.user},
                  ${bootstrapIds.organization}, 'admin', 'bootstrap')
          on conflict do nothing
        `
      }))
    const principal = yield* principalByHash(sql, "bootstrap", hash, false)
    if (Option.isNone(principal)) {
      return yield* new PersistenceError({ operation: "bootstrap", cause: "the bootstrap key was not stored" })
    }
    const live = yield* principalByHash(sql, "bootstrap", hash, true)
    if (Option.isNone(live)) yield* Effect.logWarning("the bootstrap API key is revoked; it stays revoked")
    return principal.value
  })

export const make = Effect.gen(function*() {
  const sql = yield* PgClient
  return ApiKeys.of({
    authenticate: (key) => principalByHash(sql, "authenticate api key", hashKey(key), true),
    createOrganization: (name) =>
      Effect.flatMap(randomUuid, (uuid) => {
        const id = uuid as OrganizationId
        return attempt("create organization", () => sql`insert into organizations (id, name) values (${id}, ${name})`)
          .pipe(Effect.as(id))
      }),
    createUser: (organizationId, name) =>
      Effect.flatMap(randomUuid, (uuid) => {
        const id = uuid as UserId
        return attempt(
          "create user",
          () => sql`insert into users (id, organization_id, name) values (${id}, ${organizationId}, ${name})`
        ).pipe(Effect.as(id))
      }),
    create: (input) =>
      Effect.gen(function*() {
        // The key from the CSPRNG (it must be unguessable), its id from Effect's Random (the gateway's is the CSPRNG too).
        const key = yield* generateKey
        const id = ApiKeyId.make(yield* randomUuid)
        yield* attempt("create api key", () =>
          sql`
            insert into api_keys (id, prefix, key_hash, user_id, organization_id, role, name)
            values (${id}, ${prefixOf(key)}, ${hashKey(key)}, ${input.user_id}, ${input.organization_id},
                    ${input.role}, ${input.name})
          `)
        return {
          id,
          prefix: prefixOf(key),
          key,
          principal: Principal.make({
            key_id: id,
            user_id: input.user_id,
            organization_id: input.organization_id,
            role: input.role
          })
        }
      }),
    revokeIn: (organizationId, id) =>
      attempt(
        "revoke api key",
        () =>
          sql`update api_keys set revoked_at = now()
              where id = ${id} and organization_id = ${organizationId} and revoked_at is null`
      ).pipe(Effect.map((result) => result.count > 0)),
    revokeByAdmin: (organizationId, callerId, id) => revokeByAdmin(sql, organizationId, callerId, id),
    list: (organizationId) => listKeys(sql, organizationId),
    hasUser: (organizationId, userId) =>
      attempt(
        "find user",
        () => sql`select 1 from users where id = ${userId} and organization_id = ${organizationId}`
      ).pipe(Effect.map((rows) => rows.length > 0)),
    revoke: (id) =>
      attempt(
        "revoke api key",
        () => sql`update api_keys set revoked_at = now() where id = ${id} and revoked_at is null`
      ).pipe(Effect.map((result) => result.count > 0)),
    bootstrap: (key) => bootstrap(sql, key),
    bootstrapped: attempt("bootstrapped", () =>
      sql`
        select 1 from api_keys
        where organization_id = ${bootstrapIds.organization} and role = 'admin' and revoked_at is null
        limit 1
      `).pipe(Effect.map((rows) => rows.length > 0))
  })
})

export const layer = Layer.effect(ApiKeys, make)
