/**
 * The in-memory API keys take their ids from Effect's Random and their times from its Clock: a seeded run under
 * TestClock gives the same ids and times every time, as the simulation's replays need. The keys themselves do not
 * repeat: they come from the CSPRNG.
 */
import { describe, expect, it } from "@effect/vitest"
import { adminRevocation } from "@mirage/runtime/tenancy/ApiKeys"
import * as ApiKeysMemory from "@mirage/runtime/tenancy/ApiKeys/Memory"
import { Effect, Random, Redacted, TestClock, TestContext } from "effect"

/** An organization, a user and a key created at 5 s, the key revoked at 65 s; ids, times and the key as created. */
const history = Effect.gen(function*() {
  const keys = yield* ApiKeysMemory.make
  yield* TestClock.adjust("5 seconds")
  const organization = yield* keys.createOrganization("acme")
  const user = yield* keys.createUser(organization, "ann")
  const issued = yield* keys.create({ organization_id: organization, user_id: user, role: "admin", name: "ci" })
  yield* TestClock.adjust("1 minute")
  expect(yield* keys.revoke(issued.id)).toBe(true)
  const [listed] = yield* keys.list(organization)
  return {
    ids: [organization, user, issued.id],
    times: [listed!.created_at, listed!.revoked_at],
    key: Redacted.value(issued.key)
  }
})

/** The history on a fresh TestClock (at 0) with a Random seeded with `seed`. */
const seeded = (seed: number) =>
  history.pipe(Effect.withRandom(Random.make(seed)), Effect.provide(TestContext.TestContext))

describe("ApiKeys (memory)", () => {
  it.effect("a seeded Random under TestClock gives the same ids and times on every run", () =>
    Effect.gen(function*() {
      const first = yield* seeded(42)
      const again = yield* seeded(42)
      expect(again.ids).toEqual(first.ids)
      expect(first.times).toEqual([5_000, 65_000])
      expect(again.times).toEqual(first.times)
      // Ids are UUIDs, distinct, and another seed gives others.
      for (const id of first.ids) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      }
      expect(new Set(first.ids).size).toBe(3)
      const other = yield* seeded(43)
      expect(other.ids.some((id, i) => id === first.ids[i])).toBe(false)
      // The key is a secret, not a replay: never the same twice.
      expect(again.key).not.toBe(first.key)
    }))
})

describe("adminRevocation", () => {
  const [a, b, member] = ["0A", "0b", "0c"]
  const decide = (liveAdmins: ReadonlyArray<string>, callerId: string, targetId: string, targetRole?: string) =>
    adminRevocation({ liveAdmins, callerId, targetId, targetRole })

  it("decides the outcomes from what the store read, ids in any case", () => {
    expect(decide([b], a, member, "member")).toBe("caller_revoked")
    expect(decide([a, b], "0a", a, "admin")).toBe("self")
    expect(decide([a, b], a, member, undefined)).toBe("not_found")
    expect(decide([a, b], a, "0B", "admin")).toBe("revoked")
    expect(decide([a], a, member, "member")).toBe("revoked")
    // A caller revoking its own key, the last admin's, is refused as its own.
    expect(decide([a], a, "0a", "admin")).toBe("self")
  })
})
