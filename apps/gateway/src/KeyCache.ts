/**
 * API keys with their principals kept for a moment: a read request otherwise costs a key lookup in PostgreSQL before
 * any work of its own. A revocation through this gateway takes effect at once (the cache is emptied); one through
 * another replica, within `ttl`. Only valid keys are kept, under their hash, never the key itself.
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { ApiKeys, hashKey } from "@mirage/runtime/tenancy/ApiKeys"
import { Clock, Duration, Effect, Layer, Option } from "effect"
import type { Redacted } from "effect"

/** How long a principal is trusted without asking the store again: a key revoked elsewhere works this long. */
export const ttl = Duration.seconds(2)

/** Entries at most; past that the cache starts over (a flood of distinct keys costs lookups, not memory). */
const capacity = 10_000

/** ApiKeys over the ApiKeys in context, `authenticate` cached. */
export const layer = Layer.effect(
  ApiKeys,
  Effect.gen(function*() {
    const keys = yield* ApiKeys
    const ttlMs = Duration.toMillis(ttl)
    const cache = new Map<string, { readonly principal: Principal; readonly until: number }>()
    // Bumped by every revocation, before and after it: a lookup that overlapped one does not keep what it found.
    let generation = 0
    const clear = Effect.sync(() => {
      generation++
      cache.clear()
    })
    const forget = <A, E>(revoke: Effect.Effect<A, E>) => clear.pipe(Effect.zipRight(revoke), Effect.ensuring(clear))
    return ApiKeys.of({
      ...keys,
      authenticate: Effect.fnUntraced(function*(key: Redacted.Redacted) {
        const hash = hashKey(key)
        const now = yield* Clock.currentTimeMillis
        const kept = cache.get(hash)
        if (kept !== undefined && kept.until > now) return Option.some(kept.principal)
        const started = generation
        const found = yield* keys.authenticate(key)
        if (Option.isSome(found) && started === generation) {
          if (cache.size >= capacity) cache.clear()
          cache.set(hash, { principal: found.value, until: now + ttlMs })
        } else if (Option.isNone(found)) {
          cache.delete(hash)
        }
        return found
      }),
      revoke: (id) => forget(keys.revoke(id)),
      revokeIn: (organizationId, id) => forget(keys.revokeIn(organizationId, id)),
      revokeByAdmin: (organizationId, callerId, id) => forget(keys.revokeByAdmin(organizationId, callerId, id))
    })
  })
)
