/**
 * API keys in memory: the twin of ApiKeys/Postgres for unit tests and simulations. Ids come from Effect's Random and
 * times from its Clock, so a seeded run under TestClock repeats them; the keys themselves come from the CSPRNG
 * (`generateKey`), since a key must be unguessable rather than reproducible.
 */
import { ApiKeyId, Principal } from "@mirage/domain/api/Authentication"
import { randomUuid } from "@mirage/domain/Ids"
import type { OrganizationId, UserId } from "@mirage/domain/Ids"
import { Clock, Effect, Layer, Option } from "effect"
import { adminRevocation, ApiKeys, bootstrapIds, checkStrength, generateKey, hashKey, prefixOf } from "../ApiKeys.js"
import type { AdminRevocation } from "../ApiKeys.js"

interface StoredKey {
  readonly principal: Principal
  readonly name: string
  readonly prefix: string
  readonly created_at: number
  revoked: boolean
  revoked_at: number | null
}

export const make = Effect.sync(() => {
  const organizations = new Set<string>()
  const users = new Map<string, string>()
  const keys = new Map<string, StoredKey>()
  const store = (hash: string, principal: Principal, name = "", prefix = "") =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      if (!keys.has(hash)) {
        keys.set(hash, { principal, name, prefix, created_at: now, revoked: false, revoked_at: null })
      }
      return keys.get(hash)!
    })
  const revokeWhere = (match: (stored: StoredKey) => boolean) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      for (const stored of keys.values()) {
        if (match(stored) && !stored.revoked) {
          stored.revoked = true
          stored.revoked_at = now
          return true
        }
      }
      return false
    })
  return ApiKeys.of({
    authenticate: (key) =>
      Effect.sync(() =>
        Option.fromNullable(keys.get(hashKey(key))).pipe(
          Option.filter((stored) => !stored.revoked),
          Option.map((stored) => stored.principal)
        )
      ),
    createOrganization: () =>
      Effect.map(randomUuid, (uuid) => {
        const id = uuid as OrganizationId
        organizations.add(id)
        return id
      }),
    createUser: (organizationId) =>
      Effect.map(randomUuid, (uuid) => {
        const id = uuid as UserId
        users.set(id, organizationId)
        return id
      }),
    create: (input) =>
      Effect.gen(function*() {
        const key = yield* generateKey
        const id = ApiKeyId.make(yield* randomUuid)
        const principal = Principal.make({
          key_id: id,
          user_id: input.user_id,
          organization_id: input.organization_id,
          role: input.role
        })
        yield* store(hashKey(key), principal, input.name, prefixOf(key))
        return { id, prefix: prefixOf(key), key, principal }
      }),
    revoke: (id) => revokeWhere((stored) => stored.principal.key_id === id),
    revokeIn: (organizationId, id) =>
      revokeWhere((stored) => stored.principal.key_id === id && stored.principal.organization_id === organizationId),
    revokeByAdmin: (organizationId, callerId, id) =>
      Effect.map(Clock.currentTimeMillis, (now): AdminRevocation => {
        const inOrganization = Array.from(keys.values()).filter((stored) =>
          stored.principal.organization_id === organizationId && !stored.revoked
        )
        const found = inOrganization.find((stored) => stored.principal.key_id.toLowerCase() === id.toLowerCase())
        const decision = adminRevocation({
          liveAdmins: inOrganization.filter((stored) => stored.principal.role === "admin").map((stored) =>
            stored.principal.key_id
          ),
          callerId,
          targetId: id,
          targetRole: found?.principal.role
        })
        if (decision === "revoked" && found !== undefined) {
          found.revoked = true
          found.revoked_at = now
        }
        return decision
      }),
    list: (organizationId) =>
      Effect.sync(() =>
        Array.from(keys.values())
          .filter((stored) => stored.principal.organization_id === organizationId)
          .map((stored) => ({
            id: stored.principal.key_id,
            name: stored.name,
            prefix: stored.prefix,
            role: stored.principal.role,
            user_id: stored.principal.user_id,
            created_at: stored.created_at,
            revoked_at: stored.revoked_at
          }))
          .reverse()
      ),
    hasUser: (organizationId, userId) => Effect.sync(() => users.get(userId) === organizationId),
    bootstrap: (key) =>
      Effect.zipRight(
        checkStrength(key),
        Effect.suspend(() => {
          organizations.add(bootstrapIds.organization)
          users.set(bootstrapIds.user, bootstrapIds.organization)
          return store(
            hashKey(key),
            Principal.make({
              key_id: bootstrapIds.key(key),
              user_id: bootstrapIds.user,
              organization_id: bootstrapIds.organization,
              role: "admin"
            })
          ).pipe(Effect.map((stored) => stored.principal))
        })
      ),
    bootstrapped: Effect.sync(() =>
      Array.from(keys.values()).some((stored) =>
        !stored.revoked && stored.principal.role === "admin" &&
        stored.principal.organization_id === bootstrapIds.organization
      )
    )
  })
})

export const layer = Layer.effect(ApiKeys, make)
