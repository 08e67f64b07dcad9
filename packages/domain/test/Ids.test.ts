import { describe, expect, it } from "@effect/vitest"
import {
  deriveUuid,
  ModuleId,
  randomUuid,
  ResultId,
  resultIdFor,
  ScanId,
  TaskId,
  taskIdFor,
  TemplateId,
  UserId
} from "@mirage/domain/Ids"
import { Effect, Either, FastCheck, Random, Schema } from "effect"
import { createHash } from "node:crypto"

const isUuid = (value: string) => Either.isRight(Schema.decodeUnknownEither(Schema.UUID)(value))

/** RFC 9562 version 8 ("custom"): the version nibble is 8, the variant bits 10. */
const v8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("deriveUuid", () => {
  it("is deterministic", () => {
    expect(deriveUuid("scan", "x")).toBe(deriveUuid("scan", "x"))
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.string()), (parts) => {
        expect(deriveUuid(...parts)).toBe(deriveUuid(...[...parts]))
      })
    )
  })

  it("is a valid version 8 UUID", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.string({ unit: "grapheme" }), { maxLength: 5 }), (parts) => {
        const id = deriveUuid(...parts)
        expect(isUuid(id)).toBe(true)
        expect(id).toMatch(v8)
        expect(Either.isRight(Schema.decodeUnknownEither(ScanId)(id))).toBe(true)
      }),
      { numRuns: 500 }
    )
  })

  it("is SHA-256 of the parts joined by NUL, laid out as a UUID (a pinned vector: ids are stored)", () => {
    const hex = createHash("sha256").update("a").digest("hex")
    expect(hex.startsWith("ca978112ca1bbdcafac231b39a23dc4d")).toBe(true)
    expect(deriveUuid("a")).toBe("ca978112-ca1b-8dca-bac2-31b39a23dc4d")
    expect(deriveUuid("task", "s", "DOMAIN:example.com", "dns")).toBe("58f27d90-cf68-82f1-bf5d-2a44049b7e79")
  })

  it("differs for different parts, for their order and for where one ends", () => {
    const ids = [
      deriveUuid("a"),
      deriveUuid("b"),
      deriveUuid("a", "b"),
      deriveUuid("b", "a"),
      deriveUuid("ab"),
      deriveUuid("a", "bc"),
      deriveUuid("ab", "c"),
      deriveUuid("a", "b", "c"),
      deriveUuid("A")
    ]
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("does not collide across many different part lists", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.uniqueArray(
          FastCheck.array(FastCheck.stringMatching(/^[^\u0000]{0,8}$/), { maxLength: 4 }),
          { minLength: 2, maxLength: 50, selector: (parts) => JSON.stringify(parts) }
        ),
        (lists) => {
          const ids = new Set(lists.map((parts) => deriveUuid(...parts)))
          // [] and [""] both hash the empty string: the one accepted coincidence
          const distinct = new Set(
            lists.map((parts) => (parts.length === 1 && parts[0] === "" ? "[]" : JSON.stringify(parts)))
          )
          expect(ids.size).toBe(distinct.size)
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("task and result ids", () => {
  const scan = deriveUuid("scan")

  it("a task id is a TaskId determined by scan, entity and module", () => {
    const id = taskIdFor(scan, "DOMAIN:example.com", "dns")
    expect(Schema.decodeUnknownSync(TaskId)(id)).toBe(id)
    expect(taskIdFor(scan, "DOMAIN:example.com", "dns")).toBe(id)
    expect(id).toBe(deriveUuid("task", scan, "DOMAIN:example.com", "dns"))
    const others = [
      taskIdFor(deriveUuid("other scan"), "DOMAIN:example.com", "dns"),
      taskIdFor(scan, "DOMAIN:www.example.com", "dns"),
      taskIdFor(scan, "USERNAME:example.com", "dns"),
      taskIdFor(scan, "DOMAIN:example.com", "crtsh")
    ]
    expect(new Set([id, ...others]).size).toBe(5)
  })

  it("a result id is a ResultId determined by owner and hash, apart from task ids", () => {
    const id = resultIdFor(scan, "abc")
    expect(Schema.decodeUnknownSync(ResultId)(id)).toBe(id)
    expect(resultIdFor(scan, "abc")).toBe(id)
    expect(resultIdFor(scan, "abd")).not.toBe(id)
    expect(resultIdFor(deriveUuid("job"), "abc")).not.toBe(id)
    expect(id).not.toBe(deriveUuid("task", scan, "abc"))
  })
})

/** RFC 9562 version 4 ("random"): the version nibble is 4, the variant bits 10. */
const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("randomUuid", () => {
  const draw = (seed: number, n: number) =>
    Effect.runSync(Effect.all(Array.from({ length: n }, () => randomUuid)).pipe(Effect.withRandom(Random.make(seed))))

  it("is a valid version 4 UUID, and a scan id", () => {
    for (const id of draw(1, 200)) {
      expect(id).toMatch(v4)
      expect(Either.isRight(Schema.decodeUnknownEither(ScanId)(id))).toBe(true)
    }
  })

  it("repeats under the same seed and differs under another, without repeating within a run", () => {
    expect(draw(42, 50)).toEqual(draw(42, 50))
    expect(draw(43, 1)).not.toEqual(draw(42, 1))
    expect(new Set(draw(42, 1000)).size).toBe(1000)
  })

  it("uses every hexadecimal digit in its random positions", () => {
    const ids = draw(5, 200)
    for (const position of [0, 9, 15, 20, 35]) {
      expect(new Set(ids.map((id) => id[position])).size, `position ${position}`).toBe(16)
    }
  })
})

describe("id schemas", () => {
  const ok = <A, I>(schema: Schema.Schema<A, I>, value: unknown) =>
    Either.isRight(Schema.decodeUnknownEither(schema)(value))

  it("UUID brands take UUIDs only", () => {
    expect(ok(UserId, deriveUuid("u"))).toBe(true)
    expect(ok(UserId, "not-a-uuid")).toBe(false)
    expect(ok(ScanId, "")).toBe(false)
  })

  it("a module id is 2-64 of lowercase letters, digits and _, starting with a letter", () => {
    for (const good of ["dns", "crtsh", "whois_ip", "a1", `a${"b".repeat(63)}`]) {
      expect(ok(ModuleId, good), good).toBe(true)
    }
    for (const bad of ["", "a", "Dns", "1dns", "_dns", "dns-lookup", "dns lookup", `a${"b".repeat(64)}`]) {
      expect(ok(ModuleId, bad), bad).toBe(false)
    }
  })

  it("a template id is 1-64 of letters, digits, _ and -, not starting with _ or -", () => {
    for (const good of ["a", "Quick-Recon_2", "9", "x".repeat(64)]) expect(ok(TemplateId, good), good).toBe(true)
    for (const bad of ["", "-a", "_a", "a b", "a/b", "x".repeat(65)]) expect(ok(TemplateId, bad), bad).toBe(false)
  })
})
