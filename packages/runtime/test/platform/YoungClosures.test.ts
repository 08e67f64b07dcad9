/**
 * Closures made per operation stay in the young generation (patches/postgres+3.4.9.patch, patches/effect+3.22.4.patch).
 *
 * V8 allocates a function literal assigned straight to a property (`this.resolve = (x) => …`) in the old generation,
 * a parser heuristic meant for methods put on prototypes. Made once per query or per asynchronous effect, such a
 * closure pointed from the old generation at its context, and so at the query and the rows it was resolved with (or
 * at the fiber that waited for the effect): all of it outlived every young collection, was promoted and waited for a
 * full collection. Under 500 results pages a second that was ≈ 27 KB promoted per request and a full collection every
 * few seconds. The patches make each closure a local first, then assign it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { setFlagsFromString } from "node:v8"
import postgres from "postgres"

setFlagsFromString("--allow-natives-syntax")

const inYoungGeneration = new Function("o", "return %InYoungGeneration(o)") as (o: unknown) => boolean

/** How many of 2,000 closures `make` gives are in the old generation as soon as they exist. */
const oldAtBirth = (make: () => unknown) => {
  let old = 0
  for (let i = 0; i < 2000; i++) if (!inYoungGeneration(make())) old++
  return old
}

interface Primitive {
  readonly effect_instruction_i0: unknown
  readonly effect_instruction_i1: unknown
  readonly commit: () => Primitive
}

describe("closures made per operation", () => {
  it("the probe tells the generations apart", () => {
    expect(inYoungGeneration({})).toBe(true)
    // A function literal assigned to a property: the pattern the patches remove, old from the start.
    const holder: { f?: () => number } = {}
    expect(oldAtBirth(() => (holder.f = () => 1, holder.f))).toBeGreaterThan(1000)
  })

  it("a postgres query's resolve and reject are young", async () => {
    // Never connected: making a query does not run it.
    const sql = postgres("postgres://127.0.0.1:9/none", { max: 1 })
    const query = () => sql`select ${1}` as unknown as { readonly resolve: unknown; readonly reject: unknown }
    expect(oldAtBirth(() => query().resolve)).toBe(0)
    expect(oldAtBirth(() => query().reject)).toBe(0)
    await sql.end({ timeout: 0 })
  })

  it("an asynchronous effect's registration and a region's body are young", () => {
    const async = () => (Effect.async<number>((_resume) => {}) as unknown as Primitive).commit().effect_instruction_i0
    expect(oldAtBirth(async)).toBe(0)
    expect(oldAtBirth(() => (Effect.uninterruptible(Effect.void) as unknown as Primitive).effect_instruction_i1)).toBe(
      0
    )
    expect(oldAtBirth(() => (Effect.interruptible(Effect.void) as unknown as Primitive).effect_instruction_i1)).toBe(0)
    const mask = () => (Effect.uninterruptibleMask(() => Effect.void) as unknown as Primitive).commit()
    expect(oldAtBirth(() => mask().effect_instruction_i1)).toBe(0)
  })
})
