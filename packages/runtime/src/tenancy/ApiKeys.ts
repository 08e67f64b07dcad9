/**
 * API keys: who a bearer key stands for. A key is `mk_` + 32 random bytes in base64url; only its
 * SHA-256 is stored, with its first characters (the prefix) to list keys without revealing them.
 */
import type { ApiKeyId, Principal, Role } from "@mirage/domain/api/Authentication"
import { deriveUuid } from "@mirage/domain/Ids"
import type { OrganizationId, UserId } from "@mirage/domain/Ids"
import { Context, Data, Effect, Redacted } from "effect"
import type { Option } from "effect"
import { createHash, randomBytes } from "node:crypto"
import type { PersistenceError } from "../platform/Errors.js"

export const keyPrefix = "mk_"
/** How many leading characters of a key are kept in clear (`mk_` and 7 more). */
export const prefixLength = 10
/** Keys shorter than this are refused outright (a bootstrap key is chosen by an operator). */
export const minimumKeyLength = 24

/** A newly created key: the only moment its value is known. */
export interface IssuedKey {
  readonly id: ApiKeyId
  readonly prefix: string
  readonly key: Redacted.Redacted<string>
  readonly principal: Principal
}

export interface NewKey {
  readonly organization_id: OrganizationId
  readonly user_id: UserId
  readonly role: Role
  readonly name: string
}

/** A bootstrap key that is too weak to be an admin's key. */
export class WeakKey extends Data.TaggedError("WeakKey")<{ readonly reason: string }> {
  override get message() {
    return `the API key is too weak: ${this.reason}`
  }
}

/** A key as listed: never the key, only its prefix. */
export interface KeyInfo {
  readonly id: ApiKeyId
  readonly name: string
  readonly prefix: string
  readonly role: Role
  readonly user_id: UserId
  readonly created_at: number
  readonly revoked_at: number | null
}

/**
 * How an admin's revocation of a key ended: done; no such live key in the organization; the caller's own key; the
 * organization's last live admin key; or the caller's key was itself revoked meanwhile.
 */
export type AdminRevocation = "revoked" | "not_found" | "self" | "last_admin" | "caller_revoked"

/**
 * The decision of an admin's revocation, from what the store read (under its lock): the ids of the organization's
 * live admin keys, and the target's role when it is a live key of the organization. Ids compare case-insensitively.
 */
export const adminRevocation = (read: {
  readonly liveAdmins: ReadonlyArray<string>
  readonly callerId: string
  readonly targetId: string
  readonly targetRole: Role | string | undefined
}): AdminRevocation => {
  const admins = new Set(read.liveAdmins.map((id) => id.toLowerCase()))
  const caller = read.callerId.toLowerCase()
  const target = read.targetId.toLowerCase()
  if (!admins.has(caller)) return "caller_revoked"
  if (target === caller) return "self"
  if (read.targetRole === undefined) return "not_found"
  if (read.targetRole === "admin" && [...admins].every((id) => id === target)) return "last_admin"
  return "revoked"
}

export interface ApiKeysService {
  /** The principal of a valid, unrevoked key; none for anything else. */
  readonly authenticate: (key: Redacted.Redacted<string>) => Effect.Effect<Option.Option<Principal>, PersistenceError>
  readonly createOrganization: (name: string) => Effect.Effect<OrganizationId, PersistenceError>
  readonly createUser: (organizationId: OrganizationId, name: string) => Effect.Effect<UserId, PersistenceError>
  /** A fresh random key for the user. */
  readonly create: (input: NewKey) => Effect.Effect<IssuedKey, PersistenceError>
  /** Revokes the key; true when it existed and was not already revoked. */
  readonly revoke: (id: ApiKeyId) => Effect.Effect<boolean, PersistenceError>
  /** Revokes a key of the organization; false when it has no such key (or it is revoked already). */
  readonly revokeIn: (organizationId: OrganizationId, id: ApiKeyId) => Effect.Effect<boolean, PersistenceError>
  /**
   * An admin (`callerId`) revokes a key of the organization, atomically: never the caller's own key, never the last
   * live admin key, and only while the caller's key is live itself, so two admins revoking each other at once leave
   * one admin key, not none.
   */
  readonly revokeByAdmin: (
    organizationId: OrganizationId,
    callerId: ApiKeyId,
    id: ApiKeyId
  ) => Effect.Effect<AdminRevocation, PersistenceError>
  /** The organization's keys, newest first. */
  readonly list: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<KeyInfo>, PersistenceError>
  /** Whether the user exists in the organization. */
  readonly hasUser: (organizationId: OrganizationId, userId: UserId) => Effect.Effect<boolean, PersistenceError>
  /**
   * Ensures the default organization, its admin user and `key` as that admin's key; idempotent, so
   * every gateway replica may run it at startup. A key revoked since is left revoked.
   */
  readonly bootstrap: (key: Redacted.Redacted<string>) => Effect.Effect<Principal, PersistenceError | WeakKey>
  /** Whether the default organization has an admin key that is not revoked. */
  readonly bootstrapped: Effect.Effect<boolean, PersistenceError>
}

export class ApiKeys extends Context.Tag("@mirage/runtime/ApiKeys")<ApiKeys, ApiKeysService>() {}

/** A new random key. Node's CSPRNG, not Effect's Random: keys must be unguessable, not reproducible. */
export const generateKey: Effect.Effect<Redacted.Redacted<string>> = Effect.sync(() =>
  Redacted.make(`${keyPrefix}${randomBytes(32).toString("base64url")}`)
)

/** What is stored for a key: its SHA-256 in hex. */
export const hashKey = (key: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(key)).digest("hex")

export const prefixOf = (key: Redacted.Redacted<string>): string => Redacted.value(key).slice(0, prefixLength)

/** Refuses keys an attacker could guess; says why without repeating the key. */
export const checkStrength = (key: Redacted.Redacted<string>): Effect.Effect<void, WeakKey> => {
  const value = Redacted.value(key)
  if (value.length < minimumKeyLength) {
    return Effect.fail(new WeakKey({ reason: `a key needs at least ${minimumKeyLength} characters` }))
  }
  if (/\s/.test(value)) return Effect.fail(new WeakKey({ reason: "a key cannot contain whitespace" }))
  return Effect.void
}

/** The fixed identities of the bootstrap: the same on every replica and every restart. */
export const bootstrapIds = {
  organization: deriveUuid("bootstrap", "organization") as OrganizationId,
  user: deriveUuid("bootstrap", "admin") as UserId,
  key: (key: Redacted.Redacted<string>) => deriveUuid("bootstrap", "api_key", hashKey(key)) as ApiKeyId
} as const
